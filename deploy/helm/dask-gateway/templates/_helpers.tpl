{{/*
Names. <fullname> is fullnameOverride, else the release name when it contains the chart's name,
else "<release>-<chart name>"; at most 63 characters, as Kubernetes names allow.
*/}}
{{- define "dask-gateway.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "dask-gateway.fullname" -}}
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

{{- define "dask-gateway.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* api-<fullname>: the gateway's Deployment, ConfigMap, Secret, private Service and RBAC. */}}
{{- define "dask-gateway.apiName" -}}
{{- include "dask-gateway.fullname" . | printf "api-%s" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
traefik-<fullname>: the public Service. Upstream's name is kept although no Traefik runs, because
JupyterHub service URLs and users' proxy addresses (daskhub among them) name this Service.
*/}}
{{- define "dask-gateway.publicName" -}}
{{- include "dask-gateway.fullname" . | printf "traefik-%s" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* controller-<fullname>: the controller's Deployment, ConfigMap and RBAC. */}}
{{- define "dask-gateway.controllerName" -}}
{{- include "dask-gateway.fullname" . | printf "controller-%s" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "dask-gateway.gatewayServiceAccountName" -}}
{{- if .Values.rbac.gateway.serviceAccountName -}}
{{- .Values.rbac.gateway.serviceAccountName -}}
{{- else if .Values.rbac.enabled -}}
{{- include "dask-gateway.apiName" . -}}
{{- else -}}
default
{{- end -}}
{{- end -}}

{{- define "dask-gateway.controllerServiceAccountName" -}}
{{- if .Values.rbac.controller.serviceAccountName -}}
{{- .Values.rbac.controller.serviceAccountName -}}
{{- else if .Values.rbac.enabled -}}
{{- include "dask-gateway.controllerName" . -}}
{{- else -}}
default
{{- end -}}
{{- end -}}

{{/* Labels of every object; gateway.dask.org/instance ties the DaskClusters to this release. */}}
{{- define "dask-gateway.labels" -}}
app.kubernetes.io/name: {{ include "dask-gateway.name" . }}
helm.sh/chart: {{ include "dask-gateway.chart" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
gateway.dask.org/instance: {{ include "dask-gateway.fullname" . }}
{{- end -}}

{{- define "dask-gateway.matchLabels" -}}
app.kubernetes.io/name: {{ include "dask-gateway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* An image reference from {name, tag}: "name:tag", or the name alone when the tag is empty. */}}
{{- define "dask-gateway.image" -}}
{{- if .tag -}}
{{- printf "%s:%s" .name (toString .tag) -}}
{{- else -}}
{{- .name -}}
{{- end -}}
{{- end -}}

{{/* The private API's URL, given to schedulers for their heartbeats and used by the controller. */}}
{{- define "dask-gateway.privateApiUrl" -}}
{{- printf "http://%s.%s:8001/api" (include "dask-gateway.apiName" .) .Release.Namespace -}}
{{- end -}}

{{/*
The public Service's settings: gateway.service, overridden by upstream's traefik.service where an
upstream values file sets it (type, annotations, spec, ports).
*/}}
{{- define "dask-gateway.publicService" -}}
{{- $service := deepCopy .Values.gateway.service -}}
{{- $traefik := (.Values.traefik | default dict).service | default dict -}}
{{- $service = mergeOverwrite $service (deepCopy (pick $traefik "type" "annotations" "spec" "ports")) -}}
{{- toJson $service -}}
{{- end -}}

{{/* Whether scheduler connections have a port of their own (a number rather than "web"). */}}
{{- define "dask-gateway.separateTcpPort" -}}
{{- $service := include "dask-gateway.publicService" . | fromJson -}}
{{- if ne (toString $service.ports.tcp.port) "web" -}}true{{- end -}}
{{- end -}}

{{/* The gateway's secrets, as the Secret's data keys and plain values; empty ones are left out. */}}
{{- define "dask-gateway.secretValues" -}}
{{- $auth := .Values.gateway.auth -}}
{{- $secrets := dict -}}
{{- if and (eq $auth.type "simple") $auth.simple.password -}}
{{- $_ := set $secrets "simple-password" (toString $auth.simple.password) -}}
{{- end -}}
{{- if and (eq $auth.type "custom") $auth.custom.config -}}
{{- $_ := set $secrets "custom-auth-config" (toJson $auth.custom.config) -}}
{{- end -}}
{{- if and (eq $auth.type "jupyterhub") $auth.jupyterhub.apiToken -}}
{{- $_ := set $secrets "jupyterhub-api-token" (toString $auth.jupyterhub.apiToken) -}}
{{- end -}}
{{- toJson $secrets -}}
{{- end -}}
