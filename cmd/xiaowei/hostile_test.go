package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHostileCLI is the hostile corpus for what is not a loader input
// (those are fixtures/bad/corpus): each case is one command a hostile or
// careless user runs, with its exact exit code and what its output must
// and must not say. See docs/guarantees.md.
func TestHostileCLI(t *testing.T) {
	data, rulesDir := setup(t)
	deep := filepath.Join(t.TempDir(), "deep")
	os.MkdirAll(deep, 0o755)
	os.WriteFile(filepath.Join(deep, "deep.yaml"), []byte(strings.Replace(strings.Replace(
		"rules:\n  - id: T-DEEP\n    title: t\n    family: cash\n    severity: low\n    on: ledger\n    when: WHEN\n    subject: \"entry:{{entry_id}}\"\n    period: \"{{date}}\"\n    message: m\n",
		"WHEN", strings.Repeat("(", 300000)+"amount > 0"+strings.Repeat(")", 300000), 1), "\r", "", 1)), 0o644)
	for _, c := range []struct {
		name    string
		args    []string
		code    int
		want    []string // in stdout+stderr
		notWant []string
	}{
		{"migrate: bad %-escape in the password",
			[]string{"migrate", "--db", "postgres://u:hunter%zz2@127.0.0.1:5432/test"}, exitFailure,
			[]string{"postgres://u:xxxxx@127.0.0.1:5432/test", "invalid percent-encoded token"}, []string{"hunter"}},
		{"import: space in the password",
			[]string{"import", "--data", data, "--db", "postgres://u:hunter 2@127.0.0.1:5432/test"}, exitFailure,
			[]string{"postgres://u:xxxxx@127.0.0.1:5432/test", "unexpected spaces"}, []string{"hunter"}},
		{"check: a when nested 300,000 parentheses deep",
			[]string{"check", deep}, exitBadInput,
			[]string{"deep.yaml:7:11: rule T-DEEP: when: expression is 600010 bytes long; at most 65536 are allowed"}, nil},
		{"run: a 10,000-column ledger",
			[]string{"run", "--data", wideData(t), "--out", filepath.Join(t.TempDir(), "o"), "--rules", rulesDir, "--builtin-rules=false", "--as-of", "2025-06-30"}, exitBadInput,
			[]string{"ledger.csv: the header has 10000 columns; at most 1024 are read: bad header"}, nil},
		{"run: --as-of 9999-12-31",
			[]string{"run", "--data", data, "--out", filepath.Join(t.TempDir(), "o"), "--rules", rulesDir, "--builtin-rules=false", "--as-of", "9999-12-31"}, exitBadInput,
			[]string{"as_of 9999-12-31 is more than 731 days after the data's last date 2025-07-09 (ledger.date)", "give an as_of up to 2027-07-10"}, nil},
		{"run: --as-of one day past the bound",
			[]string{"run", "--data", data, "--out", filepath.Join(t.TempDir(), "o"), "--rules", rulesDir, "--builtin-rules=false", "--as-of", "2027-07-11"}, exitBadInput,
			[]string{"as_of 2027-07-11 is more than 731 days after"}, nil},
		{"run: --as-of two years after the data is fine",
			[]string{"run", "--data", data, "--out", filepath.Join(t.TempDir(), "o"), "--rules", rulesDir, "--builtin-rules=false", "--as-of", "2027-07-10"}, exitOK,
			[]string{"findings: 3"}, nil},
		{"run: findings capped per rule",
			[]string{"run", "--data", data, "--out", filepath.Join(t.TempDir(), "o"), "--rules", rulesDir, "--builtin-rules=false", "--as-of", "2025-06-30", "--max-findings-per-rule", "1"}, exitOK,
			[]string{"rule TEST-LARGE-CASH: findings capped at 1 per rule per run: 1 more rows fired and were dropped", "findings: 1"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := dispatch(context.Background(), c.args, &stdout, &stderr)
			all := stdout.String() + stderr.String()
			if code != c.code {
				t.Errorf("exit %d, want %d: %s", code, c.code, all)
			}
			for _, w := range c.want {
				if !strings.Contains(all, w) {
					t.Errorf("output lacks %q:\n%s", w, all)
				}
			}
			for _, w := range c.notWant {
				if strings.Contains(all, w) {
					t.Errorf("output shows %q:\n%s", w, all)
				}
			}
		})
	}
}

// TestFindingsCapInSummary: a capped rule says so in summary.json.
func TestFindingsCapInSummary(t *testing.T) {
	data, rulesDir := setup(t)
	out := filepath.Join(t.TempDir(), "o")
	mustRun(t, "run", "--data", data, "--out", out, "--rules", rulesDir, "--builtin-rules=false", "--as-of", "2025-06-30", "--max-findings-per-rule", "1")
	b, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Rules []struct {
			RuleID  string `json:"rule_id"`
			Fired   int    `json:"fired"`
			Dropped int    `json:"dropped"`
			Capped  string `json:"capped"`
		} `json:"rules"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Rules) != 1 || s.Rules[0].Fired != 2 || s.Rules[0].Dropped != 1 || !strings.Contains(s.Rules[0].Capped, "capped at 1") {
		t.Errorf("summary rules %+v", s.Rules)
	}
}

// TestRunOutKeepsUsersFiles: run --out into an existing folder leaves the
// user's own files alone, also those that look temporary.
func TestRunOutKeepsUsersFiles(t *testing.T) {
	data, rulesDir := setup(t)
	out := t.TempDir()
	mine := []string{".notes.tmp-1", ".findings.jsonl.tmp-123", "我的笔记.txt"}
	for _, n := range mine {
		if err := os.WriteFile(filepath.Join(out, n), []byte("mine"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// and a temporary file a killed run of xiaowei left
	stale := filepath.Join(out, ".xiaowei-tmp-findings.jsonl.4242")
	os.WriteFile(stale, []byte("half"), 0o644)
	mustRun(t, "run", "--data", data, "--out", out, "--rules", rulesDir, "--builtin-rules=false", "--as-of", "2025-06-30")
	for _, n := range mine {
		if b, err := os.ReadFile(filepath.Join(out, n)); err != nil || string(b) != "mine" {
			t.Errorf("%s: %q %v", n, b, err)
		}
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the killed run's temp file is still there: %v", err)
	}
}

// wideData is the setup dataset with a ledger of 10,000 columns.
func wideData(t *testing.T) string {
	data, _ := setup(t)
	b, err := os.ReadFile(filepath.Join(data, "ledger.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var w strings.Builder
	for i, l := range lines {
		w.WriteString(l)
		for j := 12; j < 10000; j++ {
			if i == 0 {
				fmt.Fprintf(&w, ",x%d", j)
			} else {
				w.WriteString(",")
			}
		}
		w.WriteString("\n")
	}
	if err := os.WriteFile(filepath.Join(data, "ledger.csv"), []byte(w.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return data
}
