package engine

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// The rule sandbox. Rules are user-written (one file per town or village
// can override them), so no rule may take a nightly run down:
//
//   - no clock or environment: now/date/timezone/duration are disabled
//     (funcs.go); as_of, from and to are variables;
//   - expr.MaxNodes bounds the size of a compiled expression (funcs.go), and
//     Compile recovers panics from expr (compile.go);
//   - RuleMemoryBudget bounds what one evaluation may allocate in the VM
//     (ranges, arrays, maps, sorts); over it, that row fails with
//     "memory budget exceeded";
//   - a rule that fails on its first MaxErrorsBeforeDisable rows is
//     disabled for the run (eval.go);
//   - a rule whose evaluation of one chunk of rows takes longer than
//     EvalOptions.ChunkBudget is stopped and disabled for the run.
//
// A disabled rule's reason is in RuleStats.Disabled (summary.json
// rules[].disabled); the other rules finish.

// RuleMemoryBudget is the VM memory budget per evaluation of one
// expression, in expr's units (array elements, map entries, range length).
// The shipped rules use a few dozen; 1<<20 leaves room for any honest rule
// and stops `1..100000000` and nested loops over large ranges.
const RuleMemoryBudget = 1 << 20

// DefaultChunkBudget is the time one rule may spend on one chunk of rows
// (EvalOptions.ChunkRows, 32768 by default). An honest rule takes a few
// milliseconds per chunk; a rule that needs seconds is running away.
const DefaultChunkBudget = 10 * time.Second

// watchdog flags evaluators whose current chunk has run over the budget.
// Reading the clock on every row would cost a third of a VM run; instead a
// ticker checks every worker's chunk start and the row loop reads one
// atomic. A runaway rule overshoots by at most one tick plus one row (one
// row is bounded by RuleMemoryBudget).
type watchdog struct {
	budget time.Duration
	mu     sync.Mutex
	evs    []*evaluator
	done   chan struct{}
}

// budgetState is an evaluator's view of the watchdog.
type budgetState struct {
	wd      *watchdog
	started atomic.Int64 // UnixNano when the current chunk started; 0 = idle
	expired atomic.Int64 // the `started` value the watchdog found over budget
	cur     int64        // this worker's copy of started
}

// sandboxWatchdog is started by Evaluate once per call; nil when the time
// budget is off.
func sandboxWatchdog(opt EvalOptions) *watchdog {
	b := opt.ChunkBudget
	if b == 0 {
		b = DefaultChunkBudget
	}
	if b < 0 {
		return nil
	}
	wd := &watchdog{budget: b, done: make(chan struct{})}
	tick := min(max(b/8, time.Millisecond), 250*time.Millisecond)
	go func() {
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			select {
			case <-wd.done:
				return
			case now := <-t.C:
				wd.mu.Lock()
				for _, ev := range wd.evs {
					if s := ev.budget.started.Load(); s != 0 && now.UnixNano()-s > int64(wd.budget) {
						ev.budget.expired.Store(s)
					}
				}
				wd.mu.Unlock()
			}
		}
	}()
	return wd
}

func (wd *watchdog) stop() {
	if wd != nil {
		close(wd.done)
	}
}

// sandbox sets the evaluator's limits; Evaluate calls it once per worker.
func (ev *evaluator) sandbox(wd *watchdog) {
	ev.vm.MemoryBudget = RuleMemoryBudget
	if wd != nil {
		ev.budget.wd = wd
		wd.mu.Lock()
		wd.evs = append(wd.evs, ev)
		wd.mu.Unlock()
	}
}

// overBudget is called before each row of a chunk; it reports whether the
// chunk has used up its time, and then disables the rule for the run.
func (ev *evaluator) overBudget(u *unit, c *Compiled, start time.Time, row int) bool {
	b := &ev.budget
	if b.wd == nil {
		return false
	}
	if row == u.lo {
		b.cur = start.UnixNano()
		b.started.Store(b.cur)
		return false
	}
	if b.expired.Load() != b.cur {
		return false
	}
	b.started.Store(0)
	ev.disabled.LoadOrStore(u.rule, fmt.Sprintf("ran away: %s on rows %d-%d of %s, over its budget of %s per chunk; stopped and disabled for this run",
		time.Since(start).Round(time.Millisecond), u.lo+1, row, c.View.Name, b.wd.budget))
	return true
}
