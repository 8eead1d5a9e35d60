{{/*
Names, labels, images and the pod conventions every workload of the chart shares.
*/}}

{{- define "boxoffice.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "boxoffice.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The object name of a component: <fullname>-<component>, e.g. boxoffice-purchase-api. */}}
{{- define "boxoffice.componentName" -}}
{{- printf "%s-%s" (include "boxoffice.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels of a component (immutable in a Deployment: never add to them). */}}
{{- define "boxoffice.selectorLabels" -}}
app.kubernetes.io/name: {{ include "boxoffice.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Labels on every object; part-of and component match the operator's labels on allocators. */}}
{{- define "boxoffice.labels" -}}
{{ include "boxoffice.selectorLabels" . }}
app.kubernetes.io/part-of: boxoffice
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end -}}
{{- end -}}

{{/*
An image reference from {repository, tag, digest}: the tag defaults to the chart's appVersion, a
digest pins it. `fallback` (the platform image) fills an empty repository, tag or digest.
*/}}
{{- define "boxoffice.image" -}}
{{- $fallback := .fallback | default dict -}}
{{- $repository := .image.repository | default $fallback.repository -}}
{{- $tag := .image.tag | default $fallback.tag | default .root.Chart.AppVersion -}}
{{- $digest := .image.digest | default (ternary $fallback.digest "" (empty .image.repository)) -}}
{{- if $digest -}}
{{- printf "%s@%s" $repository $digest -}}
{{- else -}}
{{- printf "%s:%s" $repository $tag -}}
{{- end -}}
{{- end -}}

{{/* The chart's own Secret, holding every credential given as a value. */}}
{{- define "boxoffice.secretName" -}}
{{- include "boxoffice.fullname" . -}}
{{- end -}}

{{/* An env var read from a credential's Secret: the existing one when set, else the chart's. */}}
{{- define "boxoffice.secretEnv" -}}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ .ref.existingSecret | default (include "boxoffice.secretName" .root) }}
      key: {{ ternary .ref.existingSecretKey .env (not (empty .ref.existingSecret)) }}
{{- end -}}

{{/* "<secret>/<key>" of a credential (the form the operator's ALLOCATOR_SECRET_ENV takes), as secretEnv reads it. */}}
{{- define "boxoffice.secretRef" -}}
{{- if .ref.existingSecret -}}
{{- printf "%s/%s" .ref.existingSecret .ref.existingSecretKey -}}
{{- else -}}
{{- printf "%s/%s" (include "boxoffice.secretName" .root) .env -}}
{{- end -}}
{{- end -}}

{{/* Connection settings every component reads (platform/src/config.ts connectionConfig). */}}
{{- define "boxoffice.connectionEnv" -}}
{{ include "boxoffice.secretEnv" (dict "root" . "env" "DATABASE_URL" "ref" .Values.postgresql) }}
{{ include "boxoffice.secretEnv" (dict "root" . "env" "REDIS_URL" "ref" .Values.redis) }}
{{ include "boxoffice.sharedEnv" . }}
{{- end -}}

{{/* Kafka brokers, prefix, logs and traces: what every component reads besides its credentials. */}}
{{- define "boxoffice.sharedEnv" -}}
- name: KAFKA_BROKERS
  value: {{ join "," .Values.kafka.brokers | quote }}
- name: BOXOFFICE_PREFIX
  value: {{ .Values.prefix | quote }}
- name: LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
{{- if .Values.telemetry.otlpEndpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ .Values.telemetry.otlpEndpoint | quote }}
- name: OTEL_TRACES_SAMPLER
  value: {{ .Values.telemetry.sampler | quote }}
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ .Values.telemetry.samplerRatio | quote }}
{{- else }}
- name: OTEL_TRACES_EXPORTER
  value: none
{{- end }}
{{- end -}}

{{/* Extra plain env vars from a component's `env` map, in a stable order. */}}
{{- define "boxoffice.extraEnv" -}}
{{- range $name, $value := . }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- end -}}

{{/* Container security context (restricted Pod Security Standard) from a securityContext value. */}}
{{- define "boxoffice.containerSecurityContext" -}}
runAsNonRoot: {{ .runAsNonRoot }}
runAsUser: {{ .runAsUser }}
runAsGroup: {{ .runAsGroup }}
readOnlyRootFilesystem: {{ .readOnlyRootFilesystem }}
allowPrivilegeEscalation: {{ .allowPrivilegeEscalation }}
privileged: {{ .privileged }}
capabilities:
  drop: {{ toJson .capabilities.drop }}
  {{- with .capabilities.add }}
  add: {{ toJson . }}
  {{- end }}
seccompProfile:
  type: {{ .seccompProfile.type }}
  {{- with .seccompProfile.localhostProfile }}
  localhostProfile: {{ . }}
  {{- end }}
{{- end -}}

{{/* Pod-level fields every workload shares: security context, pull secrets, placement. */}}
{{- define "boxoffice.podSpec" -}}
{{- $values := .values -}}
securityContext:
  {{- toYaml .root.Values.podSecurityContext | nindent 2 }}
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with $values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if $values.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- range $values.topologySpreadConstraints }}
  - {{- toYaml (merge (deepCopy .) (dict "labelSelector" (dict "matchLabels" (include "boxoffice.selectorLabels" $ | fromYaml)))) | nindent 4 }}
  {{- end }}
{{- end }}
{{- end -}}

{{/* Pod template metadata: labels, the user's annotations, and a checksum that rolls pods when the chart's Secret changes. */}}
{{- define "boxoffice.podMetadata" -}}
labels:
  {{- include "boxoffice.labels" . | nindent 2 }}
  {{- with .values.podLabels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
annotations:
  checksum/secret: {{ include (print .root.Template.BasePath "/secret.yaml") .root | sha256sum }}
  {{- with .values.podAnnotations }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end -}}

{{/* Probes on the `http` port: /healthz says alive, /readyz ready (platform/src/http/health.ts, ops-server.ts). */}}
{{- define "boxoffice.probes" -}}
startupProbe:
  httpGet:
    path: /healthz
    port: http
  periodSeconds: 2
  failureThreshold: 60
livenessProbe:
  httpGet:
    path: /healthz
    port: http
  periodSeconds: 10
  failureThreshold: 3
readinessProbe:
  httpGet:
    path: /readyz
    port: http
  periodSeconds: 5
  failureThreshold: 2
{{- end -}}
