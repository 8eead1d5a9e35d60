{{- define "boxoffice.operator.serviceAccountName" -}}
{{- if .Values.operator.serviceAccount.create -}}
{{- .Values.operator.serviceAccount.name | default (include "boxoffice.componentName" (dict "root" . "component" "operator")) -}}
{{- else -}}
{{- .Values.operator.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{/* The operator's Lease, in the release namespace: one replica reconciles at a time. */}}
{{- define "boxoffice.operator.leaseName" -}}
{{- include "boxoffice.componentName" (dict "root" . "component" "operator") -}}
{{- end -}}

{{/*
The platform namespace allocators run in (ALLOCATOR_NAMESPACE): the release namespace unless set.
A Secret of the chart lives in the release namespace only, so another namespace needs credentials
from existingSecret (Secrets the user puts there).
*/}}
{{- define "boxoffice.operator.allocatorNamespace" -}}
{{- $namespace := .Values.operator.allocators.namespace | default .Release.Namespace -}}
{{- $chartSecretNeeded := or (not .Values.postgresql.existingSecret) (not .Values.redis.existingSecret) (and .Values.kafka.allocatorUsername (not .Values.kafka.allocatorSecret)) -}}
{{- if and (ne $namespace .Release.Namespace) $chartSecretNeeded -}}
{{- fail (printf "operator.allocators.namespace %s is not the release namespace: allocators read their credentials there, so set postgresql.existingSecret and redis.existingSecret (and kafka.allocatorSecret) to Secrets in %s" $namespace $namespace) -}}
{{- end -}}
{{- $namespace -}}
{{- end -}}

{{/* ALLOCATOR_SECRET_ENV: each credential of an allocator as "<secret>/<key>" (secretKeyRefs, never values). */}}
{{- define "boxoffice.operator.allocatorSecretEnv" -}}
{{- $entries := dict -}}
{{- $_ := set $entries "DATABASE_URL" (include "boxoffice.secretRef" (dict "root" . "env" "DATABASE_URL" "ref" .Values.postgresql)) -}}
{{- $_ := set $entries "REDIS_URL" (include "boxoffice.secretRef" (dict "root" . "env" "REDIS_URL" "ref" .Values.redis)) -}}
{{- toJson $entries -}}
{{- end -}}

{{/* ALLOCATOR_KAFKA_SECRET: the allocators' own Kafka principal, the user's Secret or the chart's. */}}
{{- define "boxoffice.operator.allocatorKafkaSecret" -}}
{{- if .Values.kafka.allocatorSecret -}}
{{- .Values.kafka.allocatorSecret -}}
{{- else if .Values.kafka.allocatorUsername -}}
{{- if not .Values.kafka.allocatorPassword }}{{ fail "kafka.allocatorUsername needs kafka.allocatorPassword" }}{{ end -}}
{{- include "boxoffice.secretName" . -}}
{{- end -}}
{{- end -}}

{{/*
KEDA_KAFKA_TRIGGER_AUTHENTICATION: KEDA's Kafka credentials for the ScaledObjects, the user's
(Cluster)TriggerAuthentication or the chart's (templates/keda-kafka.yaml); empty: none.
*/}}
{{- define "boxoffice.keda.triggerAuthentication" -}}
{{- $kafka := .Values.keda.kafka -}}
{{- if $kafka.existingTriggerAuthentication -}}
{{- $kafka.existingTriggerAuthentication -}}
{{- else if or $kafka.existingSecret $kafka.username -}}
{{- if and $kafka.username (not $kafka.existingSecret) (not $kafka.password) }}{{ fail "keda.kafka.username needs keda.kafka.password" }}{{ end -}}
{{- include "boxoffice.componentName" (dict "root" . "component" "keda-kafka") -}}
{{- end -}}
{{- end -}}
