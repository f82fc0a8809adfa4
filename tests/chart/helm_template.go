// helm_template renders a Helm chart as `helm template` does, with the engine Helm uses: Go's
// text/template, the sprig function library, and Helm's own functions the kcau chart uses
// (include, required, toYaml, fromYaml, tpl). Helm itself cannot be installed on the build
// machine; this keeps the chart's tests on the real template engine rather than a look-alike.
//
// Usage:
//
//	helm_template [--release NAME] [--namespace NS] [--include-crds] [-f values.yaml]...
//	              [--set key.path=value]... CHART_DIR
//
// Values are merged as Helm merges them: the chart's values.yaml, then each -f file, then each
// --set (a dotted path; the value parsed as YAML, so `true`, `3` and `[a, b]` keep their type).
// Templates run with missingkey=zero and "<no value>" removed, as Helm's non-strict mode.
// Output: every rendered document that is not empty, each headed by `# Source:` like Helm's.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"gopkg.in/yaml.v3"
)

type chartMeta struct {
	Name       string `yaml:"name"`
	Version    string `yaml:"version"`
	AppVersion string `yaml:"appVersion"`
}

// chartFiles is .Files: the chart's non-template files, read by path relative to the chart.
type chartFiles struct{ dir string }

func (f chartFiles) Get(name string) string {
	body, err := os.ReadFile(filepath.Join(f.dir, filepath.FromSlash(name)))
	if err != nil {
		return ""
	}
	return string(body)
}

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	release, namespace := "kcau", "kcau-system"
	includeCRDs := false
	var valueFiles, sets stringList
	var chartDir string
	for i := 0; i < len(args); i++ {
		next := func() (string, error) {
			if i+1 >= len(args) {
				return "", fmt.Errorf("%s needs a value", args[i])
			}
			i++
			return args[i], nil
		}
		var err error
		switch args[i] {
		case "--release":
			release, err = next()
		case "--namespace", "-n":
			namespace, err = next()
		case "--include-crds":
			includeCRDs = true
		case "-f", "--values":
			var v string
			v, err = next()
			valueFiles = append(valueFiles, v)
		case "--set":
			var v string
			v, err = next()
			sets = append(sets, v)
		default:
			if strings.HasPrefix(args[i], "-") {
				return fmt.Errorf("unknown flag %s", args[i])
			}
			chartDir = args[i]
		}
		if err != nil {
			return err
		}
	}
	if chartDir == "" {
		return errors.New("no chart directory given")
	}

	var meta chartMeta
	if err := readYAML(filepath.Join(chartDir, "Chart.yaml"), &meta); err != nil {
		return err
	}
	values := map[string]interface{}{}
	if err := readYAML(filepath.Join(chartDir, "values.yaml"), &values); err != nil {
		return err
	}
	for _, f := range valueFiles {
		override := map[string]interface{}{}
		if err := readYAML(f, &override); err != nil {
			return err
		}
		values = mergeValues(values, override)
	}
	for _, s := range sets {
		if err := setValue(values, s); err != nil {
			return err
		}
	}

	top := map[string]interface{}{
		"Values": values,
		"Release": map[string]interface{}{
			"Name": release, "Namespace": namespace, "Service": "Helm",
			"IsInstall": true, "IsUpgrade": false, "Revision": 1,
		},
		"Chart": map[string]interface{}{
			"Name": meta.Name, "Version": meta.Version, "AppVersion": meta.AppVersion,
		},
		"Files": chartFiles{chartDir},
		"Capabilities": map[string]interface{}{
			"KubeVersion": map[string]interface{}{"Version": "v1.33.0", "Major": "1", "Minor": "33"},
		},
	}

	out := &bytes.Buffer{}
	if includeCRDs {
		crds, _ := filepath.Glob(filepath.Join(chartDir, "crds", "*.yaml"))
		sort.Strings(crds)
		for _, c := range crds {
			body, err := os.ReadFile(c)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(filepath.Dir(chartDir), c)
			fmt.Fprintf(out, "---\n# Source: %s\n%s", rel, ensureNewline(string(body)))
		}
	}
	rendered, err := renderTemplates(chartDir, top)
	if err != nil {
		return err
	}
	out.WriteString(rendered)
	_, err = os.Stdout.Write(out.Bytes())
	return err
}

// renderTemplates parses every file of templates/ into one template set (so `define`s in
// _helpers.tpl are visible to all), then executes each file not starting with "_".
func renderTemplates(chartDir string, top map[string]interface{}) (string, error) {
	files, _ := filepath.Glob(filepath.Join(chartDir, "templates", "*"))
	sort.Strings(files)
	root := template.New("chart")
	root.Option("missingkey=zero")
	root.Funcs(funcMap(root))
	chartName := filepath.Base(filepath.Clean(chartDir))
	var names []string
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		name := chartName + "/templates/" + filepath.Base(f)
		if _, err := root.New(name).Parse(string(body)); err != nil {
			return "", err
		}
		if !strings.HasPrefix(filepath.Base(f), "_") &&
			(strings.HasSuffix(f, ".yaml") || strings.HasSuffix(f, ".yml")) {
			names = append(names, name)
		}
	}
	var out strings.Builder
	for _, name := range names {
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, name, top); err != nil {
			return "", err
		}
		text := strings.ReplaceAll(buf.String(), "<no value>", "")
		for _, doc := range splitDocuments(text) {
			fmt.Fprintf(&out, "---\n# Source: %s\n%s", name, ensureNewline(doc))
		}
	}
	return out.String(), nil
}

// funcMap is sprig's text functions without env/expandenv (Helm removes them) plus Helm's own.
func funcMap(root *template.Template) template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	f["include"] = func(name string, data interface{}) (string, error) {
		var buf bytes.Buffer
		err := root.ExecuteTemplate(&buf, name, data)
		return buf.String(), err
	}
	f["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := root.Clone()
		if err != nil {
			return "", err
		}
		t, err = t.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		err = t.Execute(&buf, data)
		return strings.ReplaceAll(buf.String(), "<no value>", ""), err
	}
	f["required"] = func(message string, v interface{}) (interface{}, error) {
		if v == nil {
			return nil, errors.New(message)
		}
		if s, ok := v.(string); ok && s == "" {
			return nil, errors.New(message)
		}
		return v, nil
	}
	f["toYaml"] = func(v interface{}) string {
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(v); err != nil {
			return ""
		}
		return strings.TrimSuffix(buf.String(), "\n")
	}
	f["fromYaml"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := yaml.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	return f
}

// splitDocuments splits a rendered file at "---" lines and drops documents holding only
// whitespace and comments, as Helm does not install them.
func splitDocuments(text string) []string {
	var docs []string
	var cur []string
	flush := func() {
		doc := strings.Join(cur, "\n")
		cur = nil
		for _, line := range strings.Split(doc, "\n") {
			t := strings.TrimSpace(line)
			if t != "" && !strings.HasPrefix(t, "#") {
				docs = append(docs, strings.TrimLeft(doc, "\n"))
				return
			}
		}
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.TrimRight(line, " ") == "---" {
			flush()
			continue
		}
		cur = append(cur, line)
	}
	flush()
	return docs
}

func ensureNewline(s string) string {
	if strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}

func readYAML(path string, into interface{}) error {
	body, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(body, into); err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	return nil
}

// mergeValues merges override into base as Helm does: maps merge key by key, anything else
// (lists included) is replaced; a null in the override deletes the key.
func mergeValues(base, override map[string]interface{}) map[string]interface{} {
	for k, v := range override {
		if v == nil {
			delete(base, k)
			continue
		}
		if om, ok := v.(map[string]interface{}); ok {
			if bm, ok := base[k].(map[string]interface{}); ok {
				base[k] = mergeValues(bm, om)
				continue
			}
		}
		base[k] = v
	}
	return base
}

func setValue(values map[string]interface{}, assignment string) error {
	eq := strings.Index(assignment, "=")
	if eq <= 0 {
		return fmt.Errorf("--set %q: expected key.path=value", assignment)
	}
	path := strings.Split(assignment[:eq], ".")
	var v interface{}
	if err := yaml.Unmarshal([]byte(assignment[eq+1:]), &v); err != nil {
		return fmt.Errorf("--set %q: %v", assignment, err)
	}
	m := values
	for _, key := range path[:len(path)-1] {
		child, ok := m[key].(map[string]interface{})
		if !ok {
			child = map[string]interface{}{}
			m[key] = child
		}
		m = child
	}
	m[path[len(path)-1]] = v
	return nil
}
