{{/*
Names and labels shared by every template. Keep to the renderer's subset
(helm/README.md, "What the chart may use").
*/}}

{{/* The release's base name, at most 63 characters: the release name, or
release-chart when the release name does not hold the chart's name. */}}
{{- define "portico.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "portico.controller.name" -}}
{{- printf "%s-controller" (include "portico.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "portico.proxy.name" -}}
{{- printf "%s-proxy" (include "portico.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "portico.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Labels on every object; the selector labels pick one component's pods. */}}
{{- define "portico.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "portico.controller.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end -}}

{{- define "portico.proxy.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: proxy
{{- end -}}

{{/* The controller's snapshot address as proxies dial it: the Service's DNS name. */}}
{{- define "portico.controller.address" -}}
{{- printf "%s.%s.svc:%s" (include "portico.controller.name" .) .Release.Namespace (toString .Values.controller.grpcPort) -}}
{{- end -}}
