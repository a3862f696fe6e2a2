package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return recs
}

// TestBadFixtureRejects runs fixtures/bad and compares rejected.csv with
// the committed report, row for row (file paths compared by base name).
func TestBadFixtureRejects(t *testing.T) {
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := dispatch(context.Background(), []string{"run", "--data", "../../fixtures/bad", "--out", out, "--rules", "../../rules", "--as-of", "2025-06-30"}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	got := readCSV(t, filepath.Join(out, "rejected.csv"))
	want := readCSV(t, "../../fixtures/bad/expected_rejects.csv")
	norm := func(rows [][]string) string {
		var b strings.Builder
		for _, r := range rows {
			r[1] = filepath.Base(r[1])
			b.WriteString(strings.Join(r, "|") + "\n")
		}
		return b.String()
	}
	if g, w := norm(got), norm(want); g != w {
		t.Errorf("rejected.csv differs:\ngot:\n%s\nwant:\n%s", g, w)
	}
	if !strings.Contains(stdout.String(), "ledger                15         9         6") {
		t.Errorf("summary does not show 15 read = 9 loaded + 6 rejected:\n%s", stdout.String())
	}
}

// TestShizhongFixture is the README's main command: it must exit 0, every
// line must carry the contract's fields, the findings must be exactly the
// planted set, and a second run must give a byte-identical file.
func TestShizhongFixture(t *testing.T) {
	out := t.TempDir()
	args := []string{"run", "--data", "../../fixtures/shizhong", "--out", out, "--rules", "../../rules", "--as-of", "2025-06-30"}
	var stdout, stderr bytes.Buffer
	if code := dispatch(context.Background(), args, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	first, err := os.ReadFile(filepath.Join(out, "findings.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(string(first)), "\n") {
		var f map[string]any
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			t.Fatalf("bad JSON line: %v", err)
		}
		for _, k := range []string{"finding_id", "rule_id", "family", "severity", "village_id", "subject", "period", "amount", "message", "evidence"} {
			if _, ok := f[k]; !ok {
				t.Errorf("finding lacks %q: %s", k, line)
			}
		}
		got = append(got, f["rule_id"].(string)+","+f["subject"].(string))
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
	stdout.Reset()
	if code := dispatch(context.Background(), args, &stdout, &stderr); code != exitOK {
		t.Fatalf("second run exit %d", code)
	}
	second, _ := os.ReadFile(filepath.Join(out, "findings.jsonl"))
	if !bytes.Equal(first, second) {
		t.Error("second run's findings.jsonl is not byte-identical")
	}
}

func dedupe(xs []string) []string {
	out := xs[:0]
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	return out
}

func diffLines(want, got []string) string {
	w, g := map[string]bool{}, map[string]bool{}
	for _, x := range want {
		w[x] = true
	}
	for _, x := range got {
		g[x] = true
	}
	var b strings.Builder
	for _, x := range want {
		if !g[x] {
			b.WriteString("- missing:    " + x + "\n")
		}
	}
	for _, x := range got {
		if !w[x] {
			b.WriteString("+ unexpected: " + x + "\n")
		}
	}
	return b.String()
}
