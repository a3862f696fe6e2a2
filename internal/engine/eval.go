package engine

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/expr-lang/expr/vm"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/table"
)

// EvalOptions are the run-wide values rules see.
type EvalOptions struct {
	AsOf, From, To civil.Date
	Workers        int               // 0 = GOMAXPROCS
	Towns          map[string]string // village -> town, for findings' town_id
	ChunkRows      int               // rows per work unit; 0 = 32768
	// MaxErrorsBeforeDisable: a rule that fails on this many rows in a row,
	// with no success, is disabled for the run (it is broken, not unlucky).
	MaxErrorsBeforeDisable int
	// RowWise evaluates every rule through the expr VM, row by row, even
	// when its `when` has a column-wise form (for tests and benchmarks).
	RowWise bool
	// ChunkBudget is the time one rule may spend on one chunk of rows
	// before it is stopped and disabled for the run (sandbox.go); 0 =
	// DefaultChunkBudget, negative = no limit.
	ChunkBudget time.Duration
	// MaxFindingsPerRule caps the findings one rule may make in one run
	// (0 = DefaultMaxFindingsPerRule, negative = no cap). A rule beyond it
	// keeps that many findings, says how many it dropped in RuleStats,
	// and never exhausts memory (an as_of far in the future once built
	// millions of missing-disclosure findings).
	MaxFindingsPerRule int
}

// CapMessage says that a rule hit the findings cap (0 = the default cap)
// and how many rows it dropped, for summary.json and the run's output.
func CapMessage(limit, dropped int) string {
	if limit == 0 {
		limit = DefaultMaxFindingsPerRule
	}
	return fmt.Sprintf("findings capped at %d per rule per run: %d more rows fired and were dropped (which %d are kept can differ between runs)",
		limit, dropped, limit)
}

// DefaultMaxFindingsPerRule is the findings cap per rule per run: far
// above any real rule on a province's data (the largest shipped rule
// makes a few thousand), far below what exhausts memory.
const DefaultMaxFindingsPerRule = 100000

// RuleStats is what evaluating one rule did.
type RuleStats struct {
	RuleID   string   `json:"rule_id"`
	View     string   `json:"view"`
	Rows     int      `json:"rows"`
	Fired    int      `json:"fired"`
	Errors   int      `json:"errors"`
	Samples  []string `json:"error_samples,omitempty"`
	Disabled string   `json:"disabled,omitempty"`
	// Dropped counts rows that fired beyond MaxFindingsPerRule: no finding
	// was made for them; Capped says so in words for the summary.
	Dropped   int           `json:"dropped,omitempty"`
	Capped    string        `json:"capped,omitempty"`
	Duration  time.Duration `json:"-"`
	DurationS float64       `json:"seconds"`
}

// Result is the outcome of evaluating a plan.
type Result struct {
	Findings []*findings.Finding
	Stats    []RuleStats
}

type unit struct {
	rule     int
	lo, hi   int
	seq      int
	findings []*findings.Finding
	stats    RuleStats
}

// Evaluate runs every enabled rule over its view. Views missing from the
// map are skipped by the caller (it knows why); here they are ignored.
func Evaluate(ctx context.Context, plan *Plan, views map[string]*table.Table, opt EvalOptions) (*Result, error) {
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	chunk := opt.ChunkRows
	if chunk <= 0 {
		chunk = 32768
	}
	if opt.MaxErrorsBeforeDisable <= 0 {
		opt.MaxErrorsBeforeDisable = 1000
	}
	if opt.MaxFindingsPerRule == 0 {
		opt.MaxFindingsPerRule = DefaultMaxFindingsPerRule
	}
	counts := make([]atomic.Int64, len(plan.Rules))
	units := workUnits(plan, views, chunk)
	work := make(chan *unit)
	wd := sandboxWatchdog(opt)
	defer wd.stop()
	var wg sync.WaitGroup
	var disabled sync.Map // rule index -> reason
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ev := &evaluator{envs: map[int]*env{}, colCtx: map[int]*vctx{}, opt: opt, disabled: &disabled, counts: counts}
			ev.sandbox(wd)
			for u := range work {
				ev.run(ctx, plan, views, u)
			}
		}()
	}
	for _, u := range units {
		if ctx.Err() != nil {
			break
		}
		work <- u
	}
	close(work)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return gather(plan, views, units, &disabled, opt), nil
}

type evaluator struct {
	envs     map[int]*env
	colCtx   map[int]*vctx
	vm       vm.VM
	opt      EvalOptions
	disabled *sync.Map
	budget   budgetState    // sandbox.go
	counts   []atomic.Int64 // findings made per rule, for the cap
}

// room says whether rule u.rule may make one more finding; if not, the
// row is counted as dropped. Checked before the finding is built, so a
// runaway rule costs no memory beyond the cap.
func (ev *evaluator) room(u *unit) bool {
	if ev.opt.MaxFindingsPerRule < 0 || ev.counts[u.rule].Add(1) <= int64(ev.opt.MaxFindingsPerRule) {
		return true
	}
	u.stats.Fired++
	u.stats.Dropped++
	return false
}

func (ev *evaluator) run(ctx context.Context, plan *Plan, views map[string]*table.Table, u *unit) {
	start := time.Now()
	defer func() { u.stats.Duration = time.Since(start) }()
	c := plan.Rules[u.rule]
	t := views[c.View.Name]
	e := ev.envFor(c, t, u.rule)
	if c.col != nil && !ev.opt.RowWise {
		ev.runColumnar(ctx, c, t, u, e)
		return
	}
	g := globals{asOf: ev.opt.AsOf, from: ev.opt.From, to: ev.opt.To}
	villageAt := villageReader(t)
	dates := ev.windowDates(c, t)
	lastVillage, ps := "\x00", c.scopes.sets[0]
	streak := 0
	for i := u.lo; i < u.hi; i++ {
		if i&1023 == 0 && ctx.Err() != nil {
			return
		}
		if _, off := ev.disabled.Load(u.rule); off {
			return
		}
		if ev.overBudget(u, c, start, i) {
			return
		}
		village := villageAt(i)
		if village != lastVillage {
			lastVillage = village
			ps = c.scopes.set(village)
			e.setParams(ps.env)
		}
		if !ps.enabled {
			continue
		}
		if dates != nil {
			d := civil.Date(dates.Value(i))
			if (ev.opt.From != 0 && d < ev.opt.From) || (ev.opt.To != 0 && d > ev.opt.To) {
				continue
			}
		}
		u.stats.Rows++
		e.load(i)
		out, err := ev.vm.Run(c.when, e.ptr)
		if err != nil {
			ev.fail(u, c, t, i, err, &streak)
			continue
		}
		streak = -1 << 30 // a success: the rule works, errors are per-row
		if fired, _ := out.(bool); !fired {
			continue
		}
		if !ev.room(u) {
			continue
		}
		f, err := ev.finding(c, t, i, village, ps, g, e)
		if err != nil {
			ev.fail(u, c, t, i, err, &streak)
			continue
		}
		u.stats.Fired++
		u.findings = append(u.findings, f)
	}
}

func (ev *evaluator) fail(u *unit, c *Compiled, t *table.Table, i int, err error, streak *int) {
	u.stats.Errors++
	if len(u.stats.Samples) < 5 {
		u.stats.Samples = append(u.stats.Samples, fmt.Sprintf("%s row %d: %v", t.Name, i+1, firstLine(err.Error())))
	}
	*streak++
	if *streak >= ev.opt.MaxErrorsBeforeDisable {
		ev.disabled.Store(u.rule, fmt.Sprintf("failed on its first %d rows and was disabled for this run", *streak))
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// workUnits cuts each rule's view into chunks of rows, the work the
// evaluators share; an empty view is one empty unit (its rule is still
// counted). Rules whose view is absent or that are disabled everywhere get
// none.
func workUnits(plan *Plan, views map[string]*table.Table, chunk int) []*unit {
	var units []*unit
	for ri, c := range plan.Rules {
		t := views[c.View.Name]
		if t == nil || !c.scopes.anyEnabled() {
			continue
		}
		n := t.Len()
		for lo := 0; lo < n || (lo == 0 && n == 0); lo += chunk {
			units = append(units, &unit{rule: ri, lo: lo, hi: min(lo+chunk, n), seq: len(units)})
			if n == 0 {
				break
			}
		}
	}
	return units
}

// gather adds up the units into per-rule stats (the rules that ran, by id)
// and the findings, sorted and merged.
func gather(plan *Plan, views map[string]*table.Table, units []*unit, disabled *sync.Map, opt EvalOptions) *Result {
	res := &Result{}
	stats := make([]RuleStats, len(plan.Rules))
	for i, c := range plan.Rules {
		stats[i] = RuleStats{RuleID: c.Rule.ID, View: c.View.Name}
	}
	for _, u := range units {
		s := &stats[u.rule]
		s.Rows += u.stats.Rows
		s.Fired += u.stats.Fired
		s.Errors += u.stats.Errors
		s.Dropped += u.stats.Dropped
		s.Duration += u.stats.Duration
		for _, m := range u.stats.Samples {
			if len(s.Samples) < 5 {
				s.Samples = append(s.Samples, m)
			}
		}
		res.Findings = append(res.Findings, u.findings...)
	}
	for i := range stats {
		if r, ok := disabled.Load(i); ok {
			stats[i].Disabled = r.(string)
		}
		stats[i].DurationS = stats[i].Duration.Seconds()
		if d := stats[i].Dropped; d > 0 {
			stats[i].Capped = CapMessage(opt.MaxFindingsPerRule, d)
		}
		if views[plan.Rules[i].View.Name] != nil && plan.Rules[i].scopes.anyEnabled() {
			res.Stats = append(res.Stats, stats[i])
		}
	}
	findings.Sort(res.Findings)
	res.Findings = findings.Merge(res.Findings)
	sort.SliceStable(res.Stats, func(i, j int) bool { return res.Stats[i].RuleID < res.Stats[j].RuleID })
	return res
}

// envFor is the worker's env for rule (made on its first chunk): the
// struct the VM reads a row from, with the run's globals set.
func (ev *evaluator) envFor(c *Compiled, t *table.Table, rule int) *env {
	e := ev.envs[rule]
	if e == nil {
		e = c.layout.newEnv(t, c.used)
		e.setGlobals(c.scopes.sets[0].env, int(ev.opt.AsOf), int(ev.opt.From), int(ev.opt.To))
		ev.envs[rule] = e
	}
	return e
}

// windowDates is the view's date column when the run has a from/to window
// (rows dated outside it are not read), nil otherwise.
func (ev *evaluator) windowDates(c *Compiled, t *table.Table) *array.Date32 {
	if c.View.DateCol != "" && (ev.opt.From != 0 || ev.opt.To != 0) && t.Index(c.View.DateCol) >= 0 {
		return t.Date(c.View.DateCol)
	}
	return nil
}
