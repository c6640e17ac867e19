// vigil-render renders a Helm chart the way `helm template` does, for the parts of Helm
// that the Vigil chart (deploy/helm/vigil) uses, so the chart can be checked where no helm
// binary exists. It is built offline from Debian's Go sources (scripts/check-chart.sh).
//
// Implemented Helm semantics:
//   - Chart.yaml as .Chart (Name, Version, AppVersion, ...), kubeVersion constraint checked
//     against --kube-version;
//   - values.yaml, then every --values file in order, then every --set, merged like Helm
//     (maps merge recursively, other values replace, null deletes a key); numbers from
//     YAML files are float64 as in Helm (YAML -> JSON -> map), --set integers are int64;
//   - validation against values.schema.json (a JSON Schema draft-07 subset: type,
//     properties, additionalProperties, required, enum, const, pattern, minLength,
//     maxLength, minimum, maximum, items, oneOf, anyOf, allOf, propertyNames);
//   - templates/*.yaml, *.yml, *.tpl and *.txt parsed into one template set; files whose
//     name starts with "_" and NOTES.txt are not output (NOTES.txt only with --notes);
//     missingkey=zero and "<no value>" removed from the output, as Helm does;
//   - functions: sprig's text functions without env/expandenv, plus include, tpl,
//     required, fail, toYaml, fromYaml, fromYamlArray, toJson, fromJson, fromJsonArray,
//     lookup (always an empty map, like `helm template`);
//   - .Release (Name, Namespace, Service "Helm", IsInstall, IsUpgrade, Revision),
//     .Capabilities (APIVersions.Has, KubeVersion), .Files (Get, GetBytes), .Template
//     (Name, BasePath).
//
// Usage:
//
//	vigil-render --chart DIR [--values FILE]... [--set PATH=VALUE]... [--release NAME]
//	    [--namespace NS] [--api-versions GROUP/VERSION]... [--kube-version vX.Y.Z]
//	    [--output-dir DIR] [--notes]
//
// Without --output-dir the manifests go to stdout, each preceded by "# Source: <file>"
// and separated by "---", as `helm template` prints them.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"github.com/Masterminds/semver"
	"github.com/Masterminds/sprig"
	"gopkg.in/yaml.v3"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	var valueFiles, sets, apiVersions multiFlag
	chartDir := flag.String("chart", "", "chart directory")
	release := flag.String("release", "vigil", "release name")
	namespace := flag.String("namespace", "default", "release namespace")
	kubeVersion := flag.String("kube-version", "v1.29.0", "Kubernetes version for .Capabilities")
	outDir := flag.String("output-dir", "", "write one file per template under this directory")
	notes := flag.Bool("notes", false, "also render templates/NOTES.txt")
	flag.Var(&valueFiles, "values", "values file (repeatable; later files win)")
	flag.Var(&valueFiles, "f", "same as --values")
	flag.Var(&sets, "set", "PATH=VALUE (repeatable; comma-separated pairs allowed)")
	flag.Var(&apiVersions, "api-versions", "extra API version for .Capabilities.APIVersions (repeatable)")
	flag.Parse()
	if *chartDir == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: vigil-render --chart DIR [--values FILE]... [--set PATH=VALUE]... [--output-dir DIR]")
		os.Exit(2)
	}
	r := renderer{chartDir: *chartDir, release: *release, namespace: *namespace,
		kubeVersion: *kubeVersion, apiVersions: apiVersions, notes: *notes}
	out, err := r.run(valueFiles, sets)
	if err != nil {
		fmt.Fprintf(os.Stderr, "Error: %v\n", err)
		os.Exit(1)
	}
	if *outDir == "" {
		names := sortedKeys(out)
		for _, name := range names {
			if strings.HasSuffix(name, "NOTES.txt") {
				fmt.Printf("NOTES:\n%s\n", out[name])
				continue
			}
			for _, doc := range splitDocs(out[name]) {
				fmt.Printf("---\n# Source: %s\n%s\n", name, doc)
			}
		}
		return
	}
	for name, text := range out {
		path := filepath.Join(*outDir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			fail(err)
		}
		var b strings.Builder
		if strings.HasSuffix(name, "NOTES.txt") {
			b.WriteString(text)
		} else {
			for _, doc := range splitDocs(text) {
				fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", name, doc)
			}
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			fail(err)
		}
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "Error: %v\n", err)
	os.Exit(1)
}

var docSep = regexp.MustCompile(`(?m)^---[ \t]*(#.*)?$`)

// splitDocs splits a rendered file into its YAML documents, dropping empty ones (only
// whitespace and comments), as Helm does.
func splitDocs(text string) []string {
	var docs []string
	for _, d := range docSep.Split(text, -1) {
		body := strings.Trim(d, "\n")
		empty := true
		for _, line := range strings.Split(body, "\n") {
			t := strings.TrimSpace(line)
			if t != "" && !strings.HasPrefix(t, "#") {
				empty = false
				break
			}
		}
		if !empty {
			docs = append(docs, body)
		}
	}
	return docs
}

type renderer struct {
	chartDir, release, namespace, kubeVersion string
	apiVersions                               []string
	notes                                     bool
}

// APIVersions mirrors Helm's chartutil.VersionSet.
type APIVersions []string

// Has reports whether "group/version" or "group/version/Kind" is served.
func (v APIVersions) Has(apiVersion string) bool {
	for _, x := range v {
		if x == apiVersion {
			return true
		}
	}
	return false
}

// KubeVersion mirrors Helm's chartutil.KubeVersion.
type KubeVersion struct{ Version, Major, Minor string }

func (k KubeVersion) String() string     { return k.Version }
func (k KubeVersion) GitVersion() string { return k.Version }

// Capabilities mirrors Helm's chartutil.Capabilities.
type Capabilities struct {
	APIVersions APIVersions
	KubeVersion KubeVersion
}

// Files mirrors Helm's .Files for the methods the chart uses.
type Files map[string][]byte

// Get returns a file's text, or "" when it does not exist.
func (f Files) Get(name string) string { return string(f[name]) }

// GetBytes returns a file's bytes, or nil.
func (f Files) GetBytes(name string) []byte { return f[name] }

// defaultAPIVersions: what `helm template` assumes a cluster serves without
// --api-versions (the built-in groups; no custom resources).
var defaultAPIVersions = []string{
	"v1", "apps/v1", "batch/v1", "policy/v1", "autoscaling/v2", "networking.k8s.io/v1",
	"rbac.authorization.k8s.io/v1", "scheduling.k8s.io/v1", "storage.k8s.io/v1",
	"apiextensions.k8s.io/v1", "admissionregistration.k8s.io/v1", "coordination.k8s.io/v1",
	"discovery.k8s.io/v1", "certificates.k8s.io/v1", "node.k8s.io/v1",
}

func (r *renderer) run(valueFiles, sets []string) (map[string]string, error) {
	meta, err := readYAMLFile(filepath.Join(r.chartDir, "Chart.yaml"))
	if err != nil {
		return nil, err
	}
	metaMap, ok := meta.(map[string]interface{})
	if !ok {
		return nil, errors.New("Chart.yaml: not a mapping")
	}
	chart := map[string]interface{}{}
	for k, v := range metaMap {
		// Helm's chart.Metadata fields are the capitalized YAML keys.
		name := strings.ToUpper(k[:1]) + k[1:]
		if k == "apiVersion" {
			name = "APIVersion"
		}
		chart[name] = v
	}
	chartName, _ := chart["Name"].(string)
	if chartName == "" {
		return nil, errors.New("Chart.yaml: name is required")
	}
	if _, ok := chart["Version"].(string); !ok {
		return nil, errors.New("Chart.yaml: version must be a string")
	}

	kv, err := semver.NewVersion(r.kubeVersion)
	if err != nil {
		return nil, fmt.Errorf("--kube-version: %v", err)
	}
	if c, ok := chart["KubeVersion"].(string); ok && c != "" {
		cons, err := semver.NewConstraint(c)
		if err != nil {
			return nil, fmt.Errorf("Chart.yaml kubeVersion: %v", err)
		}
		if !cons.Check(kv) {
			return nil, fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes %s", c, r.kubeVersion)
		}
	}

	// Values: chart defaults, then files, then --set.
	defaults, err := readYAMLFile(filepath.Join(r.chartDir, "values.yaml"))
	if err != nil {
		return nil, err
	}
	user := map[string]interface{}{}
	for _, f := range valueFiles {
		v, err := readYAMLFile(f)
		if err != nil {
			return nil, err
		}
		m, ok := v.(map[string]interface{})
		if v != nil && !ok {
			return nil, fmt.Errorf("%s: values must be a mapping", f)
		}
		user = mergeMaps(user, m)
	}
	for _, s := range sets {
		if err := applySet(user, s); err != nil {
			return nil, fmt.Errorf("--set %q: %v", s, err)
		}
	}
	defMap, _ := defaults.(map[string]interface{})
	values := coalesce(user, defMap)

	if raw, err := os.ReadFile(filepath.Join(r.chartDir, "values.schema.json")); err == nil {
		var schema interface{}
		if err := json.Unmarshal(raw, &schema); err != nil {
			return nil, fmt.Errorf("values.schema.json: %v", err)
		}
		if errs := validate(schema, values, ""); len(errs) > 0 {
			return nil, fmt.Errorf("values don't meet the specifications of the schema(s) in the following chart(s):\n%s:\n- %s",
				chartName, strings.Join(errs, "\n- "))
		}
	} else if !os.IsNotExist(err) {
		return nil, err
	}

	files, templates, err := r.loadFiles()
	if err != nil {
		return nil, err
	}

	caps := Capabilities{
		APIVersions: append(append(APIVersions{}, defaultAPIVersions...), r.apiVersions...),
		KubeVersion: KubeVersion{Version: "v" + kv.String(), Major: strconv.FormatUint(kv.Major(), 10),
			Minor: strconv.FormatUint(kv.Minor(), 10)},
	}
	top := map[string]interface{}{
		"Values": values,
		"Chart":  chart,
		"Release": map[string]interface{}{
			"Name": r.release, "Namespace": r.namespace, "Service": "Helm",
			"IsInstall": true, "IsUpgrade": false, "Revision": 1,
		},
		"Capabilities": caps,
		"Files":        files,
		"Subcharts":    map[string]interface{}{},
	}
	return renderTemplates(chartName, templates, top, r.notes)
}

// loadFiles returns the chart's non-template files (for .Files) and its templates, keyed
// by their path relative to the chart directory ("templates/x.yaml").
func (r *renderer) loadFiles() (Files, map[string]string, error) {
	files := Files{}
	templates := map[string]string{}
	err := filepath.Walk(r.chartDir, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(r.chartDir, path)
		rel = filepath.ToSlash(rel)
		if info.IsDir() {
			if rel == "charts" || (rel != "." && strings.HasPrefix(info.Name(), ".git")) {
				return filepath.SkipDir
			}
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		switch {
		case strings.HasPrefix(rel, "templates/"):
			templates[rel] = string(data)
		case rel == "Chart.yaml" || rel == "values.yaml" || rel == "values.schema.json" || rel == "Chart.lock":
		default:
			files[rel] = data
		}
		return nil
	})
	return files, templates, err
}

func renderTemplates(chartName string, templates map[string]string, top map[string]interface{}, notes bool) (map[string]string, error) {
	root := template.New("gotpl").Option("missingkey=zero")
	funcs := funcMap(root)
	root.Funcs(funcs)
	names := sortedKeys(templates)
	for _, name := range names {
		full := chartName + "/" + name
		if _, err := root.New(full).Parse(templates[name]); err != nil {
			return nil, fmt.Errorf("parse error in %q: %v", full, err)
		}
	}
	out := map[string]string{}
	for _, name := range names {
		base := filepath.Base(name)
		if strings.HasPrefix(base, "_") || strings.Contains(name[len("templates/"):], "/_") {
			continue
		}
		isNotes := base == "NOTES.txt"
		if isNotes && !notes {
			continue
		}
		full := chartName + "/" + name
		data := map[string]interface{}{}
		for k, v := range top {
			data[k] = v
		}
		data["Template"] = map[string]interface{}{"Name": full, "BasePath": chartName + "/templates"}
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, full, data); err != nil {
			return nil, cleanExecError(err)
		}
		out[full] = strings.ReplaceAll(buf.String(), "<no value>", "")
	}
	return out, nil
}

// cleanExecError shortens errors raised by fail/required to Helm's wording.
func cleanExecError(err error) error {
	msg := err.Error()
	if i := strings.Index(msg, "error calling fail: "); i >= 0 {
		return fmt.Errorf("execution error at (%s): %s", msg[len("template: "):strings.Index(msg, ": executing")], msg[i+len("error calling fail: "):])
	}
	if i := strings.Index(msg, "error calling required: "); i >= 0 {
		return fmt.Errorf("execution error at (%s): %s", msg[len("template: "):strings.Index(msg, ": executing")], msg[i+len("error calling required: "):])
	}
	return err
}

func funcMap(root *template.Template) template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	includedNames := map[string]int{}
	f["include"] = func(name string, data interface{}) (string, error) {
		if includedNames[name] > 1000 {
			return "", fmt.Errorf("rendering template has a nested reference name: %s", name)
		}
		includedNames[name]++
		defer func() { includedNames[name]-- }()
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, name, data); err != nil {
			return "", err
		}
		return buf.String(), nil
	}
	f["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := root.Clone()
		if err != nil {
			return "", err
		}
		t, err = t.New("tpl").Option("missingkey=zero").Parse(text)
		if err != nil {
			return "", fmt.Errorf("cannot parse template %q: %v", text, err)
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, data); err != nil {
			return "", fmt.Errorf("error during tpl function execution for %q: %v", text, err)
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
	f["required"] = func(warn string, val interface{}) (interface{}, error) {
		if val == nil {
			return val, errors.New(warn)
		}
		if s, ok := val.(string); ok && s == "" {
			return val, errors.New(warn)
		}
		return val, nil
	}
	f["lookup"] = func(apiVersion, kind, namespace, name string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	f["toYaml"] = func(v interface{}) string {
		s, err := toYAML(v)
		if err != nil {
			return ""
		}
		return strings.TrimSuffix(s, "\n")
	}
	f["fromYaml"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		v, err := parseYAML([]byte(s))
		if err != nil {
			m["Error"] = err.Error()
			return m
		}
		if mm, ok := v.(map[string]interface{}); ok {
			return mm
		}
		return m
	}
	f["fromYamlArray"] = func(s string) []interface{} {
		v, err := parseYAML([]byte(s))
		if err != nil {
			return []interface{}{err.Error()}
		}
		if a, ok := v.([]interface{}); ok {
			return a
		}
		return []interface{}{}
	}
	f["toJson"] = func(v interface{}) string {
		b, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		return string(b)
	}
	f["fromJson"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	f["fromJsonArray"] = func(s string) []interface{} {
		var a []interface{}
		if err := json.Unmarshal([]byte(s), &a); err != nil {
			return []interface{}{err.Error()}
		}
		return a
	}
	return f
}

// toYAML marshals like sigs.k8s.io/yaml (Helm's toYaml): through JSON, so map keys are
// sorted and integral numbers print as integers.
func toYAML(v interface{}) (string, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var generic interface{}
	if err := dec.Decode(&generic); err != nil {
		return "", err
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(numbersFromJSON(generic)); err != nil {
		return "", err
	}
	enc.Close()
	return buf.String(), nil
}

func numbersFromJSON(v interface{}) interface{} {
	switch t := v.(type) {
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i
		}
		f, _ := t.Float64()
		return f
	case map[string]interface{}:
		for k, x := range t {
			t[k] = numbersFromJSON(x)
		}
	case []interface{}:
		for i, x := range t {
			t[i] = numbersFromJSON(x)
		}
	}
	return v
}

// --- values ---

func readYAMLFile(path string) (interface{}, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	v, err := parseYAML(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return v, nil
}

// parseYAML decodes YAML into the shapes Helm sees after its YAML -> JSON conversion:
// map[string]interface{}, []interface{}, string, bool, float64, nil.
func parseYAML(data []byte) (interface{}, error) {
	var v interface{}
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	return jsonShape(v)
}

func jsonShape(v interface{}) (interface{}, error) {
	switch t := v.(type) {
	case map[string]interface{}:
		out := map[string]interface{}{}
		for k, x := range t {
			c, err := jsonShape(x)
			if err != nil {
				return nil, err
			}
			out[k] = c
		}
		return out, nil
	case map[interface{}]interface{}:
		out := map[string]interface{}{}
		for k, x := range t {
			c, err := jsonShape(x)
			if err != nil {
				return nil, err
			}
			out[fmt.Sprint(k)] = c
		}
		return out, nil
	case []interface{}:
		out := make([]interface{}, len(t))
		for i, x := range t {
			c, err := jsonShape(x)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case int:
		return float64(t), nil
	case int64:
		return float64(t), nil
	case uint64:
		return float64(t), nil
	case float64:
		if math.IsInf(t, 0) || math.IsNaN(t) {
			return nil, fmt.Errorf("%v cannot be represented in JSON", t)
		}
		return t, nil
	case string, bool, nil:
		return t, nil
	default:
		return fmt.Sprint(t), nil
	}
}

// mergeMaps merges src into dst (for --values files): maps merge, the rest replaces.
func mergeMaps(dst, src map[string]interface{}) map[string]interface{} {
	out := map[string]interface{}{}
	for k, v := range dst {
		out[k] = v
	}
	for k, v := range src {
		if sm, ok := v.(map[string]interface{}); ok {
			if dm, ok := out[k].(map[string]interface{}); ok {
				out[k] = mergeMaps(dm, sm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// coalesce applies user values over the chart defaults like Helm's CoalesceValues: maps
// merge recursively, other user values replace, a user null deletes the default.
func coalesce(user, defaults map[string]interface{}) map[string]interface{} {
	out := map[string]interface{}{}
	for k, v := range defaults {
		out[k] = v
	}
	for k, v := range user {
		if v == nil {
			delete(out, k)
			continue
		}
		if um, ok := v.(map[string]interface{}); ok {
			if dm, ok := out[k].(map[string]interface{}); ok {
				out[k] = coalesce(um, dm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// applySet applies "a.b.c=value[,x.y=value]" like helm --set for scalar values: true and
// false are booleans, integers int64, null deletes, anything else a string.
func applySet(values map[string]interface{}, expr string) error {
	for _, pair := range splitUnescaped(expr, ',') {
		eq := strings.IndexByte(pair, '=')
		if eq <= 0 {
			return errors.New("expected PATH=VALUE")
		}
		path := splitUnescaped(pair[:eq], '.')
		raw := pair[eq+1:]
		var val interface{} = raw
		switch {
		case raw == "true":
			val = true
		case raw == "false":
			val = false
		case raw == "null":
			val = nil
		default:
			if i, err := strconv.ParseInt(raw, 10, 64); err == nil && (raw == "0" || !strings.HasPrefix(raw, "0")) {
				val = i
			}
		}
		m := values
		for _, key := range path[:len(path)-1] {
			next, ok := m[key].(map[string]interface{})
			if !ok {
				next = map[string]interface{}{}
				m[key] = next
			}
			m = next
		}
		m[path[len(path)-1]] = val
	}
	return nil
}

func splitUnescaped(s string, sep byte) []string {
	var parts []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && s[i+1] == sep {
			cur.WriteByte(sep)
			i++
			continue
		}
		if s[i] == sep {
			parts = append(parts, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteByte(s[i])
	}
	return append(parts, cur.String())
}

// --- JSON Schema (draft-07 subset) ---

func validate(schema, v interface{}, path string) []string {
	s, ok := schema.(map[string]interface{})
	if !ok {
		return nil
	}
	name := path
	if name == "" {
		name = "(root)"
	}
	var errs []string
	if t, ok := s["type"]; ok {
		types := []string{}
		switch tt := t.(type) {
		case string:
			types = append(types, tt)
		case []interface{}:
			for _, x := range tt {
				types = append(types, fmt.Sprint(x))
			}
		}
		matched := false
		for _, ty := range types {
			if isType(v, ty) {
				matched = true
			}
		}
		if !matched {
			return []string{fmt.Sprintf("%s: Invalid type. Expected: %s, given: %s", name, strings.Join(types, " or "), typeName(v))}
		}
	}
	if e, ok := s["enum"].([]interface{}); ok {
		found := false
		quoted := []string{}
		for _, x := range e {
			if jsonEqual(x, v) {
				found = true
			}
			b, _ := json.Marshal(x)
			quoted = append(quoted, string(b))
		}
		if !found {
			errs = append(errs, fmt.Sprintf("%s: %s must be one of the following: %s", name, name, strings.Join(quoted, ", ")))
		}
	}
	if c, ok := s["const"]; ok && !jsonEqual(c, v) {
		errs = append(errs, fmt.Sprintf("%s: does not match: %v", name, c))
	}
	switch t := v.(type) {
	case string:
		if p, ok := s["pattern"].(string); ok {
			re, err := regexp.Compile(p)
			if err != nil {
				errs = append(errs, fmt.Sprintf("%s: schema pattern %q: %v", name, p, err))
			} else if !re.MatchString(t) {
				errs = append(errs, fmt.Sprintf("%s: Does not match pattern '%s'", name, p))
			}
		}
		if n, ok := s["minLength"].(float64); ok && float64(len([]rune(t))) < n {
			errs = append(errs, fmt.Sprintf("%s: String length must be greater than or equal to %v", name, n))
		}
		if n, ok := s["maxLength"].(float64); ok && float64(len([]rune(t))) > n {
			errs = append(errs, fmt.Sprintf("%s: String length must be less than or equal to %v", name, n))
		}
	case map[string]interface{}:
		props, _ := s["properties"].(map[string]interface{})
		if req, ok := s["required"].([]interface{}); ok {
			for _, r := range req {
				if _, ok := t[r.(string)]; !ok {
					errs = append(errs, fmt.Sprintf("%s: %s is required", name, r))
				}
			}
		}
		for _, k := range sortedKeys(t) {
			child := k
			if path != "" {
				child = path + "." + k
			}
			if pn, ok := s["propertyNames"]; ok {
				for _, e := range validate(pn, k, child) {
					errs = append(errs, "property name "+e)
				}
			}
			if ps, ok := props[k]; ok {
				errs = append(errs, validate(ps, t[k], child)...)
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					errs = append(errs, fmt.Sprintf("%s: Additional property %s is not allowed", name, k))
				}
			case map[string]interface{}:
				errs = append(errs, validate(ap, t[k], child)...)
			}
		}
	case []interface{}:
		if items, ok := s["items"]; ok {
			for i, x := range t {
				errs = append(errs, validate(items, x, fmt.Sprintf("%s.%d", name, i))...)
			}
		}
	}
	if n, ok := toFloat(v); ok {
		if min, ok := s["minimum"].(float64); ok && n < min {
			errs = append(errs, fmt.Sprintf("%s: Must be greater than or equal to %v", name, min))
		}
		if max, ok := s["maximum"].(float64); ok && n > max {
			errs = append(errs, fmt.Sprintf("%s: Must be less than or equal to %v", name, max))
		}
	}
	if all, ok := s["allOf"].([]interface{}); ok {
		for _, sub := range all {
			errs = append(errs, validate(sub, v, path)...)
		}
	}
	if any, ok := s["anyOf"].([]interface{}); ok {
		okCount := 0
		for _, sub := range any {
			if len(validate(sub, v, path)) == 0 {
				okCount++
			}
		}
		if okCount == 0 {
			errs = append(errs, fmt.Sprintf("%s: Must validate at least one schema (anyOf)", name))
		}
	}
	if one, ok := s["oneOf"].([]interface{}); ok {
		okCount := 0
		for _, sub := range one {
			if len(validate(sub, v, path)) == 0 {
				okCount++
			}
		}
		if okCount != 1 {
			errs = append(errs, fmt.Sprintf("%s: Must validate one and only one schema (oneOf)", name))
		}
	}
	return errs
}

func toFloat(v interface{}) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	}
	return 0, false
}

func isType(v interface{}, ty string) bool {
	switch ty {
	case "object":
		_, ok := v.(map[string]interface{})
		return ok
	case "array":
		_, ok := v.([]interface{})
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "null":
		return v == nil
	case "number":
		_, ok := toFloat(v)
		return ok
	case "integer":
		n, ok := toFloat(v)
		return ok && n == math.Trunc(n)
	}
	return false
}

func typeName(v interface{}) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]interface{}:
		return "object"
	case []interface{}:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	}
	if n, ok := toFloat(v); ok {
		if n == math.Trunc(n) {
			return "integer"
		}
		return "number"
	}
	return reflect.TypeOf(v).String()
}

func jsonEqual(a, b interface{}) bool {
	if x, ok := toFloat(a); ok {
		y, ok := toFloat(b)
		return ok && x == y
	}
	return reflect.DeepEqual(a, b)
}

func sortedKeys[T any](m map[string]T) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
