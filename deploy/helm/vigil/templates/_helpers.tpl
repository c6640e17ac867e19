{{/* Chart name. */}}
{{- define "vigil.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Resource name prefix, at most 52 characters so that "-controller-metrics" and
similar suffixes stay within 63. */}}
{{- define "vigil.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "vigil.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels on every resource. */}}
{{- define "vigil.labels" -}}
helm.sh/chart: {{ include "vigil.chart" . }}
app.kubernetes.io/name: {{ include "vigil.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: vigil
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component: call with (dict "ctx" $ "component" "sensor"). */}}
{{- define "vigil.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vigil.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* All labels of one component (same argument as vigil.selectorLabels). */}}
{{- define "vigil.componentLabels" -}}
{{ include "vigil.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "vigil.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "vigil.sensor.serviceAccountName" -}}
{{- if .Values.sensor.serviceAccount.create -}}
{{- default (printf "%s-sensor" (include "vigil.fullname" .)) .Values.sensor.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.sensor.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "vigil.controller.serviceAccountName" -}}
{{- if .Values.controller.serviceAccount.create -}}
{{- default (printf "%s-controller" (include "vigil.fullname" .)) .Values.controller.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.controller.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "vigil.sensor.priorityClassName" -}}
{{- if .Values.priorityClass.create -}}
{{- default (printf "%s-sensor" (include "vigil.fullname" .)) .Values.priorityClass.name -}}
{{- else -}}
{{- .Values.sensor.priorityClassName -}}
{{- end -}}
{{- end -}}

{{/* The controller's Service name. */}}
{{- define "vigil.controller.serviceName" -}}
{{- printf "%s-controller" (include "vigil.fullname" .) -}}
{{- end -}}

{{/* The name sensors dial and expect in the controller's certificate. */}}
{{- define "vigil.controller.host" -}}
{{- printf "%s.%s.svc" (include "vigil.controller.serviceName" .) .Release.Namespace -}}
{{- end -}}

{{/* DNS names of the controller's server certificate, one per line. */}}
{{- define "vigil.controller.dnsNames" -}}
{{- $svc := include "vigil.controller.serviceName" . -}}
{{- $ns := .Release.Namespace -}}
{{- $names := list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.%s" $svc $ns .Values.clusterDomain) -}}
{{- concat $names .Values.tls.extraDnsNames | uniq | toYaml -}}
{{- end -}}

{{/* Secret names holding the certificates (keys tls.crt, tls.key, ca.crt). */}}
{{- define "vigil.tls.controllerSecret" -}}
{{- if eq .Values.tls.mode "existing" -}}
{{- required "tls.existing.controllerSecret is required when tls.mode is existing" .Values.tls.existing.controllerSecret -}}
{{- else -}}
{{- printf "%s-controller-tls" (include "vigil.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/* True ("true") when sensors prove their node with a projected service-account token
(identity.mode serviceAccountToken), "" when they share one certificate. */}}
{{- define "vigil.identity.token" -}}
{{- if eq .Values.identity.mode "serviceAccountToken" -}}true{{- end -}}
{{- end -}}

{{/* The Secret the sensors mount at /etc/vigil/tls. sharedCertificate: their client
certificate (tls.crt, tls.key, ca.crt). serviceAccountToken: only ca.crt is read, from
a Secret that holds no key worth having on every node (the kubelet of each node may read
every Secret a pod on it mounts, all keys included): the chart's <fullname>-ca-bundle,
or tls.existing.sensorSecret. Never the controller's Secret: its server key would reach
every node. */}}
{{- define "vigil.tls.sensorSecret" -}}
{{- if eq .Values.tls.mode "existing" -}}
{{- required "tls.existing.sensorSecret is required when tls.mode is existing (with identity.mode serviceAccountToken only its ca.crt is read)" .Values.tls.existing.sensorSecret -}}
{{- else if include "vigil.identity.token" . -}}
{{- include "vigil.tls.caBundleSecret" . -}}
{{- else -}}
{{- printf "%s-sensor-tls" (include "vigil.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/* Secret with only the CA certificate (ca.crt), for sensors that present no
certificate (tls.mode generate and certManager, identity.mode serviceAccountToken). */}}
{{- define "vigil.tls.caBundleSecret" -}}
{{- printf "%s-ca-bundle" (include "vigil.fullname" .) -}}
{{- end -}}

{{- define "vigil.tls.adminSecret" -}}
{{- printf "%s-admin-tls" (include "vigil.fullname" .) -}}
{{- end -}}

{{- define "vigil.tls.caSecret" -}}
{{- printf "%s-ca" (include "vigil.fullname" .) -}}
{{- end -}}

{{/* The rules ConfigMap's data (also hashed into the sensor pods' annotation). */}}
{{- define "vigil.rules.data" -}}
{{- if .Values.rules.default }}
00-vigil_rules.yaml: |
{{ .Files.Get "rules/vigil_rules.yaml" | trimSuffix "\n" | indent 2 }}
{{- end }}
{{- range $name, $text := .Values.rules.custom }}
{{ printf "50-%s.yaml" $name }}: |
{{ $text | trimSuffix "\n" | indent 2 }}
{{- end }}
{{- end -}}

{{/* The sensors' ServiceAccount, refused when it is the namespace's "default": every pod
that runs under a service account can have tokens of it projected, and a pod holding one
could speak as the sensor of its node. */}}
{{- define "vigil.identity.sensorServiceAccount" -}}
{{- $sa := include "vigil.sensor.serviceAccountName" . -}}
{{- if eq $sa "default" -}}
{{- fail "identity.mode serviceAccountToken needs a ServiceAccount of the sensors' own: set sensor.serviceAccount.create=true or sensor.serviceAccount.name (not \"default\")" -}}
{{- end -}}
{{- $sa -}}
{{- end -}}

{{/* The controller's access file. */}}
{{- define "vigil.access.text" -}}
# Generated by the vigil chart: ROLE KIND VALUE per line (docs/certificates.md).
{{- if include "vigil.identity.token" . }}
# Each sensor: a token of this service account, speaking for the node it names.
sensor serviceaccount {{ .Release.Namespace }}/{{ include "vigil.identity.sensorServiceAccount" . }}
{{- else }}
# identity.mode sharedCertificate (a downgrade): every sensor presents this certificate,
# which may speak for any node.
sensor-any cert {{ .Values.tls.sensorCommonName }}
{{- end }}
admin cert {{ .Values.tls.adminCommonName }}
{{- range .Values.access.grants }}
{{ . }}
{{- end }}
{{ end -}}

{{/* Probe block: call with (dict "probe" .Values.x.livenessProbe "path" "/healthz" "port" 9470). */}}
{{- define "vigil.httpProbe" -}}
httpGet:
  path: {{ .path }}
  port: {{ .port }}
  scheme: HTTP
initialDelaySeconds: {{ .probe.initialDelaySeconds | int }}
periodSeconds: {{ .probe.periodSeconds | int }}
timeoutSeconds: {{ .probe.timeoutSeconds | int }}
failureThreshold: {{ .probe.failureThreshold | int }}
{{- end -}}
