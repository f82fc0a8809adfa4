{{/* Labels every object carries; deploy/ carries the first two, the chart adds its own. */}}
{{- define "kcau.labels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/part-of: kcau
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* The selector: stable across upgrades, so only the name. */}}
{{- define "kcau.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
{{- end -}}

{{/* <repositoryPrefix>/<component>:<tag, defaulting to appVersion> */}}
{{- define "kcau.image" -}}
{{- printf "%s/%s:%s" .root.Values.image.repositoryPrefix .name (default .root.Chart.AppVersion .root.Values.image.tag) -}}
{{- end -}}
