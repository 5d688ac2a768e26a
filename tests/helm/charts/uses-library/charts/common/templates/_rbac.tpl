{{- define "common.role" -}}
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: {{ .Release.Name }}-reader
rules:
  - apiGroups: [""]
    resources: ["pods"]
    verbs: {{ toJson .Values.verbs }}
{{- end -}}

{{- define "common.metadata" -}}
metadata:
  name: {{ .Release.Name }}
  labels:
    app: {{ .Chart.Name }}
{{- end -}}
