package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/table"
)

func sandboxRule(id, when string) string {
	return fmt.Sprintf(`  - id: %s
    title: 测试
    family: cash
    severity: low
    on: ledger
    when: %q
    subject: "entry:{{entry_id}}"
    period: "{{date}}"
    message: "x"
`, id, when)
}

func sandboxLedger(n int) *table.Table {
	rows := make([]ledgerRow, n)
	for i := range rows {
		rows[i] = ledgerRow{fmt.Sprintf("E%d", i), "V1", "2024-03-01", "cash", "out", int64(100 + i)}
	}
	return ledgerTable(rows)
}

// TestSandboxNoClockOrEnv: rules cannot read the clock or the process
// environment; they compile to errors, so a rerun gives the same findings.
func TestSandboxNoClockOrEnv(t *testing.T) {
	for _, when := range []string{
		`now().Year() > 2000`,
		`date("2024-01-01").Unix() > 0`,
		`duration("1h") > duration("1m")`,
		`timezone("Asia/Shanghai") != nil`,
		`$env.HOME != ""`,
		`getenv("HOME") != ""`,
		`Getenv("HOME") != ""`,
	} {
		set, err := rulesFromString(t, "rules:\n"+sandboxRule("T-CLOCK", when))
		if err != nil {
			t.Fatalf("%s: %v", when, err)
		}
		if errs := Check(set); len(errs) == 0 {
			t.Errorf("%s compiled; rules must not see the clock or the environment", when)
		}
	}
}

// TestSandboxMaxNodes: a huge expression is refused at compile time.
func TestSandboxMaxNodes(t *testing.T) {
	when := "amount > 0" + strings.Repeat(" && amount > 0", 1500)
	set, err := rulesFromString(t, "rules:\n"+sandboxRule("T-HUGE", when))
	if err != nil {
		t.Fatal(err)
	}
	errs := Check(set)
	if len(errs) == 0 || !strings.Contains(errs.Error(), "exceeds maximum allowed nodes") {
		t.Errorf("want a max-nodes error, got %v", errs)
	}
}

// TestSandboxRunawayRules: a rule that allocates without bound fails on
// every row (memory budget) and is disabled; a rule that burns CPU is
// stopped by the per-chunk time budget and disabled; the honest rule beside
// them finishes with all its findings, and each disabled rule says why.
func TestSandboxRunawayRules(t *testing.T) {
	src := "rules:\n" +
		sandboxRule("T-OK", `amount >= 0`) +
		sandboxRule("T-MEMORY", `len(1..100000000) > 0`) +
		sandboxRule("T-NESTED", `any(1..2000, {any(1..2000, {# < 0})})`) +
		sandboxRule("T-SLOW", `all(1..100, {all(1..100, {all(1..10, {# > 0})})})`)
	set, err := rulesFromString(t, src)
	if err != nil {
		t.Fatal(err)
	}
	plan, errs := Compile(set, nil, Geography{"V1": "T1"})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	const n = 3000
	tb := sandboxLedger(n)
	defer tb.Release()
	start := time.Now()
	res, err := Evaluate(context.Background(), plan, map[string]*table.Table{"ledger": tb}, EvalOptions{
		AsOf: civil.MustParse("2025-06-30"), MaxErrorsBeforeDisable: 50, ChunkBudget: 200 * time.Millisecond, RowWise: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	stats := map[string]RuleStats{}
	for _, s := range res.Stats {
		stats[s.RuleID] = s
		t.Logf("%s: rows %d fired %d errors %d disabled %q samples %v (%.2fs)", s.RuleID, s.Rows, s.Fired, s.Errors, s.Disabled, s.Samples, s.DurationS)
	}
	if s := stats["T-OK"]; s.Fired != n || s.Disabled != "" {
		t.Errorf("T-OK: fired %d of %d, disabled %q", s.Fired, n, s.Disabled)
	}
	if s := stats["T-MEMORY"]; !strings.Contains(s.Disabled, "failed on its first 50 rows") || len(s.Samples) == 0 || !strings.Contains(s.Samples[0], "memory budget exceeded") {
		t.Errorf("T-MEMORY: want disabled after 50 memory-budget errors, got %+v", s)
	}
	// Each row of T-NESTED loops until the memory budget stops it: it is
	// disabled by whichever limit comes first.
	if s := stats["T-NESTED"]; s.Disabled == "" || len(s.Samples) == 0 || !strings.Contains(s.Samples[0], "memory budget exceeded") {
		t.Errorf("T-NESTED: want memory-budget errors and disabled, got %+v", s)
	}
	if s := stats["T-SLOW"]; !strings.Contains(s.Disabled, "ran away") || s.Rows >= n {
		t.Errorf("T-SLOW: want stopped by the time budget, got %+v", s)
	}
	if elapsed > 20*time.Second {
		t.Errorf("evaluation took %s: the budgets did not stop the runaway rules", elapsed)
	}
	// Findings of rows evaluated before a rule was stopped are kept: they
	// are true. Only T-OK and T-SLOW (its first rows) can fire.
	for _, f := range res.Findings {
		if f.RuleID != "T-OK" && f.RuleID != "T-SLOW" {
			t.Errorf("finding from a failing rule: %s %s", f.RuleID, f.Subject)
			break
		}
	}
}

// TestSandboxBudgetOff: a negative ChunkBudget disables the time check
// (benchmarks); the memory budget always applies.
func TestSandboxBudgetOff(t *testing.T) {
	if wd := sandboxWatchdog(EvalOptions{ChunkBudget: -1}); wd != nil {
		t.Error("negative budget still starts a watchdog")
	}
	ev := &evaluator{}
	ev.sandbox(nil)
	if ev.vm.MemoryBudget != RuleMemoryBudget {
		t.Errorf("memory budget %d", ev.vm.MemoryBudget)
	}
	if ev.overBudget(&unit{lo: 0}, nil, time.Now().Add(-time.Hour), 5) {
		t.Error("no watchdog, yet stopped")
	}
}

// TestSandboxExprShape: an expression nested too deep or too long is
// refused before expr's recursive parser sees it (a stack overflow there
// is fatal, beyond any recover), with the position of the offending byte.
// The rule's line 7 is `    when: "..."`: the text starts at column 12.
func TestSandboxExprShape(t *testing.T) {
	for _, c := range []struct{ name, when, want string }{
		{"deep parentheses", strings.Repeat("(", 300000) + "amount > 0" + strings.Repeat(")", 300000),
			"r.yaml:7:12: rule T-DEEP: when: expression is 600010 bytes long; at most 65536 are allowed"},
		{"65 brackets", strings.Repeat("(", 65) + "amount > 0" + strings.Repeat(")", 65),
			"r.yaml:7:76: rule T-DEEP: when: expression nested more than 64 brackets deep"},
		{"mixed brackets", "amount > 0 && " + strings.Repeat("[", 70) + strings.Repeat("]", 70),
			"r.yaml:7:90: rule T-DEEP: when: expression nested more than 64 brackets deep"},
	} {
		t.Run(c.name, func(t *testing.T) {
			set, err := rulesFromString(t, "rules:\n"+sandboxRule("T-DEEP", c.when))
			if err != nil {
				t.Fatal(err)
			}
			errs := Check(set)
			if len(errs) != 1 || !strings.HasSuffix(errs[0].Error(), c.want) {
				t.Errorf("got %v\nwant …%s", errs, c.want)
			}
		})
	}
	// 64 levels and brackets inside strings are fine
	ok := strings.Repeat("(", 64) + "amount > 0" + strings.Repeat(")", 64) + ` && summary != "` + strings.Repeat("(", 100) + `"`
	set, err := rulesFromString(t, "rules:\n"+sandboxRule("T-OK", ok))
	if err != nil {
		t.Fatal(err)
	}
	if errs := Check(set); len(errs) > 0 {
		t.Errorf("64 levels refused: %v", errs)
	}
}

// TestSandboxIntOverflow: integer arithmetic in a rule is checked; an
// overflow is a row error (counted, sampled, the rule disabled when it
// fails on every row), never a silently wrapped value deciding a finding.
func TestSandboxIntOverflow(t *testing.T) {
	for _, c := range []struct {
		name, when string
		rowWise    bool
		fired      int
		errSample  string
	}{
		{"multiply", "date * 9223372036854775807 > 0", true, 0, "integer overflow: 19783 * 9223372036854775807 does not fit in 64 bits"},
		{"add", "date + 9223372036854775807 < 0", true, 0, "integer overflow: 19783 + 9223372036854775807 does not fit in 64 bits"},
		{"subtract", "-9223372036854775807 - date > 0", true, 0, "integer overflow: -9223372036854775807 - 19783 does not fit in 64 bits"},
		{"in range", "date - 19000 > 0", true, 10, ""},
		{"in range column-wise", "date - 19000 > 0", false, 10, ""},
		{"overflow column-wise", "date * 9223372036854775807 > 0", false, 0, "integer overflow"},
	} {
		t.Run(c.name, func(t *testing.T) {
			set, err := rulesFromString(t, "rules:\n"+sandboxRule("T-INT", c.when))
			if err != nil {
				t.Fatal(err)
			}
			plan, errs := Compile(set, nil, Geography{"V1": "T1"})
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			if !plan.Rules[0].ColumnWise() {
				t.Fatal("checked int arithmetic is not column-wise")
			}
			tb := sandboxLedger(10)
			defer tb.Release()
			res, err := Evaluate(context.Background(), plan, map[string]*table.Table{"ledger": tb}, EvalOptions{AsOf: civil.MustParse("2025-06-30"), RowWise: c.rowWise})
			if err != nil {
				t.Fatal(err)
			}
			st := res.Stats[0]
			if len(res.Findings) != c.fired {
				t.Errorf("%d findings, want %d", len(res.Findings), c.fired)
			}
			if c.errSample == "" {
				if st.Errors != 0 {
					t.Errorf("errors %d %v", st.Errors, st.Samples)
				}
				return
			}
			if st.Errors != 10 || len(st.Samples) == 0 || !strings.Contains(st.Samples[0], c.errSample) {
				t.Errorf("errors %d, samples %v; want 10 with %q", st.Errors, st.Samples, c.errSample)
			}
		})
	}
}
