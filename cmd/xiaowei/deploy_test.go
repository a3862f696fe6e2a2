package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/neijiang/xiaowei/internal/tooltest"
)

// The systemd unit passes systemd-analyze verify (with ExecStart pointed
// at the freshly built binary: verify checks that it exists), carries the
// hardening the service relies on, and its command line names real flags.
func TestSystemdUnit(t *testing.T) {
	analyze := tooltest.Require(t, "systemd-analyze", "systemd")
	b, err := os.ReadFile("../../deploy/systemd/xiaowei.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := string(b)
	for _, want := range []string{"\nNoNewPrivileges=yes\n", "\nProtectSystem=strict\n", "\nStateDirectory=xiaowei\n",
		"\nEnvironmentFile=/etc/xiaowei/xiaowei.env\n", "\nDynamicUser=yes\n", "\nUser=xiaowei\n"} {
		if !strings.Contains(unit, want) {
			t.Errorf("unit lacks %q", strings.TrimSpace(want))
		}
	}
	exec1 := regexp.MustCompile(`(?m)^ExecStart=/usr/local/bin/xiaowei (.*)$`).FindStringSubmatch(unit)
	if exec1 == nil {
		t.Fatal("no ExecStart=/usr/local/bin/xiaowei … line")
	}
	checkFlags(t, "systemd ExecStart", strings.Fields(exec1[1]))

	dir := t.TempDir()
	path := filepath.Join(dir, "xiaowei.service")
	os.WriteFile(path, []byte(strings.ReplaceAll(unit, "/usr/local/bin/xiaowei", binary(t))), 0o644)
	cmd := exec.Command(analyze, "verify", path)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// The container build makes a static binary of cmd/xiaowei and runs it as
// a non-root user on a minimal base (the CGO_ENABLED=0 build itself is
// binary(), used by the tests that run the binary).
func TestContainerfile(t *testing.T) {
	b, err := os.ReadFile("../../deploy/container/Containerfile")
	if err != nil {
		t.Fatal(err)
	}
	cf := string(b)
	froms := regexp.MustCompile(`(?m)^FROM\s+(\S+)`).FindAllStringSubmatch(cf, -1)
	if len(froms) < 2 {
		t.Fatalf("want a build stage and a final stage, got %d FROM lines", len(froms))
	}
	final := froms[len(froms)-1][1]
	if !strings.Contains(final, "distroless/static") && final != "scratch" {
		t.Errorf("final image %s: want distroless/static or scratch", final)
	}
	user := regexp.MustCompile(`(?m)^USER\s+(\S+)`).FindAllStringSubmatch(cf, -1)
	if len(user) == 0 || strings.HasPrefix(user[len(user)-1][1], "root") || strings.HasPrefix(user[len(user)-1][1], "0") {
		t.Errorf("the image must end as a non-root USER: %v", user)
	}
	if !regexp.MustCompile(`CGO_ENABLED=0 .*go build .* \./cmd/xiaowei`).MatchString(cf) {
		t.Error("no CGO_ENABLED=0 go build of ./cmd/xiaowei")
	}
	cmdLine := regexp.MustCompile(`(?m)^CMD\s+(\[.*\])`).FindStringSubmatch(cf)
	if cmdLine == nil {
		t.Fatal("no CMD")
	}
	var args []string
	if err := yaml.Unmarshal([]byte(cmdLine[1]), &args); err != nil {
		t.Fatal(err)
	}
	checkFlags(t, "Containerfile CMD", args)
}

// The Kubernetes manifests parse; every xiaowei container's arguments are
// real flags of their subcommand; serve has /healthz probes, scrape
// annotations and the database URL from the Secret; the shards are an
// Indexed Job whose completion index is --shard I/N with N its
// completions; finish finishes the shards' run group.
func TestKubernetesManifests(t *testing.T) {
	files, _ := filepath.Glob("../../deploy/k8s/*.yaml")
	if len(files) < 4 {
		t.Fatalf("found %d manifests", len(files))
	}
	kinds := map[string]map[string]any{}
	var containers []map[string]any
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			var doc map[string]any
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if doc == nil {
				continue
			}
			kind, _ := doc["kind"].(string)
			name, _ := get(doc, "metadata", "name").(string)
			if kind == "" || name == "" || doc["apiVersion"] == nil {
				t.Errorf("%s: a document without apiVersion, kind or metadata.name", f)
			}
			kinds[kind+"/"+name] = doc
			walkContainers(doc, func(c map[string]any) { containers = append(containers, c) })
		}
	}
	argsOf := func(c map[string]any) []string {
		var out []string
		for _, a := range c["args"].([]any) {
			out = append(out, a.(string))
		}
		return out
	}
	for _, c := range containers {
		if img, _ := c["image"].(string); strings.Contains(img, "xiaowei") {
			checkFlags(t, "container "+c["name"].(string), argsOf(c))
		}
	}

	dep := kinds["Deployment/xiaowei"]
	if dep == nil {
		t.Fatal("no Deployment xiaowei")
	}
	tmpl := get(dep, "spec", "template").(map[string]any)
	ann := get(tmpl, "metadata", "annotations").(map[string]any)
	if ann["prometheus.io/scrape"] != "true" || ann["prometheus.io/path"] != "/metrics" {
		t.Errorf("scrape annotations: %v", ann)
	}
	serve := get(tmpl, "spec", "containers").([]any)[0].(map[string]any)
	for _, probe := range []string{"readinessProbe", "livenessProbe"} {
		if p := get(serve, probe, "httpGet", "path"); p != "/healthz" {
			t.Errorf("%s path %v, want /healthz", probe, p)
		}
	}
	sec := kinds["Secret/xiaowei-db"]
	if sec == nil || get(sec, "stringData", "DATABASE_URL") == nil {
		t.Error("no Secret xiaowei-db with DATABASE_URL")
	}
	if !strings.Contains(yamlString(t, serve["env"]), "secretKeyRef") {
		t.Error("serve does not take DATABASE_URL from the Secret")
	}

	shards := kinds["CronJob/xiaowei-shards"]
	if shards == nil {
		t.Fatal("no CronJob xiaowei-shards")
	}
	job := get(shards, "spec", "jobTemplate", "spec").(map[string]any)
	if job["completionMode"] != "Indexed" || job["completions"] != job["parallelism"] {
		t.Errorf("shards job: completionMode %v, completions %v, parallelism %v", job["completionMode"], job["completions"], job["parallelism"])
	}
	sargs := argsOf(get(job, "template", "spec", "containers").([]any)[0].(map[string]any))
	want := "$(JOB_COMPLETION_INDEX)/" + yamlString(t, job["completions"])
	if flagValue(sargs, "--shard") != want {
		t.Errorf("shard args %v: want --shard %s", sargs, want)
	}
	fin := kinds["CronJob/xiaowei-finish"]
	if fin == nil {
		t.Fatal("no CronJob xiaowei-finish")
	}
	fargs := argsOf(get(fin, "spec", "jobTemplate", "spec", "template", "spec", "containers").([]any)[0].(map[string]any))
	if fargs[0] != "finish" || flagValue(fargs, "--run-group") != flagValue(sargs, "--run-group") || flagValue(fargs, "--run-group") == "" {
		t.Errorf("finish args %v do not finish the shards' run group %q", fargs, flagValue(sargs, "--run-group"))
	}
	if get(fin, "spec", "schedule") != get(shards, "spec", "schedule") || get(fin, "spec", "timeZone") != get(shards, "spec", "timeZone") {
		t.Error("finish must start on the shards' schedule and time zone, so {as_of} names the same group")
	}
}

// checkFlags reports, as a test error, each problem of a command line
// (see flagProblems).
func checkFlags(t *testing.T, where string, args []string) {
	t.Helper()
	for _, p := range flagProblems(args) {
		t.Errorf("%s: %s", where, p)
	}
}

// flagProblems says why args (a subcommand and its flags) are not a
// command line xiaowei accepts: an unknown subcommand, or a --flag that is
// not in its --help.
func flagProblems(args []string) []string {
	if len(args) == 0 {
		return []string{"no arguments"}
	}
	var help, stderr bytes.Buffer
	if code := dispatch(context.Background(), []string{args[0], "--help"}, &help, &stderr); code != exitOK {
		return []string{fmt.Sprintf("%q is not a xiaowei command", args[0])}
	}
	var out []string
	for _, a := range args[1:] {
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !regexp.MustCompile(`(?m)^\s+-` + regexp.QuoteMeta(name) + `(\s|$)`).MatchString(help.String()) {
			out = append(out, fmt.Sprintf("xiaowei %s has no flag --%s", args[0], name))
		}
	}
	return out
}

func TestFlagProblems(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"real flags", []string{"run", "--db", "x", "--shard", "0/2", "--run-group=g", "--quiet"}, 0},
		{"a flag of another command", []string{"serve", "--shard", "0/2"}, 1},
		{"a prefix of a real flag", []string{"finish", "--run", "g"}, 1},
		{"no such command", []string{"serv", "--config", "x"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := flagProblems(tc.args); len(got) != tc.want {
				t.Errorf("problems %v, want %d", got, tc.want)
			}
		})
	}
}

func flagValue(args []string, flag string) string {
	for i, a := range args {
		if a == flag && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

func get(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func walkContainers(v any, f func(map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			if k == "containers" {
				for _, it := range c.([]any) {
					f(it.(map[string]any))
				}
				continue
			}
			walkContainers(c, f)
		}
	case []any:
		for _, it := range x {
			walkContainers(it, f)
		}
	}
}

func yamlString(t *testing.T, v any) string {
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}
