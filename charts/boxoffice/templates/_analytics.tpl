{{/* The analytics consumer's ServiceAccount: its own, unless told to use another. */}}
{{- define "boxoffice.analytics.serviceAccountName" -}}
{{- if .Values.analytics.serviceAccount.create -}}
{{- .Values.analytics.serviceAccount.name | default (include "boxoffice.componentName" (dict "root" . "component" "analytics")) -}}
{{- else -}}
{{- .Values.analytics.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}
