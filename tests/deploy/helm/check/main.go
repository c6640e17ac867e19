// vigil-chart-check renders the Vigil chart (deploy/helm/vigil) with vigil-render under
// default and non-default values, parses every rendered document and checks what a
// cluster would otherwise only reveal at install time: the sensor's privileges and host
// mounts, flags against mounts and ports, selectors against labels, references between
// objects (Secrets, ConfigMaps, claims, ServiceAccounts, PriorityClass), certificates
// against the names the sensors dial, each sensor's identity (a projected service-account
// token naming its node, the controller's token flags, RBAC and access grants, or the
// shared-certificate downgrade), the rules ConfigMap against deploy/rules, and that bad
// values are refused with a clear error. See scripts/check-chart.sh.
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

var (
	renderBin = flag.String("render", "", "vigil-render binary")
	chartDir  = flag.String("chart", "deploy/helm/vigil", "chart directory")
	rulesPack = flag.String("rules-pack", "deploy/rules/vigil_rules.yaml", "the default rule pack")
	casesDir  = flag.String("cases", "tests/deploy/helm/values", "values files of the cases")
	workDir   = flag.String("work", "", "directory for rendered output (default: a temp dir)")
	verbose   = flag.Bool("v", false, "list every check")
)

type obj = map[string]interface{}

// expect describes one rendering and what must hold in it.
type expect struct {
	name        string
	files       []string // values files under --cases
	sets        []string
	release     string
	namespace   string
	apiVersion  []string
	kubeVersion string // --kube-version of the rendering

	// Sensor identity (identity.*): "serviceAccountToken" or "sharedCertificate".
	identity    string
	audience    string
	tokenExpiry int
	issuer      string
	sensorSA    string // the sensors' ServiceAccount ("" = <fullname>-sensor)

	privileged   bool
	tlsMode      string
	sensorCN     string
	adminCN      string
	criSocket    string // "" = no CRI socket
	spoolHost    string
	sensorPort   int
	ctrlPort     int
	grpcPort     int
	tracefsRW    bool
	monitoring   bool
	netpol       bool
	prioClass    bool
	pvc          bool
	existingPVC  string
	customRules  []string
	defaultRules bool
	grants       []string
	extraDNS     []string

	// Probe-module signing keys (sensor.moduleKeys): "" (none: no --module-keys),
	// "chart" (publicKeys: the chart's Secret holds moduleKeyFiles) or "existing"
	// (existingSecret). moduleKeysSecret: the Secret the sensors mount.
	moduleKeys       string
	moduleKeysSecret string
	moduleKeyFiles   []string

	// wantErr: rendering must fail and stderr must contain every string.
	wantErr []string
}

func baseExpect(name string) expect {
	return expect{name: name, release: "vigil", namespace: "vigil-system", tlsMode: "generate",
		kubeVersion: "v1.30.0", identity: "serviceAccountToken", audience: "vigil-controller", tokenExpiry: 3600,
		sensorCN: "vigil-sensor", adminCN: "vigil-admin", criSocket: "/run/containerd/containerd.sock",
		spoolHost: "/var/lib/vigil/spool", sensorPort: 9470, ctrlPort: 9471, grpcPort: 7443,
		pvc: true, defaultRules: true}
}

func cases() []expect {
	var cs []expect

	cs = append(cs, baseExpect("default"))

	e := baseExpect("privileged")
	e.files = []string{"privileged.yaml"}
	e.privileged, e.criSocket, e.tracefsRW = true, "", true
	e.extraDNS = []string{"vigil.internal"}
	cs = append(cs, e)

	e = baseExpect("cert-manager")
	e.files = []string{"cert-manager.yaml"}
	e.release, e.namespace = "sec", "security"
	e.tlsMode, e.sensorCN, e.adminCN, e.grpcPort = "certManager", "node-sensor", "secops-admin", 8443
	e.extraDNS = []string{"vigil.example.com"}
	e.apiVersion = []string{"cert-manager.io/v1"}
	cs = append(cs, e)

	e = baseExpect("existing")
	e.files = []string{"existing.yaml"}
	e.tlsMode, e.sensorCN, e.adminCN = "existing", "sensor.nodes.example", "admin.example"
	e.criSocket, e.spoolHost = "/var/run/crio/crio.sock", "/var/lib/corp/vigil-spool"
	e.sensorPort, e.ctrlPort, e.pvc = 19470, 19471, false
	e.grants = []string{"reader cert siem-forwarder",
		"reader token sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}
	cs = append(cs, e)

	e = baseExpect("monitoring")
	e.files = []string{"monitoring.yaml"}
	e.monitoring, e.netpol, e.prioClass, e.existingPVC = true, true, true, "vigil-alerts"
	e.apiVersion = []string{"monitoring.coreos.com/v1"}
	cs = append(cs, e)

	e = baseExpect("custom-rules")
	e.files = []string{"custom-rules.yaml"}
	e.customRules = []string{"local-tuning", "crypto-miners"}
	cs = append(cs, e)

	// Overrides through --set (helm --set semantics) on top of a file.
	e = baseExpect("set-overrides")
	e.files = []string{"custom-rules.yaml"}
	e.sets = []string{"rules.default=false", "sensor.criSocket=/run/k3s/containerd/containerd.sock",
		"controller.metricsPort=9999,sensor.metricsPort=9998"}
	e.customRules = []string{"local-tuning", "crypto-miners"}
	e.defaultRules, e.criSocket, e.ctrlPort, e.sensorPort = false, "/run/k3s/containerd/containerd.sock", 9999, 9998
	cs = append(cs, e)

	e = baseExpect("tracefs-mount")
	e.sets = []string{"sensor.tracefs.mountIfMissing=true"}
	e.tracefsRW = true
	cs = append(cs, e)

	// The downgrade: one certificate for every sensor, granted sensor-any.
	e = baseExpect("shared-certificate")
	e.files = []string{"shared-certificate.yaml"}
	e.identity = "sharedCertificate"
	cs = append(cs, e)

	e = baseExpect("shared-certificate-cert-manager")
	e.files = []string{"cert-manager.yaml", "shared-certificate.yaml"}
	e.identity = "sharedCertificate"
	e.release, e.namespace = "sec", "security"
	e.tlsMode, e.sensorCN, e.adminCN, e.grpcPort = "certManager", "node-sensor", "secops-admin", 8443
	e.extraDNS = []string{"vigil.example.com"}
	e.apiVersion = []string{"cert-manager.io/v1"}
	cs = append(cs, e)

	e = baseExpect("shared-certificate-existing")
	e.files = []string{"existing.yaml", "shared-certificate.yaml"}
	e.identity = "sharedCertificate"
	e.tlsMode, e.sensorCN, e.adminCN = "existing", "sensor.nodes.example", "admin.example"
	e.criSocket, e.spoolHost = "/var/run/crio/crio.sock", "/var/lib/corp/vigil-spool"
	e.sensorPort, e.ctrlPort, e.pvc = 19470, 19471, false
	e.grants = []string{"reader cert siem-forwarder",
		"reader token sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}
	cs = append(cs, e)

	// Token identity with every identity value changed and a named sensor ServiceAccount.
	e = baseExpect("identity-overrides")
	e.sets = []string{"identity.audience=vigil.example/sensors,identity.tokenExpirationSeconds=7200",
		"identity.issuer=https://oidc.example/cluster-1", "sensor.serviceAccount.name=node-watch"}
	e.audience, e.tokenExpiry, e.issuer, e.sensorSA = "vigil.example/sensors", 7200, "https://oidc.example/cluster-1", "node-watch"
	cs = append(cs, e)

	// Kubernetes 1.29: tokens do not name the node yet; NOTES.txt says so.
	e = baseExpect("kubernetes-1.29")
	e.kubeVersion = "v1.29.4"
	cs = append(cs, e)

	// Signing keys of probe-module bundles, from the chart's Secret or an existing one.
	e = baseExpect("module-keys")
	e.files = []string{"module-keys.yaml"}
	e.moduleKeys, e.moduleKeysSecret, e.moduleKeyFiles = "chart", "vigil-module-keys", []string{"release-signing.pem"}
	cs = append(cs, e)

	e = baseExpect("module-keys-existing")
	e.sets = []string{"sensor.moduleKeys.existingSecret=corp-vigil-module-keys"}
	e.moduleKeys, e.moduleKeysSecret = "existing", "corp-vigil-module-keys"
	cs = append(cs, e)

	// The chart's key Secret beside cert-manager's (which otherwise renders no Secret).
	e = baseExpect("module-keys-cert-manager")
	e.files = []string{"cert-manager.yaml", "module-keys.yaml"}
	e.release, e.namespace = "sec", "security"
	e.tlsMode, e.sensorCN, e.adminCN, e.grpcPort = "certManager", "node-sensor", "secops-admin", 8443
	e.extraDNS = []string{"vigil.example.com"}
	e.apiVersion = []string{"cert-manager.io/v1"}
	e.moduleKeys, e.moduleKeysSecret, e.moduleKeyFiles = "chart", "sec-vigil-module-keys", []string{"release-signing.pem"}
	cs = append(cs, e)

	bad := func(name string, files, sets []string, want ...string) expect {
		b := baseExpect(name)
		b.files, b.sets, b.wantErr = files, sets, want
		return b
	}
	cs = append(cs,
		bad("reject-tls-mode", []string{"bad-tls-mode.yaml"}, nil,
			"tls.mode", `must be one of the following: "generate", "certManager", "existing"`),
		bad("reject-replicas", []string{"bad-replicas.yaml"}, nil,
			"controller.replicas", "less than or equal to 1"),
		bad("reject-unknown-key", []string{"bad-typo.yaml"}, nil,
			"Additional property priviledged is not allowed"),
		bad("reject-port-type", nil, []string{"sensor.metricsPort=metrics"},
			"sensor.metricsPort", "Invalid type. Expected: integer, given: string"),
		bad("reject-grant", nil, []string{"access.grants=x"},
			"access.grants", "Invalid type. Expected: array"),
		bad("reject-existing-without-secrets", []string{"bad-existing.yaml"}, nil,
			"tls.existing.controllerSecret is required when tls.mode is existing"),
		bad("reject-identity-mode", []string{"bad-identity-mode.yaml"}, nil,
			"identity.mode", `must be one of the following: "serviceAccountToken", "sharedCertificate"`),
		bad("reject-token-lifetime", nil, []string{"identity.tokenExpirationSeconds=172800"},
			"identity.tokenExpirationSeconds", "Must be less than or equal to 86400"),
		bad("reject-short-token-lifetime", nil, []string{"identity.tokenExpirationSeconds=300"},
			"identity.tokenExpirationSeconds", "Must be greater than or equal to 600"),
		bad("reject-sensor-cert-wildcard", []string{"bad-sensor-grant.yaml"}, nil,
			"access.grants.0", "Does not match pattern"),
		bad("reject-default-serviceaccount", nil, []string{"sensor.serviceAccount.create=false"},
			"identity.mode serviceAccountToken needs a ServiceAccount of the sensors' own"),
		bad("reject-module-keys-both", []string{"bad-module-keys.yaml"}, nil,
			"sensor.moduleKeys: set existingSecret or publicKeys, not both"),
		bad("reject-module-key-name", []string{"bad-module-key-name.yaml"}, nil,
			"sensor.moduleKeys.publicKeys", `"release-signing.pub" is not a key file name`, `must end in ".pem"`),
		bad("reject-module-private-key", nil,
			[]string{"sensor.moduleKeys.publicKeys.signing\\.pem=-----BEGIN PRIVATE KEY-----"},
			"sensor.moduleKeys.publicKeys: signing.pem holds a PRIVATE key"),
		bad("reject-module-key-not-pem", nil,
			[]string{"sensor.moduleKeys.publicKeys.signing\\.pem=MCowBQYDK2VwAyEA"},
			"sensor.moduleKeys.publicKeys: signing.pem is not a PEM public key"),
		bad("reject-module-keys-secret-name", nil, []string{"sensor.moduleKeys.existingSecret=Corp_Keys"},
			"sensor.moduleKeys.existingSecret", "Does not match pattern"),
	)
	return cs
}

// --- reporting ---

type checker struct {
	cs       string
	failures []string
	passes   int
}

func (c *checker) check(ok bool, format string, args ...interface{}) bool {
	msg := fmt.Sprintf(format, args...)
	if ok {
		c.passes++
		if *verbose {
			fmt.Printf("  ok   [%s] %s\n", c.cs, msg)
		}
	} else {
		c.failures = append(c.failures, fmt.Sprintf("[%s] %s", c.cs, msg))
		fmt.Printf("  FAIL [%s] %s\n", c.cs, msg)
	}
	return ok
}

// --- YAML access ---

func get(v interface{}, keys ...string) interface{} {
	for _, k := range keys {
		m, ok := v.(obj)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func str(v interface{}, keys ...string) string {
	s, _ := get(v, keys...).(string)
	return s
}

func list(v interface{}, keys ...string) []interface{} {
	l, _ := get(v, keys...).([]interface{})
	return l
}

func strs(v interface{}, keys ...string) []string {
	var out []string
	for _, x := range list(v, keys...) {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

func boolean(v interface{}, keys ...string) bool {
	b, _ := get(v, keys...).(bool)
	return b
}

func num(v interface{}) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case float64:
		return int(n), true
	case string:
		i, err := strconv.Atoi(n)
		return i, err == nil
	}
	return 0, false
}

func labelsMatch(selector, labels obj) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if fmt.Sprint(labels[k]) != fmt.Sprint(v) {
			return false
		}
	}
	return true
}

func toObj(v interface{}) obj {
	m, _ := v.(obj)
	return m
}

// --- rendering ---

type doc struct {
	source string
	o      obj
}

type rendered struct {
	docs  []doc
	notes string
}

func (r *rendered) find(kind, name string) obj {
	for _, d := range r.docs {
		if str(d.o, "kind") == kind && str(d.o, "metadata", "name") == name {
			return d.o
		}
	}
	return nil
}

func (r *rendered) all(kind string) []obj {
	var out []obj
	for _, d := range r.docs {
		if str(d.o, "kind") == kind {
			out = append(out, d.o)
		}
	}
	return out
}

func render(e expect, out string) (*rendered, string, error) {
	args := []string{"--chart", *chartDir, "--release", e.release, "--namespace", e.namespace,
		"--output-dir", out, "--notes"}
	for _, f := range e.files {
		args = append(args, "--values", filepath.Join(*casesDir, f))
	}
	for _, s := range e.sets {
		args = append(args, "--set", s)
	}
	for _, a := range e.apiVersion {
		args = append(args, "--api-versions", a)
	}
	if e.kubeVersion != "" {
		args = append(args, "--kube-version", e.kubeVersion)
	}
	cmd := exec.Command(*renderBin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, stderr.String(), err
	}
	r := &rendered{}
	err := filepath.Walk(out, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, "NOTES.txt") {
			r.notes = string(data)
			return nil
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for i := 0; ; i++ {
			var v interface{}
			if err := dec.Decode(&v); err != nil {
				if err.Error() == "EOF" {
					break
				}
				return fmt.Errorf("%s: document %d does not parse as YAML: %v", p, i, err)
			}
			if v == nil {
				continue
			}
			o, ok := normalize(v).(obj)
			if !ok {
				return fmt.Errorf("%s: document %d is not a mapping", p, i)
			}
			r.docs = append(r.docs, doc{source: p, o: o})
		}
		return nil
	})
	return r, stderr.String(), err
}

func normalize(v interface{}) interface{} {
	switch t := v.(type) {
	case map[string]interface{}:
		for k, x := range t {
			t[k] = normalize(x)
		}
		return obj(t)
	case []interface{}:
		for i, x := range t {
			t[i] = normalize(x)
		}
	}
	return v
}

// --- checks ---

func main() {
	flag.Parse()
	if *renderBin == "" {
		fmt.Fprintln(os.Stderr, "usage: vigil-chart-check --render BIN [--chart DIR] [--rules-pack FILE] [--cases DIR]")
		os.Exit(2)
	}
	work := *workDir
	if work == "" {
		d, err := os.MkdirTemp("", "vigil-chart-check")
		if err != nil {
			panic(err)
		}
		defer os.RemoveAll(d)
		work = d
	}
	pack, err := os.ReadFile(*rulesPack)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}

	var failures []string
	passes, nCases := 0, 0
	// The chart's copy of the rule pack is the pack.
	{
		c := &checker{cs: "chart"}
		cp, err := os.ReadFile(filepath.Join(*chartDir, "rules", "vigil_rules.yaml"))
		c.check(err == nil && bytes.Equal(cp, pack),
			"%s/rules/vigil_rules.yaml is identical to %s (copy it again after editing the pack)", *chartDir, *rulesPack)
		failures, passes = append(failures, c.failures...), passes+c.passes
	}
	// The README's values table documents every value.
	{
		c := &checker{cs: "readme"}
		readme, err1 := os.ReadFile(filepath.Join(*chartDir, "README.md"))
		raw, err2 := os.ReadFile(filepath.Join(*chartDir, "values.yaml"))
		var values map[string]interface{}
		if c.check(err1 == nil && err2 == nil && yaml.Unmarshal(raw, &values) == nil, "README.md and values.yaml read") {
			for _, leaf := range leafPaths("", values) {
				documented := false
				for p := leaf; ; {
					if strings.Contains(string(readme), "| `"+p+"` |") {
						documented = true
						break
					}
					i := strings.LastIndexByte(p, '.')
					if i < 0 || !strings.Contains(p[:i], ".") {
						break // a table row per value, or per second-level group at least
					}
					p = p[:i]
				}
				c.check(documented, "README.md values table documents %s", leaf)
			}
		}
		failures, passes = append(failures, c.failures...), passes+c.passes
	}
	for _, e := range cases() {
		nCases++
		c := &checker{cs: e.name}
		out := filepath.Join(work, e.name)
		os.RemoveAll(out)
		r, stderr, err := render(e, out)
		if len(e.wantErr) > 0 {
			if c.check(err != nil, "rendering is refused") {
				for _, w := range e.wantErr {
					c.check(strings.Contains(stderr, w), "error names %q (got: %s)", w, strings.TrimSpace(stderr))
				}
			}
		} else if c.check(err == nil, "renders (%v) %s", err, strings.TrimSpace(stderr)) {
			checkAll(c, e, r, pack)
		}
		fmt.Printf("case %-32s %d checks, %d failed\n", e.name, c.passes+len(c.failures), len(c.failures))
		failures, passes = append(failures, c.failures...), passes+c.passes
	}
	fmt.Printf("\nvigil-chart-check: %d cases, %d checks passed, %d failed\n", nCases, passes, len(failures))
	if len(failures) > 0 {
		for _, f := range failures {
			fmt.Println("  FAIL " + f)
		}
		os.Exit(1)
	}
}

var dns1123 = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

func checkAll(c *checker, e expect, r *rendered, pack []byte) {
	c.check(len(r.docs) > 0, "renders documents")
	c.check(strings.Contains(r.notes, e.release), "NOTES.txt renders and names the release")
	fullname := e.release
	if !strings.Contains(e.release, "vigil") {
		fullname = e.release + "-vigil"
	}

	// Every document: a kind, an apiVersion, a valid unique name, labels that are labels.
	seen := map[string]bool{}
	for _, d := range r.docs {
		kind, name := str(d.o, "kind"), str(d.o, "metadata", "name")
		if !c.check(kind != "" && str(d.o, "apiVersion") != "", "%s: document has kind and apiVersion", d.source) {
			continue
		}
		c.check(name != "" && len(name) <= 63 && dns1123.MatchString(name), "%s %q: name is a DNS-1123 name", kind, name)
		key := kind + "/" + str(d.o, "metadata", "namespace") + "/" + name
		c.check(!seen[key], "%s is rendered once", key)
		seen[key] = true
		if kind == "PriorityClass" || kind == "ClusterRole" || kind == "ClusterRoleBinding" {
			c.check(get(d.o, "metadata", "namespace") == nil, "%s %s: cluster-scoped, no namespace", kind, name)
		} else {
			c.check(str(d.o, "metadata", "namespace") == e.namespace, "%s %s: in the release namespace", kind, name)
		}
		for k, v := range toObj(get(d.o, "metadata", "labels")) {
			s, isStr := v.(string)
			c.check(isStr && len(s) <= 63, "%s %s: label %s is a string of at most 63 characters", kind, name, k)
		}
	}

	sensor := r.find("DaemonSet", fullname+"-sensor")
	ctrl := r.find("Deployment", fullname+"-controller")
	svc := r.find("Service", fullname+"-controller")
	if !c.check(sensor != nil, "sensor DaemonSet %s-sensor rendered", fullname) ||
		!c.check(ctrl != nil, "controller Deployment %s-controller rendered", fullname) ||
		!c.check(svc != nil, "controller Service %s-controller rendered", fullname) {
		return
	}
	for _, w := range append(r.all("DaemonSet"), r.all("Deployment")...) {
		checkWorkload(c, e, r, w)
	}

	// Service -> controller pods, ports by name.
	ctrlPod := get(ctrl, "spec", "template")
	c.check(labelsMatch(toObj(get(svc, "spec", "selector")), toObj(get(ctrlPod, "metadata", "labels"))),
		"controller Service selector matches the controller pod labels")
	c.check(!labelsMatch(toObj(get(svc, "spec", "selector")), toObj(get(sensor, "spec", "template", "metadata", "labels"))),
		"controller Service selector does not match sensor pods")
	ctr := container(ctrlPod, "controller")
	ports := containerPorts(ctr)
	svcPorts := map[string]int{}
	for _, p := range list(svc, "spec", "ports") {
		tp := get(p, "targetPort")
		port, _ := num(get(p, "port"))
		svcPorts[str(p, "name")] = port
		if s, ok := tp.(string); ok {
			_, ok := ports[s]
			c.check(ok, "Service port %s: targetPort %q is a controller container port", str(p, "name"), s)
		}
	}
	c.check(svcPorts["grpc"] == e.grpcPort, "Service grpc port is %d (got %d)", e.grpcPort, svcPorts["grpc"])
	c.check(svcPorts["metrics"] == e.ctrlPort, "Service metrics port is %d", e.ctrlPort)
	c.check(str(svc, "spec", "selector", "app.kubernetes.io/component") == "controller", "Service selects the controller component")

	checkSensor(c, e, r, sensor, fullname, svc)
	checkController(c, e, r, ctrl, fullname)
	checkTLS(c, e, r, fullname, sensor, ctrl)
	checkIdentity(c, e, r, fullname, sensor, ctrl)
	checkRules(c, e, r, sensor, fullname, pack)
	checkMonitoring(c, e, r, fullname, sensor, ctrl, svc)
}

func container(pod interface{}, name string) obj {
	for _, ct := range list(pod, "spec", "containers") {
		if str(ct, "name") == name {
			return toObj(ct)
		}
	}
	return nil
}

func containerPorts(ct obj) map[string]int {
	out := map[string]int{}
	for _, p := range list(ct, "ports") {
		n, _ := num(get(p, "containerPort"))
		out[str(p, "name")] = n
	}
	return out
}

// flag returns the value after a flag in args ("" when absent) and how often it occurs.
func flagValue(args []string, name string) (string, int) {
	val, n := "", 0
	for i, a := range args {
		if a == name && i+1 < len(args) {
			val, n = args[i+1], n+1
		} else if strings.HasPrefix(a, name+"=") {
			val, n = strings.TrimPrefix(a, name+"="), n+1
		}
	}
	return val, n
}

// mountFor returns the volume mount whose mountPath holds the file or directory p.
func mountFor(ct obj, p string) obj {
	var best obj
	for _, m := range list(ct, "volumeMounts") {
		mp := str(m, "mountPath")
		if p == mp || strings.HasPrefix(p, strings.TrimSuffix(mp, "/")+"/") {
			if best == nil || len(mp) > len(str(best, "mountPath")) {
				best = toObj(m)
			}
		}
	}
	return best
}

func volume(pod interface{}, name string) obj {
	for _, v := range list(pod, "spec", "volumes") {
		if str(v, "name") == name {
			return toObj(v)
		}
	}
	return nil
}

// checkWorkload: selector vs labels, mounts vs volumes, references to other objects,
// probes vs ports.
func checkWorkload(c *checker, e expect, r *rendered, w obj) {
	kind, name := str(w, "kind"), str(w, "metadata", "name")
	pod := get(w, "spec", "template")
	sel := toObj(get(w, "spec", "selector", "matchLabels"))
	c.check(labelsMatch(sel, toObj(get(pod, "metadata", "labels"))), "%s %s: selector matches the pod template labels", kind, name)
	c.check(get(w, "spec", "selector", "matchExpressions") == nil, "%s %s: selector uses matchLabels only", kind, name)
	// Only the controller, and only to verify sensor tokens, gets an API credential.
	wantAutomount := kind == "Deployment" && e.identity == "serviceAccountToken"
	c.check(get(pod, "spec", "automountServiceAccountToken") == wantAutomount,
		"%s %s: automountServiceAccountToken is %v", kind, name, wantAutomount)
	sa := str(pod, "spec", "serviceAccountName")
	c.check(r.find("ServiceAccount", sa) != nil, "%s %s: ServiceAccount %q is rendered", kind, name, sa)

	volumes := map[string]obj{}
	for _, v := range list(pod, "spec", "volumes") {
		volumes[str(v, "name")] = toObj(v)
		if cm := str(v, "configMap", "name"); cm != "" {
			c.check(r.find("ConfigMap", cm) != nil, "%s %s: volume %s: ConfigMap %q is rendered", kind, name, str(v, "name"), cm)
		}
		if s := str(v, "secret", "secretName"); s != "" {
			keys := []string{"tls.crt", "tls.key", "ca.crt"}
			if items := list(v, "secret", "items"); len(items) > 0 {
				keys = nil
				for _, it := range items {
					keys = append(keys, str(it, "key"))
				}
			}
			c.check(secretProvided(e, r, s, keys), "%s %s: volume %s: Secret %q with keys %v is rendered, issued by a Certificate or configured as existing",
				kind, name, str(v, "name"), s, keys)
		}
		if pvc := str(v, "persistentVolumeClaim", "claimName"); pvc != "" {
			c.check(r.find("PersistentVolumeClaim", pvc) != nil || pvc == e.existingPVC,
				"%s %s: claim %q is rendered or is the configured existing claim", kind, name, pvc)
		}
	}
	used := map[string]bool{}
	for _, ct := range list(pod, "spec", "containers") {
		cname := str(ct, "name")
		c.check(boolean(ct, "securityContext", "readOnlyRootFilesystem"),
			"%s %s/%s: readOnlyRootFilesystem", kind, name, cname)
		for _, m := range list(ct, "volumeMounts") {
			used[str(m, "name")] = true
			c.check(volumes[str(m, "name")] != nil, "%s %s/%s: mount %s has a volume", kind, name, cname, str(m, "name"))
		}
		ports := containerPorts(toObj(ct))
		args := strs(ct, "args")
		metricsAddr, n := flagValue(args, "--metrics-address")
		c.check(n == 1, "%s %s/%s: --metrics-address given once", kind, name, cname)
		_, portStr, _ := net.SplitHostPort(metricsAddr)
		mport, _ := strconv.Atoi(portStr)
		c.check(ports["metrics"] == mport, "%s %s/%s: container port \"metrics\" (%d) is the --metrics-address port (%d)", kind, name, cname, ports["metrics"], mport)
		for probe, want := range map[string]string{"livenessProbe": "/healthz", "readinessProbe": "/readyz"} {
			p := get(ct, probe, "httpGet")
			pp := get(p, "port")
			port, isNum := num(pp)
			if s, ok := pp.(string); ok && !isNum {
				port = ports[s]
			}
			c.check(str(p, "path") == want && port == mport, "%s %s/%s: %s is GET %s on the metrics port %d (got %s on %v)",
				kind, name, cname, probe, want, mport, str(p, "path"), pp)
		}
		c.check(get(ct, "resources", "requests") != nil, "%s %s/%s: resource requests set", kind, name, cname)
	}
	for v := range volumes {
		c.check(used[v], "%s %s: volume %s is mounted", kind, name, v)
	}
}

func secretProvided(e expect, r *rendered, name string, keys []string) bool {
	if e.moduleKeys != "" && name == e.moduleKeysSecret {
		if e.moduleKeys == "existing" {
			return true
		}
		s := r.find("Secret", name)
		for _, k := range e.moduleKeyFiles {
			if get(s, "data", k) == nil {
				return false
			}
		}
		return s != nil
	}
	switch e.tlsMode {
	case "existing":
		return name == "corp-vigil-controller" || name == "corp-vigil-sensor"
	case "certManager":
		for _, cert := range r.all("Certificate") {
			if str(cert, "spec", "secretName") == name {
				return true
			}
		}
		return false
	}
	s := r.find("Secret", name)
	for _, k := range keys {
		if get(s, "data", k) == nil {
			return false
		}
	}
	return s != nil
}

func checkSensor(c *checker, e expect, r *rendered, ds obj, fullname string, svc obj) {
	pod := get(ds, "spec", "template")
	ct := container(pod, "sensor")
	if !c.check(ct != nil, "sensor container present") {
		return
	}
	c.check(boolean(pod, "spec", "hostPID"), "sensor: hostPID")
	c.check(!boolean(pod, "spec", "hostNetwork"), "sensor: not hostNetwork")
	sc := toObj(get(ct, "securityContext"))
	caps := strs(sc, "capabilities", "add")
	if e.privileged {
		c.check(boolean(sc, "privileged"), "sensor: privileged when sensor.privileged is true")
	} else {
		c.check(get(sc, "privileged") == false, "sensor: privileged is false")
		c.check(get(sc, "allowPrivilegeEscalation") == false, "sensor: allowPrivilegeEscalation is false")
		c.check(reflect.DeepEqual(strs(sc, "capabilities", "drop"), []string{"ALL"}), "sensor: capabilities drop [ALL]")
		want := []string{"BPF", "PERFMON", "SYS_RESOURCE", "SYS_PTRACE"}
		if e.tracefsRW {
			want = append(want, "SYS_ADMIN")
		}
		c.check(reflect.DeepEqual(caps, want),
			"sensor: capabilities add exactly %v (got %v)", want, caps)
	}
	c.check(str(ds, "spec", "updateStrategy", "type") == "RollingUpdate" &&
		get(ds, "spec", "updateStrategy", "rollingUpdate", "maxUnavailable") != nil, "sensor: RollingUpdate with maxUnavailable")
	tolerateAll := false
	for _, t := range list(pod, "spec", "tolerations") {
		if str(t, "operator") == "Exists" && str(t, "key") == "" && str(t, "effect") == "" {
			tolerateAll = true
		}
	}
	c.check(tolerateAll, "sensor: tolerates every taint (operator Exists)")
	pc := str(pod, "spec", "priorityClassName")
	if e.prioClass {
		c.check(r.find("PriorityClass", pc) != nil, "sensor: PriorityClass %q is rendered", pc)
	} else {
		c.check(pc == "system-node-critical", "sensor: priorityClassName system-node-critical (got %q)", pc)
	}

	args := strs(ct, "args")
	c.check(len(args) > 0 && args[0] == "vigil-sensor", "sensor: args start with vigil-sensor")
	for _, f := range []string{"--controller", "--controller-ca",
		"--controller-server-name", "--spool", "--spool-bytes", "--sensor-id", "--hostname", "--proc-root", "--rules", "--metrics-address"} {
		_, n := flagValue(args, f)
		c.check(n == 1, "sensor: %s given once", f)
	}
	// The credential: a token file (each node its own) or the shared certificate, never both.
	credFlags := map[string]int{}
	for _, f := range []string{"--controller-token-file", "--controller-cert", "--controller-key"} {
		_, credFlags[f] = flagValue(args, f)
	}
	if e.identity == "serviceAccountToken" {
		c.check(credFlags["--controller-token-file"] == 1, "sensor: --controller-token-file given once")
		c.check(credFlags["--controller-cert"] == 0 && credFlags["--controller-key"] == 0,
			"sensor: presents no client certificate (no --controller-cert/--controller-key)")
	} else {
		c.check(credFlags["--controller-token-file"] == 0, "sensor: no --controller-token-file with sharedCertificate")
		c.check(credFlags["--controller-cert"] == 1 && credFlags["--controller-key"] == 1,
			"sensor: --controller-cert and --controller-key given once (sharedCertificate)")
	}
	sid, _ := flagValue(args, "--sensor-id")
	nodeFromDownward := false
	for _, env := range list(ct, "env") {
		if str(env, "name") == "NODE_NAME" && str(env, "valueFrom", "fieldRef", "fieldPath") == "spec.nodeName" {
			nodeFromDownward = true
		}
	}
	c.check(sid == "$(NODE_NAME)" && nodeFromDownward, "sensor: --sensor-id is the node name (downward API spec.nodeName)")
	host, _ := flagValue(args, "--hostname")
	c.check(host == "$(NODE_NAME)", "sensor: --hostname is the node name")

	// Controller address: the Service's cluster DNS name and its gRPC port.
	ctl, _ := flagValue(args, "--controller")
	h, p, err := net.SplitHostPort(ctl)
	wantHost := fmt.Sprintf("%s.%s.svc", str(svc, "metadata", "name"), e.namespace)
	c.check(err == nil && h == wantHost, "sensor: --controller host is the Service DNS name %s (got %q)", wantHost, ctl)
	c.check(p == strconv.Itoa(e.grpcPort), "sensor: --controller port is the Service gRPC port %d (got %q)", e.grpcPort, p)

	// Host mounts: each hostPath present, of the right type, mounted where the flags say.
	hostMount := func(what, hostPath, mountPath string, readOnly bool, typ string) {
		m := mountFor(ct, mountPath)
		if !c.check(m != nil && str(m, "mountPath") == mountPath, "sensor: %s mounted at %s", what, mountPath) {
			return
		}
		v := volume(pod, str(m, "name"))
		c.check(str(v, "hostPath", "path") == hostPath, "sensor: %s is hostPath %s (got %q)", what, hostPath, str(v, "hostPath", "path"))
		if typ != "" {
			c.check(str(v, "hostPath", "type") == typ, "sensor: %s hostPath type %s", what, typ)
		}
		c.check(boolean(m, "readOnly") == readOnly, "sensor: %s readOnly=%v", what, readOnly)
	}
	hostMount("kernel BTF", "/sys/kernel/btf", "/sys/kernel/btf", true, "Directory")
	hostMount("tracefs", "/sys/kernel/tracing", "/sys/kernel/tracing", !e.tracefsRW, "Directory")
	if e.tracefsRW && !e.privileged {
		c.check(str(pod, "metadata", "annotations", "container.apparmor.security.beta.kubernetes.io/sensor") == "unconfined",
			"sensor: AppArmor unconfined so that mount(2) is allowed")
	}
	procRoot, _ := flagValue(args, "--proc-root")
	c.check(procRoot == "/host/proc", "sensor: --proc-root /host/proc")
	hostMount("host /proc", "/proc", procRoot, true, "Directory")
	hostMount("cgroup fs", "/sys/fs/cgroup", "/sys/fs/cgroup", true, "Directory")
	spool, _ := flagValue(args, "--spool")
	hostMount("spool", e.spoolHost, spool, false, "DirectoryOrCreate")
	if sb, _ := flagValue(args, "--spool-bytes"); true {
		_, err := strconv.ParseUint(sb, 10, 64)
		c.check(err == nil, "sensor: --spool-bytes is a plain integer (got %q)", sb)
	}
	cri, n := flagValue(args, "--cri-socket")
	if e.criSocket == "" {
		c.check(n == 0, "sensor: no --cri-socket when sensor.criSocket is empty")
		for _, v := range list(pod, "spec", "volumes") {
			c.check(str(v, "hostPath", "type") != "Socket", "sensor: no socket hostPath when sensor.criSocket is empty")
		}
	} else {
		c.check(cri == e.criSocket, "sensor: --cri-socket %s (got %q)", e.criSocket, cri)
		hostMount("CRI socket", e.criSocket, cri, false, "Socket")
	}
	// Rules from the ConfigMap.
	rules, _ := flagValue(args, "--rules")
	if m := mountFor(ct, rules); c.check(m != nil && str(m, "mountPath") == rules, "sensor: --rules %s is a mount", rules) {
		v := volume(pod, str(m, "name"))
		c.check(str(v, "configMap", "name") == fullname+"-rules", "sensor: rules mount is the %s-rules ConfigMap", fullname)
	}
	// TLS files from one secret volume: the CA, plus the shared client certificate in
	// sharedCertificate mode.
	if e.identity == "serviceAccountToken" {
		checkTLSFiles(c, "sensor", pod, ct, args, map[string]string{"--controller-ca": "ca.crt"})
		ca, _ := flagValue(args, "--controller-ca")
		if m := mountFor(ct, ca); m != nil {
			items := list(volume(pod, str(m, "name")), "secret", "items")
			c.check(len(items) == 1 && str(items[0], "key") == "ca.crt",
				"sensor: its TLS volume projects ca.crt only (got %v)", items)
		}
		checkTokenFile(c, e, pod, ct, args)
	} else {
		checkTLSFiles(c, "sensor", pod, ct, args, map[string]string{"--controller-ca": "ca.crt", "--controller-cert": "tls.crt", "--controller-key": "tls.key"})
		for _, v := range list(pod, "spec", "volumes") {
			for _, src := range list(v, "projected", "sources") {
				c.check(get(src, "serviceAccountToken") == nil, "sensor: no projected service-account token with sharedCertificate")
			}
		}
	}
	checkModuleKeys(c, e, r, pod, ct, args, fullname)
}

// tlsSecrets: the rendered Secrets other than the module keys' (which is no TLS material).
func tlsSecrets(e expect, r *rendered) []obj {
	var out []obj
	for _, s := range r.all("Secret") {
		if e.moduleKeys == "chart" && str(s, "metadata", "name") == e.moduleKeysSecret {
			continue
		}
		out = append(out, s)
	}
	return out
}

// checkModuleKeys: with sensor.moduleKeys set, --module-keys /etc/vigil/module-keys is a
// read-only mount of the whole key Secret (every *.pem key of it), and a chart-made Secret
// holds exactly the configured Ed25519 public keys (no private key); unset, no flag, no
// mount, no Secret (the sensor then refuses every bundle).
func checkModuleKeys(c *checker, e expect, r *rendered, pod interface{}, ct obj, args []string, fullname string) {
	const dir = "/etc/vigil/module-keys"
	keysDir, n := flagValue(args, "--module-keys")
	chartSecret := r.find("Secret", fullname+"-module-keys")
	annotation := get(pod, "metadata", "annotations", "checksum/module-keys")
	if e.moduleKeys == "" {
		c.check(n == 0, "sensor: no --module-keys without sensor.moduleKeys (got %q x%d)", keysDir, n)
		c.check(volume(pod, "module-keys") == nil && mountFor(ct, dir) == nil, "sensor: no module-keys volume or mount without sensor.moduleKeys")
		c.check(chartSecret == nil, "no Secret %s-module-keys without sensor.moduleKeys.publicKeys", fullname)
		c.check(annotation == nil, "sensor: no checksum/module-keys annotation without keys")
		return
	}
	c.check(n == 1 && keysDir == dir, "sensor: --module-keys %s given once (got %q x%d)", dir, keysDir, n)
	if i := indexOf(args, "--module-keys"); i >= 0 {
		c.check(i+1 < len(args) && args[i+1] == dir, "sensor: --module-keys is followed by %s as its own argument", dir)
	}
	m := mountFor(ct, keysDir)
	if c.check(m != nil && str(m, "mountPath") == dir, "sensor: --module-keys %s is a volume mount", dir) {
		c.check(str(m, "name") == "module-keys", "sensor: the module keys mount is volume module-keys (got %q)", str(m, "name"))
		c.check(boolean(m, "readOnly"), "sensor: the module keys mount is read-only")
		c.check(str(m, "subPath") == "", "sensor: the module keys mount has no subPath")
		v := volume(pod, str(m, "name"))
		c.check(str(v, "secret", "secretName") == e.moduleKeysSecret, "sensor: module keys come from Secret %s (got %q)", e.moduleKeysSecret, str(v, "secret", "secretName"))
		c.check(len(list(v, "secret", "items")) == 0, "sensor: the whole key Secret is mounted (no items: every *.pem key)")
		mode, ok := num(get(v, "secret", "defaultMode"))
		c.check(!ok || mode&0o222 == 0, "sensor: the module keys volume is not writable (defaultMode %o)", mode)
	}
	if e.moduleKeys == "existing" {
		c.check(chartSecret == nil, "existingSecret: the chart renders no Secret %s-module-keys", fullname)
		return
	}
	c.check(annotation != nil && fmt.Sprint(annotation) != "", "sensor: pods roll when the module keys change (checksum/module-keys; the sensor reads them at start)")
	if !c.check(chartSecret != nil && fullname+"-module-keys" == e.moduleKeysSecret, "Secret %s rendered", e.moduleKeysSecret) {
		return
	}
	data := toObj(get(chartSecret, "data"))
	names := make([]string, 0, len(data))
	for k := range data {
		names = append(names, k)
	}
	sort.Strings(names)
	want := append([]string(nil), e.moduleKeyFiles...)
	sort.Strings(want)
	c.check(reflect.DeepEqual(names, want), "Secret %s holds exactly the keys %v (got %v)", e.moduleKeysSecret, want, names)
	for _, k := range names {
		c.check(strings.HasSuffix(k, ".pem") && !strings.HasPrefix(k, "."), "module key %s is a *.pem name the sensor loads", k)
		raw, err := base64.StdEncoding.DecodeString(str(data, k))
		if !c.check(err == nil, "module key %s: base64 (%v)", k, err) {
			continue
		}
		c.check(!bytes.Contains(raw, []byte("PRIVATE KEY")), "module key %s holds no private key", k)
		block, rest := pem.Decode(raw)
		if !c.check(block != nil && block.Type == "PUBLIC KEY", "module key %s: a PEM PUBLIC KEY block", k) {
			continue
		}
		c.check(len(bytes.TrimSpace(rest)) == 0, "module key %s: one PEM block", k)
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		_, isEd := pub.(ed25519.PublicKey)
		c.check(err == nil && isEd, "module key %s: an Ed25519 public key (%v, %T)", k, err, pub)
	}
}

func indexOf(l []string, s string) int {
	for i, x := range l {
		if x == s {
			return i
		}
	}
	return -1
}

// checkTokenFile: --controller-token-file is the file "path" of a projected
// serviceAccountToken source with the configured audience and lifetime, mounted
// read-only; the pod mounts no other API credential.
func checkTokenFile(c *checker, e expect, pod interface{}, ct obj, args []string) {
	file, _ := flagValue(args, "--controller-token-file")
	m := mountFor(ct, file)
	if !c.check(m != nil && path.IsAbs(file), "sensor: --controller-token-file %s lies in a volume mount", file) {
		return
	}
	c.check(boolean(m, "readOnly"), "sensor: the token mount %s is read-only", str(m, "mountPath"))
	c.check(str(m, "subPath") == "", "sensor: the token mount has no subPath (a subPath mount never sees the kubelet's renewals)")
	rel := strings.TrimPrefix(file, strings.TrimSuffix(str(m, "mountPath"), "/")+"/")
	v := volume(pod, str(m, "name"))
	var tok obj
	for _, src := range list(v, "projected", "sources") {
		if t := toObj(get(src, "serviceAccountToken")); t != nil && str(t, "path") == rel {
			tok = t
		}
	}
	if !c.check(tok != nil, "sensor: %s is the path %q of a projected serviceAccountToken source of volume %s", file, rel, str(v, "name")) {
		return
	}
	c.check(str(tok, "audience") == e.audience, "sensor: token audience is %q (got %q)", e.audience, str(tok, "audience"))
	exp, _ := num(get(tok, "expirationSeconds"))
	c.check(exp == e.tokenExpiry, "sensor: token expirationSeconds is %d (got %d)", e.tokenExpiry, exp)
	c.check(exp >= 600 && exp <= 86400, "sensor: token lifetime %ds within the API server's minimum and the controller's one day", exp)
	// The token of the controller's audience is the only credential in the pod.
	tokens := 0
	for _, vol := range list(pod, "spec", "volumes") {
		for _, src := range list(vol, "projected", "sources") {
			if t := get(src, "serviceAccountToken"); t != nil {
				tokens++
				c.check(str(t, "audience") == e.audience, "sensor: every projected token is for the controller's audience, not the API server")
			}
		}
	}
	c.check(tokens == 1, "sensor: exactly one projected token (got %d)", tokens)
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// checkTLSFiles: each flag's file is in a secret volume mount, under the key expected.
func checkTLSFiles(c *checker, who string, pod interface{}, ct obj, args []string, files map[string]string) {
	flags := make([]string, 0, len(files))
	for f := range files {
		flags = append(flags, f)
	}
	sort.Strings(flags)
	for _, f := range flags {
		p, _ := flagValue(args, f)
		m := mountFor(ct, p)
		if !c.check(m != nil, "%s: %s %s lies in a volume mount", who, f, p) {
			continue
		}
		v := volume(pod, str(m, "name"))
		c.check(str(v, "secret", "secretName") != "", "%s: %s comes from a Secret", who, f)
		rel := strings.TrimPrefix(p, strings.TrimSuffix(str(m, "mountPath"), "/")+"/")
		key := rel
		if items := list(v, "secret", "items"); len(items) > 0 {
			key = ""
			for _, it := range items {
				if str(it, "path") == rel {
					key = str(it, "key")
				}
			}
		}
		c.check(key == files[f], "%s: %s is the Secret key %s (got %q)", who, f, files[f], key)
	}
}

func checkController(c *checker, e expect, r *rendered, d obj, fullname string) {
	pod := get(d, "spec", "template")
	ct := container(pod, "controller")
	if !c.check(ct != nil, "controller container present") {
		return
	}
	args := strs(ct, "args")
	c.check(len(args) > 0 && args[0] == "vigil-controller", "controller: args start with vigil-controller")
	runAsNonRoot := boolean(pod, "spec", "securityContext", "runAsNonRoot") || boolean(ct, "securityContext", "runAsNonRoot")
	uid, _ := num(get(pod, "spec", "securityContext", "runAsUser"))
	c.check(runAsNonRoot && uid > 0, "controller: runs as non-root (uid %d)", uid)
	c.check(get(ct, "securityContext", "allowPrivilegeEscalation") == false, "controller: no privilege escalation")
	c.check(reflect.DeepEqual(strs(ct, "securityContext", "capabilities", "drop"), []string{"ALL"}), "controller: drops all capabilities")
	c.check(len(strs(ct, "securityContext", "capabilities", "add")) == 0, "controller: adds no capabilities")
	replicas, _ := num(get(d, "spec", "replicas"))
	c.check(replicas == 1 && str(d, "spec", "strategy", "type") == "Recreate", "controller: one replica, Recreate (single SQLite writer)")
	for _, f := range []string{"--listen", "--db", "--tls-cert", "--tls-key", "--tls-ca", "--access", "--retention-age", "--retention-bytes", "--metrics-address"} {
		_, n := flagValue(args, f)
		c.check(n == 1, "controller: %s given once", f)
	}
	listen, _ := flagValue(args, "--listen")
	_, lp, _ := net.SplitHostPort(listen)
	c.check(lp == strconv.Itoa(containerPorts(ct)["grpc"]) && lp == strconv.Itoa(e.grpcPort),
		"controller: --listen port %s is the grpc container port and Service port %d", lp, e.grpcPort)
	db, _ := flagValue(args, "--db")
	c.check(db == "/var/lib/vigil/controller/alerts.db", "controller: --db /var/lib/vigil/controller/alerts.db")
	if m := mountFor(ct, path.Dir(db)); c.check(m != nil && !boolean(m, "readOnly"), "controller: the store directory is a writable mount") {
		v := volume(pod, str(m, "name"))
		if e.pvc {
			claim := str(v, "persistentVolumeClaim", "claimName")
			c.check(claim != "", "controller: the store is on a PersistentVolumeClaim")
			if e.existingPVC != "" {
				c.check(claim == e.existingPVC && r.find("PersistentVolumeClaim", fullname+"-controller-store") == nil,
					"controller: existing claim %s used and none created", e.existingPVC)
			} else {
				pvc := r.find("PersistentVolumeClaim", claim)
				c.check(pvc != nil && str(pvc, "spec", "resources", "requests", "storage") != "", "controller: claim %s rendered with a size", claim)
			}
		} else {
			c.check(get(v, "emptyDir") != nil && r.find("PersistentVolumeClaim", fullname+"-controller-store") == nil,
				"controller: persistence off: emptyDir store, no claim")
		}
	}
	rb, _ := flagValue(args, "--retention-bytes")
	_, err := strconv.ParseUint(rb, 10, 64)
	c.check(err == nil, "controller: --retention-bytes is a plain integer (got %q)", rb)
	checkTLSFiles(c, "controller", pod, ct, args, map[string]string{"--tls-ca": "ca.crt", "--tls-cert": "tls.crt", "--tls-key": "tls.key"})

	// Sensor tokens: verified with the cluster's keys, for the sensors' audience.
	keys, nKeys := flagValue(args, "--sensor-token-keys")
	aud, nAud := flagValue(args, "--sensor-token-audience")
	iss, nIss := flagValue(args, "--sensor-token-issuer")
	if e.identity == "serviceAccountToken" {
		c.check(nKeys == 1 && keys == "kubernetes", "controller: --sensor-token-keys kubernetes (got %q x%d)", keys, nKeys)
		c.check(nAud == 1 && aud == e.audience, "controller: --sensor-token-audience %s, the sensors' token audience (got %q x%d)", e.audience, aud, nAud)
		if e.issuer != "" {
			c.check(nIss == 1 && iss == e.issuer, "controller: --sensor-token-issuer %s (got %q)", e.issuer, iss)
		} else {
			c.check(nIss == 0, "controller: no --sensor-token-issuer (the discovered issuer)")
		}
	} else {
		c.check(nKeys+nAud+nIss == 0, "controller: no --sensor-token-* flags with sharedCertificate")
	}

	// Access file: from the access ConfigMap, granting the sensor and admin identities.
	access, _ := flagValue(args, "--access")
	m := mountFor(ct, access)
	if !c.check(m != nil, "controller: --access %s lies in a mount", access) {
		return
	}
	cmName := str(volume(pod, str(m, "name")), "configMap", "name")
	cm := r.find("ConfigMap", cmName)
	text := str(cm, "data", path.Base(access))
	if !c.check(text != "", "controller: access file %s is key %s of ConfigMap %q", access, path.Base(access), cmName) {
		return
	}
	grants := map[string]bool{}
	for _, line := range strings.Split(text, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		c.check(len(f) == 3 && contains([]string{"sensor", "sensor-any", "reader", "admin"}, f[0]) &&
			contains([]string{"cert", "token", "serviceaccount"}, f[1]),
			"access file line %q is ROLE KIND VALUE", line)
		if len(f) == 3 && f[0] == "sensor" && f[1] == "cert" {
			c.check(strings.HasPrefix(f[2], "node:"), "access file line %q: a sensor cert grant names per-node certificates (node:...), which the controller requires", line)
		}
		grants[strings.Join(f, " ")] = true
	}
	// The sensors' grant: their ServiceAccount (the one the DaemonSet runs under), or the
	// shared certificate as sensor-any; never both, never a plain sensor cert.
	sensorGrants := []string{}
	for g := range grants {
		if strings.HasPrefix(g, "sensor ") || strings.HasPrefix(g, "sensor-any ") {
			sensorGrants = append(sensorGrants, g)
		}
	}
	var want string
	if e.identity == "serviceAccountToken" {
		sa := str(r.find("DaemonSet", fullname+"-sensor"), "spec", "template", "spec", "serviceAccountName")
		wantSA := e.sensorSA
		if wantSA == "" {
			wantSA = fullname + "-sensor"
		}
		c.check(sa == wantSA, "sensor: DaemonSet runs under ServiceAccount %s (got %q)", wantSA, sa)
		want = "sensor serviceaccount " + e.namespace + "/" + sa
	} else {
		want = "sensor-any cert " + e.sensorCN
	}
	c.check(len(sensorGrants) == 1 && sensorGrants[0] == want, "access file grants the sensors exactly %q (got %v)", want, sensorGrants)
	c.check(grants["admin cert "+e.adminCN], "access file grants admin to cert %s", e.adminCN)
	for _, g := range e.grants {
		c.check(grants[g], "access file has the grant %q from values", g)
	}
	c.check(str(pod, "metadata", "annotations", "checksum/access") != "", "controller: pod restarts when the access file changes (checksum/access)")
}

func decodeCert(c *checker, what, b64 string) *x509.Certificate {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if !c.check(err == nil, "%s: base64", what) {
		return nil
	}
	block, _ := pem.Decode(raw)
	if !c.check(block != nil && block.Type == "CERTIFICATE", "%s: PEM certificate", what) {
		return nil
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	c.check(err == nil, "%s: parses as X.509 (%v)", what, err)
	return cert
}

func checkTLS(c *checker, e expect, r *rendered, fullname string, sensor, ctrl obj) {
	sensorArgs := strs(container(get(sensor, "spec", "template"), "sensor"), "args")
	serverName, _ := flagValue(sensorArgs, "--controller-server-name")
	ctlHost, _ := flagValue(sensorArgs, "--controller")
	ctlHost, _, _ = net.SplitHostPort(ctlHost)
	c.check(serverName == ctlHost, "sensor: --controller-server-name is the dialled host %s", ctlHost)
	ctrlSecret := str(volume(get(ctrl, "spec", "template"), "tls"), "secret", "secretName")
	sensorSecret := str(volume(get(sensor, "spec", "template"), "tls"), "secret", "secretName")

	switch e.tlsMode {
	case "generate":
		c.check(len(r.all("Certificate")) == 0 && len(r.all("Issuer")) == 0, "generate: no cert-manager objects")
		ca := decodeCert(c, "CA", str(r.find("Secret", fullname+"-ca"), "data", "tls.crt"))
		if ca == nil {
			return
		}
		c.check(ca.IsCA, "generate: the CA certificate is a CA")
		pool := x509.NewCertPool()
		pool.AddCert(ca)
		leaf := func(secret, cn string, usage x509.ExtKeyUsage) *x509.Certificate {
			s := r.find("Secret", secret)
			if !c.check(s != nil, "generate: Secret %s rendered", secret) {
				return nil
			}
			c.check(str(s, "type") == "kubernetes.io/tls", "generate: %s is kubernetes.io/tls", secret)
			c.check(str(s, "data", "ca.crt") == str(r.find("Secret", fullname+"-ca"), "data", "tls.crt"), "generate: %s ca.crt is the chart CA", secret)
			cert := decodeCert(c, secret, str(s, "data", "tls.crt"))
			if cert == nil {
				return nil
			}
			c.check(cert.Subject.CommonName == cn, "generate: %s CN is %s (got %s)", secret, cn, cert.Subject.CommonName)
			_, err := cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{usage}})
			c.check(err == nil, "generate: %s verifies against the CA for %v (%v)", secret, usage, err)
			return cert
		}
		if srv := leaf(ctrlSecret, "vigil-controller", x509.ExtKeyUsageServerAuth); srv != nil {
			c.check(srv.VerifyHostname(serverName) == nil, "generate: controller certificate is valid for --controller-server-name %s (DNS names %v)", serverName, srv.DNSNames)
			for _, n := range append([]string{fullname + "-controller", fullname + "-controller." + e.namespace + ".svc.cluster.local"}, e.extraDNS...) {
				c.check(contains(srv.DNSNames, n), "generate: controller certificate names %s", n)
			}
		}
		if e.identity == "sharedCertificate" {
			leaf(sensorSecret, e.sensorCN, x509.ExtKeyUsageClientAuth)
		} else {
			c.check(r.find("Secret", fullname+"-sensor-tls") == nil, "generate: no sensor client certificate (serviceAccountToken)")
			b := r.find("Secret", sensorSecret)
			c.check(sensorSecret == fullname+"-ca-bundle" && b != nil, "generate: sensors mount the CA bundle Secret %s-ca-bundle (got %q)", fullname, sensorSecret)
			c.check(len(toObj(get(b, "data"))) == 1 && str(b, "data", "ca.crt") == str(r.find("Secret", fullname+"-ca"), "data", "tls.crt"),
				"generate: %s holds the chart CA as ca.crt and nothing else (no key)", sensorSecret)
		}
		leaf(fullname+"-admin-tls", e.adminCN, x509.ExtKeyUsageClientAuth)
	case "certManager":
		c.check(len(tlsSecrets(e, r)) == 0, "certManager: the chart renders no Secrets (beyond the module keys)")
		certs := map[string]obj{}
		for _, cert := range r.all("Certificate") {
			certs[str(cert, "spec", "secretName")] = cert
			issuer := str(cert, "spec", "issuerRef", "name")
			kind := str(cert, "spec", "issuerRef", "kind")
			if kind == "Issuer" {
				c.check(r.find("Issuer", issuer) != nil, "certManager: Certificate %s: Issuer %s rendered", str(cert, "metadata", "name"), issuer)
			}
		}
		caCert := certs[fullname+"-ca"]
		if c.check(caCert != nil && boolean(caCert, "spec", "isCA"), "certManager: CA Certificate with isCA") {
			c.check(str(caCert, "spec", "issuerRef", "name") == "corp-root" && str(caCert, "spec", "issuerRef", "kind") == "ClusterIssuer",
				"certManager: CA signed by the configured caIssuerRef")
		}
		caIssuer := r.find("Issuer", fullname+"-ca")
		c.check(str(caIssuer, "spec", "ca", "secretName") == fullname+"-ca", "certManager: CA Issuer uses the CA Certificate's Secret")
		srv := certs[ctrlSecret]
		if c.check(srv != nil, "certManager: a Certificate writes the controller Secret %s", ctrlSecret) {
			dns := strs(srv, "spec", "dnsNames")
			c.check(contains(dns, serverName), "certManager: controller Certificate dnsNames contain --controller-server-name %s (%v)", serverName, dns)
			for _, n := range e.extraDNS {
				c.check(contains(dns, n), "certManager: controller Certificate names extra DNS name %s", n)
			}
			c.check(contains(strs(srv, "spec", "usages"), "server auth"), "certManager: controller Certificate for server auth")
			c.check(str(srv, "spec", "issuerRef", "name") == fullname+"-ca", "certManager: controller Certificate from the CA Issuer")
		}
		clients := map[string]string{fullname + "-admin-tls": e.adminCN}
		if e.identity == "sharedCertificate" {
			clients[sensorSecret] = e.sensorCN
		} else {
			// The sensors' CA comes from a Certificate whose key opens nothing: its Secret
			// is readable by every node's kubelet.
			bundle := certs[sensorSecret]
			if c.check(sensorSecret == fullname+"-ca-bundle" && bundle != nil, "certManager: a Certificate writes the sensors' CA bundle %s-ca-bundle (got %q)", fullname, sensorSecret) {
				u := strs(bundle, "spec", "usages")
				c.check(!contains(u, "client auth") && !contains(u, "server auth") && contains(u, "code signing"),
					"certManager: the CA bundle's certificate is good for no TLS peer (usages %v)", u)
				c.check(str(bundle, "spec", "issuerRef", "name") == fullname+"-ca", "certManager: the CA bundle is from the CA Issuer (its ca.crt is the chart CA)")
			}
			for _, cert := range r.all("Certificate") {
				c.check(str(cert, "spec", "commonName") != e.sensorCN, "certManager: no sensor client certificate (serviceAccountToken)")
			}
		}
		for secret, cn := range clients {
			cert := certs[secret]
			if c.check(cert != nil, "certManager: a Certificate writes %s", secret) {
				c.check(str(cert, "spec", "commonName") == cn, "certManager: %s CN %s", secret, cn)
				c.check(contains(strs(cert, "spec", "usages"), "client auth"), "certManager: %s for client auth", secret)
				c.check(str(cert, "spec", "issuerRef", "name") == fullname+"-ca", "certManager: %s from the CA Issuer", secret)
			}
		}
	case "existing":
		c.check(len(tlsSecrets(e, r)) == 0 && len(r.all("Certificate")) == 0, "existing: the chart renders no Secrets (beyond the module keys) or Certificates")
		c.check(ctrlSecret == "corp-vigil-controller", "existing: controller uses Secret corp-vigil-controller")
		c.check(sensorSecret == "corp-vigil-sensor", "existing: sensors use Secret corp-vigil-sensor")
	}
}

func checkRules(c *checker, e expect, r *rendered, sensor obj, fullname string, pack []byte) {
	cm := r.find("ConfigMap", fullname+"-rules")
	if !c.check(cm != nil, "rules ConfigMap rendered") {
		return
	}
	data := toObj(get(cm, "data"))
	if e.defaultRules {
		c.check(str(data, "00-vigil_rules.yaml") == string(pack), "rules ConfigMap 00-vigil_rules.yaml is identical to deploy/rules/vigil_rules.yaml")
	} else {
		c.check(data["00-vigil_rules.yaml"] == nil, "rules ConfigMap has no default pack when rules.default is false")
	}
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, name := range e.customRules {
		key := "50-" + name + ".yaml"
		text := str(data, key)
		var v []interface{}
		err := yaml.Unmarshal([]byte(text), &v)
		c.check(text != "" && err == nil && len(v) > 0, "rules ConfigMap has custom rules file %s as a YAML list (%v)", key, err)
		if e.defaultRules {
			c.check(keys[0] == "00-vigil_rules.yaml", "custom rules load after the default pack (name order %v)", keys)
		}
	}
	c.check(len(keys) == len(e.customRules)+map[bool]int{true: 1, false: 0}[e.defaultRules], "rules ConfigMap holds exactly the expected files (%v)", keys)
	for _, k := range keys {
		c.check(strings.HasSuffix(k, ".yaml"), "rules file %s ends in .yaml (the sensor loads *.yaml)", k)
	}
	c.check(str(sensor, "spec", "template", "metadata", "annotations", "checksum/rules") != "", "sensor: pods roll when the rules change (checksum/rules)")
}

func checkMonitoring(c *checker, e expect, r *rendered, fullname string, sensor, ctrl, svc obj) {
	sms, rules, nps := r.all("ServiceMonitor"), r.all("PrometheusRule"), r.all("NetworkPolicy")
	if !e.monitoring {
		c.check(len(sms) == 0 && len(rules) == 0, "monitoring off: no ServiceMonitor or PrometheusRule")
	} else if c.check(len(sms) == 1 && len(rules) == 1, "monitoring on: one ServiceMonitor and one PrometheusRule") {
		sm := sms[0]
		sel := toObj(get(sm, "spec", "selector", "matchLabels"))
		sensorSvc := r.find("Service", fullname+"-sensor-metrics")
		if c.check(sensorSvc != nil, "monitoring: headless sensor metrics Service rendered") {
			c.check(str(sensorSvc, "spec", "clusterIP") == "None", "monitoring: sensor metrics Service is headless")
			c.check(labelsMatch(toObj(get(sensorSvc, "spec", "selector")), toObj(get(sensor, "spec", "template", "metadata", "labels"))),
				"monitoring: sensor metrics Service selects the sensor pods")
			c.check(labelsMatch(sel, toObj(get(sensorSvc, "metadata", "labels"))), "monitoring: ServiceMonitor selects the sensor metrics Service")
		}
		c.check(labelsMatch(sel, toObj(get(svc, "metadata", "labels"))), "monitoring: ServiceMonitor selects the controller Service")
		for _, ep := range list(sm, "spec", "endpoints") {
			c.check(str(ep, "port") == "metrics" && str(ep, "path") == "/metrics", "monitoring: ServiceMonitor scrapes port metrics at /metrics")
		}
		var exprs []string
		for _, g := range list(rules[0], "spec", "groups") {
			for _, rule := range list(g, "rules") {
				c.check(str(rule, "alert") != "" && str(rule, "expr") != "" && str(rule, "labels", "severity") != "",
					"monitoring: rule %s has alert, expr and severity", str(rule, "alert"))
				exprs = append(exprs, str(rule, "expr"))
			}
		}
		all := strings.Join(exprs, "\n")
		for _, m := range []string{"vigil_sensor_drops_total", "vigil_sensor_pipeline_stalled", "vigil_sensor_probe_attached",
			"vigil_controller_sensors_connected", "vigil_controller_sensors_known", "up{"} {
			c.check(strings.Contains(all, m), "monitoring: PrometheusRule uses %s", m)
		}
		for _, job := range []string{fullname + "-sensor-metrics", fullname + "-controller"} {
			c.check(strings.Contains(all, `job="`+job+`"`), "monitoring: PrometheusRule selects job %s (the Service name)", job)
		}
		c.check(!strings.Contains(all, "<no value>"), "monitoring: no unrendered values in expressions")
	}
	if !e.netpol {
		c.check(len(nps) == 0, "networkPolicy off: no NetworkPolicy")
		return
	}
	if !c.check(len(nps) == 1, "networkPolicy on: one NetworkPolicy") {
		return
	}
	np := nps[0]
	c.check(labelsMatch(toObj(get(np, "spec", "podSelector", "matchLabels")), toObj(get(ctrl, "spec", "template", "metadata", "labels"))),
		"networkPolicy: selects the controller pods")
	c.check(contains(strs(np, "spec", "policyTypes"), "Ingress"), "networkPolicy: Ingress policy")
	grpcFromSensors, metricsRule := false, false
	ports := containerPorts(container(get(ctrl, "spec", "template"), "controller"))
	for _, rule := range list(np, "spec", "ingress") {
		for _, p := range list(rule, "ports") {
			name, _ := get(p, "port").(string)
			c.check(ports[name] != 0, "networkPolicy: port %q is a controller container port", name)
			if name == "grpc" {
				for _, from := range list(rule, "from") {
					if labelsMatch(toObj(get(from, "podSelector", "matchLabels")), toObj(get(sensor, "spec", "template", "metadata", "labels"))) {
						grpcFromSensors = true
					}
				}
			}
			if name == "metrics" {
				metricsRule = len(list(rule, "from")) > 0
			}
		}
		c.check(len(list(rule, "from")) > 0, "networkPolicy: every ingress rule names its sources")
	}
	c.check(grpcFromSensors, "networkPolicy: gRPC allowed from the sensor pods")
	c.check(metricsRule, "networkPolicy: metrics allowed only from the configured Prometheus peers")
}

// leafPaths lists the dotted paths of a values tree's leaves (scalars, lists, empty maps).
func leafPaths(prefix string, m map[string]interface{}) []string {
	var out []string
	for k, v := range m {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		if sub, ok := v.(map[string]interface{}); ok && len(sub) > 0 {
			out = append(out, leafPaths(p, sub)...)
			continue
		}
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// checkIdentity: the controller's API access for token verification (a ClusterRoleBinding
// of its ServiceAccount to the issuer-discovery ClusterRole, nothing more), and what
// NOTES.txt says about the sensors' identity.
func checkIdentity(c *checker, e expect, r *rendered, fullname string, sensor, ctrl obj) {
	crbs := r.all("ClusterRoleBinding")
	c.check(len(r.all("Role"))+len(r.all("ClusterRole"))+len(r.all("RoleBinding")) == 0,
		"no Role, ClusterRole or RoleBinding rendered")
	if e.identity != "serviceAccountToken" {
		c.check(len(crbs) == 0, "sharedCertificate: no RBAC (neither component calls the API server)")
		c.check(strings.Contains(r.notes, "WARNING: identity.mode=sharedCertificate") && strings.Contains(r.notes, "EVERY node"),
			"sharedCertificate: NOTES.txt warns that every sensor can speak for every node")
		return
	}
	c.check(!strings.Contains(r.notes, "sharedCertificate: every sensor"), "serviceAccountToken: NOTES.txt has no shared-certificate warning")
	var major, minor int
	fmt.Sscanf(e.kubeVersion, "v%d.%d", &major, &minor)
	old := strings.Contains(r.notes, "WARNING: Kubernetes")
	c.check(old == (major == 1 && minor < 30), "NOTES.txt warns about tokens without the node claim iff Kubernetes %s is older than 1.30", e.kubeVersion)
	if !c.check(len(crbs) == 1, "serviceAccountToken: one ClusterRoleBinding (got %d)", len(crbs)) {
		return
	}
	crb := crbs[0]
	name := str(crb, "metadata", "name")
	c.check(strings.HasPrefix(name, fullname) && strings.Contains(name, e.namespace),
		"ClusterRoleBinding %s is named after the release %s and its namespace", name, fullname)
	c.check(str(crb, "roleRef", "apiGroup") == "rbac.authorization.k8s.io" && str(crb, "roleRef", "kind") == "ClusterRole" &&
		str(crb, "roleRef", "name") == "system:service-account-issuer-discovery",
		"ClusterRoleBinding %s refers to the built-in ClusterRole system:service-account-issuer-discovery", name)
	ctrlSA := str(ctrl, "spec", "template", "spec", "serviceAccountName")
	sensorSA := str(sensor, "spec", "template", "spec", "serviceAccountName")
	subjects := list(crb, "subjects")
	if c.check(len(subjects) == 1, "ClusterRoleBinding %s has one subject", name) {
		sub := subjects[0]
		c.check(str(sub, "kind") == "ServiceAccount" && str(sub, "name") == ctrlSA && str(sub, "namespace") == e.namespace,
			"ClusterRoleBinding %s binds the controller's ServiceAccount %s/%s (got %s %s/%s)", name, e.namespace, ctrlSA,
			str(sub, "kind"), str(sub, "namespace"), str(sub, "name"))
		c.check(str(sub, "name") != sensorSA, "ClusterRoleBinding %s does not bind the sensors' ServiceAccount", name)
	}
	c.check(r.find("ServiceAccount", ctrlSA) != nil, "the bound controller ServiceAccount %s is rendered", ctrlSA)
	c.check(ctrlSA != sensorSA, "controller and sensors run under different ServiceAccounts")
}
