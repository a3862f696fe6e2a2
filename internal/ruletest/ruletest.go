// Package ruletest runs rule unit test files through the real loader,
// detectors and engine, like `promtool test rules`: each test gives small
// inline tables and exactly the findings its rules must produce.
package ruletest

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/run"
	"github.com/neijiang/xiaowei/internal/table"
)

// Result of one test case.
type Result struct {
	File, Name string
	Pos        rules.Pos
	Missing    []string // expected, not produced
	Unexpected []string // produced, not expected
	Differs    []string // produced, but its severity, amount or period is not the expected one
	Rejects    []string // inline rows the loader rejected
	Err        error
}

// OK reports whether the case passed.
func (r *Result) OK() bool {
	return r.Err == nil && len(r.Missing) == 0 && len(r.Unexpected) == 0 && len(r.Differs) == 0 && len(r.Rejects) == 0
}

// RunAll runs every test case in the set against the set's rules.
func RunAll(ctx context.Context, set *rules.Set) []*Result {
	var out []*Result
	for _, tf := range set.Tests {
		for _, tc := range tf.Cases {
			out = append(out, RunCase(ctx, set, tf.Path, tc))
		}
	}
	return out
}

// RunCase runs one test case.
func RunCase(ctx context.Context, set *rules.Set, file string, tc *rules.TestCase) *Result {
	res := &Result{File: file, Name: tc.Name, Pos: tc.Pos}
	scope, err := parseScope(tc)
	if err != nil {
		res.Err = err
		return res
	}
	only, err := rulesUnderTest(set, tc)
	if err != nil {
		res.Err = err
		return res
	}
	tables := map[string]*table.Table{}
	defer func() {
		for _, t := range tables {
			t.Release()
		}
	}()
	if res.Err = loadCaseTables(ctx, file, tc, scope, tables, res); res.Err != nil {
		return res
	}
	ev, err := run.Pipeline(ctx, tables, run.EvalConfig{Rules: set, Overrides: tc.Overrides, Only: only, Scope: scope, Workers: 1})
	if err != nil {
		res.Err = err
		return res
	}
	for _, s := range ev.Skipped {
		res.Err = fmt.Errorf("rule %s skipped: %s", s.RuleID, s.Reason)
	}
	compare(res, tc.Expect, ev.Result.Findings)
	return res
}

// rulesUnderTest are the case's rules (rules:, else the rules its
// expectations name); each must be in the rule set.
func rulesUnderTest(set *rules.Set, tc *rules.TestCase) (map[string]bool, error) {
	only := map[string]bool{}
	for _, id := range tc.Rules {
		only[id] = true
	}
	if len(tc.Rules) == 0 {
		for _, e := range tc.Expect {
			only[e.Rule] = true
		}
	}
	for id := range only {
		if set.Rule(id) == nil {
			return nil, fmt.Errorf("no rule %q in the rule set", id)
		}
	}
	return only, nil
}

// loadCaseTables loads the case's inline tables into tables (an absent
// required table is empty, an absent optional one absent), checked as
// input files are; rejected rows go to res.Rejects at their line in the
// test file. Tables loaded before an error stay in tables, for the caller
// to release.
func loadCaseTables(ctx context.Context, file string, tc *rules.TestCase, scope run.Scope, tables map[string]*table.Table, res *Result) error {
	for name := range tc.Tables {
		if _, ok := contract.Lookup(name); !ok {
			return fmt.Errorf("tables: %q is not a contract table", name)
		}
	}
	for _, spec := range contract.All() {
		src, given := tc.Tables[spec.Name]
		text := ""
		if given {
			text = src.Src
		} else if spec.Optional {
			continue
		} else {
			text = spec.Header() + "\n" // an absent required table is empty
		}
		t, _, rejects, err := load.Table(ctx, spec, fmt.Sprintf("%s[%s]", file, spec.Name), strings.NewReader(text), load.Options{AsOf: scope.AsOf})
		if err != nil {
			return fmt.Errorf("tables.%s: %w", spec.Name, err)
		}
		for _, r := range rejects {
			pos := src.At(r.Line, 0)
			res.Rejects = append(res.Rejects, fmt.Sprintf("%s: %s %s=%q: %s", pos, spec.Name, r.Column, r.Value, r.Reason))
		}
		tables[spec.Name] = t
	}
	return nil
}

// compare sets res.Missing, res.Differs and res.Unexpected from the
// expected findings (rule and subject, and severity, amount and period
// when given) against those the run made, each list sorted.
func compare(res *Result, expect []rules.ExpectedFinding, fs []*findings.Finding) {
	got := map[string]*findings.Finding{}
	for _, f := range fs {
		got[f.RuleID+" "+f.Subject] = f
	}
	seen := map[string]bool{}
	for _, e := range expect {
		key := e.Rule + " " + e.Subject
		seen[key] = true
		f, ok := got[key]
		if !ok {
			res.Missing = append(res.Missing, key)
			continue
		}
		var diffs []string
		if e.Severity != "" && e.Severity != f.Severity {
			diffs = append(diffs, fmt.Sprintf("severity %s, want %s", f.Severity, e.Severity))
		}
		if e.Amount != "" && e.Amount != f.Amount.String() {
			diffs = append(diffs, fmt.Sprintf("amount %s, want %s", f.Amount.String(), e.Amount))
		}
		if e.Period != "" && e.Period != f.Period {
			diffs = append(diffs, fmt.Sprintf("period %s, want %s", f.Period, e.Period))
		}
		if len(diffs) > 0 {
			res.Differs = append(res.Differs, key+": "+strings.Join(diffs, "; "))
		}
	}
	for key, f := range got {
		if !seen[key] {
			res.Unexpected = append(res.Unexpected, key+" ["+string(f.Severity)+"] "+f.Message)
		}
	}
	sort.Strings(res.Missing)
	sort.Strings(res.Unexpected)
	sort.Strings(res.Differs)
}

// testScopeNames are a test case's date fields as written.
var testScopeNames = run.ScopeNames{AsOf: "as_of", From: "from", To: "to"}

func parseScope(tc *rules.TestCase) (run.Scope, error) {
	return run.ParseScope(run.ScopeText{AsOf: tc.AsOf, From: tc.From, To: tc.To}, testScopeNames)
}

// Report prints results like a test runner and returns the failure count.
func Report(w io.Writer, results []*Result) (passed, failed int) {
	for _, r := range results {
		if r.OK() {
			passed++
			fmt.Fprintf(w, "ok    %s: %s\n", r.Pos, r.Name)
			continue
		}
		failed++
		fmt.Fprintf(w, "FAIL  %s: %s\n", r.Pos, r.Name)
		if r.Err != nil {
			fmt.Fprintf(w, "      error: %v\n", r.Err)
		}
		for _, m := range r.Rejects {
			fmt.Fprintf(w, "      rejected input: %s\n", m)
		}
		for _, m := range r.Missing {
			fmt.Fprintf(w, "      - missing:    %s\n", m)
		}
		for _, m := range r.Unexpected {
			fmt.Fprintf(w, "      + unexpected: %s\n", m)
		}
		for _, m := range r.Differs {
			fmt.Fprintf(w, "      ~ differs:    %s\n", m)
		}
	}
	return passed, failed
}
