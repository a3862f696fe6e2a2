// Package fixturetest runs the shipped fixture the way the README's main
// command does and compares its findings with the planted set in
// fixtures/shizhong/expected.csv. Each family's test keeps only its own
// assertions on top.
package fixturetest

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	_ "github.com/neijiang/xiaowei/detectors/all" // every detector, as in the binary
	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/run"
)

// LargeCashRule is a one-rule file over the ledger table for tests that
// need a rule but not a detector: cash payments of 1,000 yuan or more.
const LargeCashRule = `rules:
  - id: TEST-LARGE-CASH
    title: 大额现金支付
    family: cash
    severity: low
    on: ledger
    when: account == "cash" && direction == "out" && amount >= params.threshold
    params: {threshold: 1000}
    subject: "entry:{{entry_id}}"
    period: "{{date}}"
    amount: amount
    message: "{{date}}以现金支付{{amount}}元，达到结算起点{{params.threshold}}元。"
`

// AsOf is the evaluation date the fixture was planted for.
const AsOf = "2025-06-30"

// Shizhong runs the pipeline on fixtures/shizhong with the shipped rules;
// root is the path from the calling package to the repository root.
func Shizhong(t testing.TB, root string) *run.Outcome {
	t.Helper()
	out, err := run.Run(context.Background(), run.Options{
		DataDir: filepath.Join(root, "fixtures", "shizhong"), OutDir: t.TempDir(),
		RuleDirs: []string{filepath.Join(root, "rules")}, Scope: run.Scope{AsOf: civil.MustParse(AsOf)},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(out.Dataset.Release)
	return out
}

// Expected lists the planted "rule_id subject" pairs whose rule keep accepts.
func Expected(t testing.TB, root string, keep func(ruleID string) bool) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "fixtures", "shizhong", "expected.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs[1:] {
		if keep(r[0]) {
			out = append(out, r[0]+" "+r[1])
		}
	}
	return uniq(out)
}

// Got lists the "rule_id subject" pairs of the findings whose rule keep accepts.
func Got(fs []*findings.Finding, keep func(ruleID string) bool) []string {
	var out []string
	for _, f := range fs {
		if keep(f.RuleID) {
			out = append(out, f.RuleID+" "+f.Subject)
		}
	}
	return uniq(out)
}

// AssertSame fails the test with a diff when the two sets differ, and when
// the expected set is empty (a fixture that plants nothing proves nothing).
func AssertSame(t testing.TB, what string, want, got []string) {
	t.Helper()
	if len(want) == 0 {
		t.Errorf("%s: expected.csv plants nothing", what)
	}
	w, g := set(want), set(got)
	var diff []string
	for _, x := range want {
		if !g[x] {
			diff = append(diff, "- missing:    "+x)
		}
	}
	for _, x := range got {
		if !w[x] {
			diff = append(diff, "+ unexpected: "+x)
		}
	}
	if len(diff) > 0 {
		t.Errorf("%s differ from expected.csv:\n%s", what, strings.Join(diff, "\n"))
	}
}

func set(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

func uniq(xs []string) []string {
	sort.Strings(xs)
	out := xs[:0]
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// WriteDataset writes a contract dataset folder: every required table with
// its contract header and the given rows (absent ones empty), and an
// optional table only when rows are given for it.
func WriteDataset(t testing.TB, dir string, rows map[string][]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, spec := range contract.Tables {
		rs, given := rows[spec.Name]
		if spec.Optional && !given {
			continue
		}
		var b strings.Builder
		b.WriteString(spec.Header() + "\n")
		for _, r := range rs {
			b.WriteString(r + "\n")
		}
		if err := os.WriteFile(filepath.Join(dir, spec.Name+".csv"), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
