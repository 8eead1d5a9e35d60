{{/*
One buyer-facing API: Deployment, Service, HorizontalPodAutoscaler and PodDisruptionBudget.
Called with (dict "root" $ "component" "purchase-api" "values" .Values.purchaseApi "port" 8080
"portEnv" "PURCHASE_API_PORT" "env" <list of extra env entries as YAML>).
*/}}
{{- define "boxoffice.api" -}}
{{- $name := include "boxoffice.componentName" . -}}
{{- $values := .values -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "boxoffice.labels" . | nindent 4 }}
spec:
  {{- if not $values.autoscaling.enabled }}
  replicas: {{ $values.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  {{- with $values.minReadySeconds }}
  minReadySeconds: {{ . }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "boxoffice.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      {{- include "boxoffice.podMetadata" . | nindent 6 }}
    spec:
      {{- include "boxoffice.podSpec" . | nindent 6 }}
      automountServiceAccountToken: false
      terminationGracePeriodSeconds: {{ $values.terminationGracePeriodSeconds }}
      containers:
        - name: {{ .component }}
          image: {{ include "boxoffice.image" (dict "root" .root "image" .root.Values.image) }}
          imagePullPolicy: {{ .root.Values.image.pullPolicy }}
          args: {{ toJson $values.args }}
          ports:
            - name: http
              containerPort: {{ .port }}
              protocol: TCP
          env:
            {{- include "boxoffice.connectionEnv" .root | nindent 12 }}
            - name: {{ .portEnv }}
              value: {{ .port | quote }}
            - name: OTEL_SERVICE_NAME
              value: {{ .component }}
            - name: JWT_ALGORITHM
              value: {{ .root.Values.jwt.algorithm }}
            - name: JWT_ISSUER
              value: {{ .root.Values.jwt.issuer | quote }}
            - name: JWT_AUDIENCE
              value: {{ .root.Values.jwt.audience | quote }}
            {{- if .root.Values.jwt.jwksUrl }}
            - name: JWT_JWKS_URL
              value: {{ .root.Values.jwt.jwksUrl | quote }}
            {{- end }}
            {{- if eq .root.Values.jwt.algorithm "HS256" }}
            {{- include "boxoffice.secretEnv" (dict "root" .root "env" "JWT_SECRET" "ref" .root.Values.jwt) | nindent 12 }}
            {{- end }}
            {{- .env | nindent 12 }}
            {{- with $values.env }}
            {{- include "boxoffice.extraEnv" . | trim | nindent 12 }}
            {{- end }}
          {{- with .root.Values.kafka.existingSecret }}
          envFrom:
            - secretRef:
                name: {{ . }}
          {{- end }}
          {{- include "boxoffice.probes" . | nindent 10 }}
          {{- if $values.preStopSleepSeconds }}
          lifecycle:
            preStop:
              sleep:
                seconds: {{ $values.preStopSleepSeconds }}
          {{- end }}
          resources:
            {{- toYaml $values.resources | nindent 12 }}
          securityContext:
            {{- include "boxoffice.containerSecurityContext" .root.Values.securityContext | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 64Mi
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $name }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "boxoffice.labels" . | nindent 4 }}
  {{- with $values.service.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ $values.service.type }}
  selector:
    {{- include "boxoffice.selectorLabels" . | nindent 4 }}
  ports:
    - name: http
      port: {{ $values.service.port }}
      targetPort: http
      protocol: TCP
{{- if $values.autoscaling.enabled }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ $name }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "boxoffice.labels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ $name }}
  minReplicas: {{ $values.autoscaling.minReplicas }}
  maxReplicas: {{ $values.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $values.autoscaling.targetCPUUtilizationPercentage }}
{{- end }}
{{- if $values.podDisruptionBudget.enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ $name }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "boxoffice.labels" . | nindent 4 }}
spec:
  maxUnavailable: {{ $values.podDisruptionBudget.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "boxoffice.selectorLabels" . | nindent 6 }}
{{- end }}
{{- end -}}
