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
