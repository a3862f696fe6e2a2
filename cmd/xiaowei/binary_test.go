package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

var builtBinary struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

// binary builds cmd/xiaowei once per test process, statically
// (CGO_ENABLED=0, as the container build does: this is also the check that
// it builds so), into a folder TestMain removes. Every test that runs the
// real binary shares it: one build, not one per test.
func binary(t *testing.T) string {
	t.Helper()
	builtBinary.once.Do(func() {
		dir, err := os.MkdirTemp("", "xiaowei-bin-*")
		if err != nil {
			builtBinary.err = err
			return
		}
		builtBinary.path = filepath.Join(dir, "xiaowei")
		cmd := exec.Command("go", "build", "-trimpath", "-o", builtBinary.path, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		builtBinary.out, builtBinary.err = cmd.CombinedOutput()
	})
	if builtBinary.err != nil {
		t.Fatalf("CGO_ENABLED=0 go build: %v\n%s", builtBinary.err, builtBinary.out)
	}
	return builtBinary.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if builtBinary.path != "" {
		os.RemoveAll(filepath.Dir(builtBinary.path))
	}
	os.Exit(code)
}

// TestBinaryInEmptyFolder is the new user's path: the binary copied to an
// empty folder (no rules/ beside it) runs the fixture with only --data,
// --out and --as-of, finds exactly the planted findings, writes the report,
// and its manifest says the rules were the shipped ones, with their hashes.
func TestBinaryInEmptyFolder(t *testing.T) {
	src := binary(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "xiaowei")
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := filepath.Abs("../../fixtures/shizhong")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "run", "--data", data, "--out", "out", "--as-of", "2025-06-30")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if out, err := cmd.Output(); err != nil {
		t.Fatalf("run in an empty folder: %v\n%s%s", err, out, stderr.String())
	}
	// The report's templates are in the binary too.
	rep := exec.Command(bin, "report", "--run", "out", "--out", "report.html")
	rep.Dir = dir
	if out, err := rep.CombinedOutput(); err != nil {
		t.Fatalf("report in an empty folder: %v\n%s", err, out)
	}
	if html, err := os.ReadFile(filepath.Join(dir, "report.html")); err != nil || !bytes.Contains(html, []byte("</html>")) {
		t.Errorf("report.html: %v, %d bytes", err, len(html))
	}
	fj, err := os.ReadFile(filepath.Join(dir, "out", "findings.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(string(fj)), "\n") {
		var f struct{ RuleID, Subject string }
		var raw map[string]any
		if err := json.Unmarshal([]byte(line), &raw); err != nil {
			t.Fatal(err)
		}
		f.RuleID, f.Subject = raw["rule_id"].(string), raw["subject"].(string)
		got = append(got, f.RuleID+","+f.Subject)
	}
	var want []string
	for i, r := range readCSV(t, "../../fixtures/shizhong/expected.csv") {
		if i > 0 {
			want = append(want, r[0]+","+r[1])
		}
	}
	sort.Strings(got)
	got = dedupe(got)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings differ from expected.csv\n%s", diffLines(want, got))
	}
	var m struct {
		RuleFiles []struct{ Path, SHA256 string } `json:"rule_files"`
	}
	mb, err := os.ReadFile(filepath.Join(dir, "out", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(mb, &m); err != nil {
		t.Fatal(err)
	}
	shipped, _ := filepath.Glob("../../rules/*.yaml")
	if len(m.RuleFiles) != len(shipped) {
		t.Fatalf("manifest lists %d rule files, the source tree ships %d: %+v", len(m.RuleFiles), len(shipped), m.RuleFiles)
	}
	for _, f := range m.RuleFiles {
		if !strings.HasPrefix(f.Path, "builtin:") || len(f.SHA256) != 64 {
			t.Errorf("manifest rule file %+v: want a builtin: path with its sha256", f)
		}
	}
}

// TestBuiltinRules covers how --rules and --builtin-rules combine with the
// shipped set, through the same dispatch as the binary.
func TestBuiltinRules(t *testing.T) {
	exported := t.TempDir()
	var so, se bytes.Buffer
	if code := dispatch(context.Background(), []string{"rules", "export", exported}, &so, &se); code != exitOK {
		t.Fatalf("export: exit %d: %s", code, se.String())
	}
	// An edited copy: the large-cash threshold raised.
	edited := t.TempDir()
	if code := dispatch(context.Background(), []string{"rules", "export", edited}, &so, &se); code != exitOK {
		t.Fatal(se.String())
	}
	cash := filepath.Join(edited, "cash.yaml")
	b, err := os.ReadFile(cash)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cash, append(b, []byte("# edited\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	local := t.TempDir()
	os.WriteFile(filepath.Join(local, "local.yaml"), []byte(`overrides:
  - town_id: "511002101"
    reason: 史家镇现金限额经镇党委会议调整
    rules:
      CASH-LARGE: {params: {threshold: 2000}}
`), 0o644)
	// The shipped set's size, from the shipped set itself (rule files are
	// added to rules/ over time).
	var base bytes.Buffer
	if code := dispatch(context.Background(), []string{"check"}, &base, &se); code != exitOK {
		t.Fatalf("check of the shipped rules: %s", se.String())
	}
	shipped, _, _ := strings.Cut(strings.TrimPrefix(base.String(), "ok: "), ",") // "N rules in M files"
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		stdout   string
		stderrIn string
	}{
		{"shipped set alone", []string{"check"}, exitOK, ", 0 override blocks", ""},
		{"source tree adds nothing twice", []string{"check", "../../rules"}, exitOK, "ok: " + shipped + ",", ""},
		{"unedited export adds nothing twice", []string{"check", exported}, exitOK, "ok: " + shipped + ",", ""},
		{"local overrides on top of the shipped rules", []string{"check", local}, exitOK, "ok: " + shipped + ", 1 override blocks", ""},
		{"overrides alone name unknown rules", []string{"check", "--builtin-rules=false", local}, exitBadInput, "", "CASH-LARGE"},
		{"edited copy clashes with the shipped set", []string{"check", edited}, exitBadInput, "", "--builtin-rules=false"},
		{"edited copy replaces the shipped set", []string{"check", "--builtin-rules=false", edited}, exitOK, "ok: " + shipped + ",", ""},
		{"nothing at all", []string{"check", "--builtin-rules=false"}, exitBadInput, "", "needs at least one --rules folder"},
		{"shipped rule tests pass", []string{"test"}, exitOK, " 0 failed", ""},
		{"export refuses to overwrite", []string{"rules", "export", exported}, exitBadInput, "", "pass --force"},
		{"export overwrites with --force", []string{"rules", "export", "--force", exported}, exitOK, "shipped rule and test files", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := dispatch(context.Background(), tc.args, &stdout, &stderr)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), tc.stdout) {
				t.Errorf("stdout %q lacks %q", stdout.String(), tc.stdout)
			}
			if !strings.Contains(stderr.String(), tc.stderrIn) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tc.stderrIn)
			}
		})
	}
}
