// Package run is one evaluation of xiaowei: rules and data in, findings,
// summary, manifest and rejects out. The CLI, the service and the rule
// test runner all go through Pipeline, so they cannot disagree.
package run

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/ident"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/table"
)

// Scope limits what a run reads and reports.
type Scope struct {
	AsOf     civil.Date
	From, To civil.Date // zero = open
	// Villages, when non-empty, limits the run to these villages (a
	// campaign's scope); Towns likewise.
	Villages []string
	Towns    []string
	// BoundAsOf refuses an as_of more than AsOfSlackDays after the data's
	// last date (set when a person gave --as-of; a scheduled run's as_of
	// is yesterday and stale data must not stop it).
	BoundAsOf bool
}

// SkippedRule is a rule that did not run, and why.
type SkippedRule struct {
	RuleID string `json:"rule_id"`
	Reason string `json:"reason"`
}

// ScopeStats counts rows a run did not read because of its scope.
type ScopeStats struct {
	Table      string `json:"table"`
	AfterAsOf  int    `json:"after_as_of"`
	OutOfScope int    `json:"out_of_scope,omitempty"`
}

// Evaluation is the outcome of the pipeline on loaded tables.
type Evaluation struct {
	Result  *engine.Result
	Plan    *engine.Plan
	Skipped []SkippedRule
	Scoped  []ScopeStats
	Stages  map[string]float64 // seconds per stage
	Views   map[string]int     // rows per derived view
	Altered []ident.Change     // identifier values normalised (normaliseTables)
}

// EvalConfig is what Pipeline needs besides the tables.
type EvalConfig struct {
	Rules     *rules.Set
	Overrides []*rules.Override // extra, e.g. a test's inline overrides
	Only      map[string]bool   // when set, evaluate only these rule ids
	Scope     Scope
	Workers   int
	Mem       memory.Allocator
	// MaxFindingsPerRule: see engine.EvalOptions (0 = the default cap).
	MaxFindingsPerRule int
	// Progress, when set, is told each stage as it starts.
	Progress func(stage string)
}

// timed runs fn and records its duration.
func timed(stages map[string]float64, name string, progress func(string), fn func() error) error {
	if progress != nil {
		progress(name)
	}
	start := time.Now()
	err := fn()
	stages[name] += time.Since(start).Seconds()
	return err
}

// Pipeline scopes the tables (as-of and campaign scope), builds the views
// the enabled rules read, and evaluates the rules. It takes ownership of
// nothing: tables stay the caller's; views it builds are released.
func Pipeline(ctx context.Context, tables map[string]*table.Table, cfg EvalConfig) (*Evaluation, error) {
	ev := &Evaluation{Stages: map[string]float64{}, Views: map[string]int{}}
	if cfg.Scope.BoundAsOf {
		if err := checkAsOf(tables, cfg.Scope.AsOf); err != nil {
			return nil, err
		}
	}
	mem := cfg.Mem
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	scoped, err := normaliseAndScope(ctx, tables, cfg, mem, ev)
	if err != nil {
		return nil, err
	}
	defer func() {
		for name, t := range scoped {
			if t != tables[name] {
				t.Release()
			}
		}
	}()
	geo := engine.GeographyOf(scoped["villages"])
	plan, errs := engine.Compile(cfg.Rules, cfg.Overrides, geo)
	if len(errs) > 0 {
		return nil, errs
	}
	ev.Plan = plan
	if cfg.Only != nil {
		kept := plan.Rules[:0]
		for _, c := range plan.Rules {
			if cfg.Only[c.Rule.ID] {
				kept = append(kept, c)
			}
		}
		plan.Rules = kept
	}
	views, want := plannedViews(plan, scoped, ev)
	built, err := buildViews(ctx, want, scoped, cfg, mem, ev, views)
	defer func() {
		for _, t := range built {
			t.Release()
		}
	}()
	if err != nil {
		return nil, err
	}
	towns := map[string]string(geo)
	err = timed(ev.Stages, "evaluate", cfg.Progress, func() error {
		var err error
		ev.Result, err = engine.Evaluate(ctx, plan, views, engine.EvalOptions{
			AsOf: cfg.Scope.AsOf, From: cfg.Scope.From, To: cfg.Scope.To, Workers: cfg.Workers, Towns: towns,
			MaxFindingsPerRule: cfg.MaxFindingsPerRule,
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return ev, nil
}

// normaliseAndScope normalises identifiers, then scopes the tables (as_of
// and campaign scope). Identifiers are normalised before scoping, so that a
// village or case id written with an invisible character is scoped like its
// normal form. The tables returned that are not the caller's are the
// caller's to release.
func normaliseAndScope(ctx context.Context, tables map[string]*table.Table, cfg EvalConfig, mem memory.Allocator, ev *Evaluation) (map[string]*table.Table, error) {
	normal := maps.Clone(tables)
	if err := timed(ev.Stages, "normalise", cfg.Progress, func() error {
		var err error
		ev.Altered, err = normaliseTables(normal, tables, mem)
		return err
	}); err != nil {
		releaseNew(normal, tables)
		return nil, err
	}
	var scoped map[string]*table.Table
	if err := timed(ev.Stages, "scope", cfg.Progress, func() error {
		var err error
		scoped, ev.Scoped, err = applyScope(ctx, normal, cfg.Scope, mem)
		return err
	}); err != nil {
		releaseNew(normal, tables)
		return nil, err
	}
	ev.Altered = inScope(ev.Altered, normal["villages"], scoped["villages"])
	// a normalised table that scoping replaced by a filtered copy is no
	// longer needed; one scoping kept is released with scoped
	for name, t := range normal {
		if t != tables[name] && scoped[name] != t {
			t.Release()
		}
	}
	return scoped, nil
}

// plannedViews answers which views the rules need, and whether they can be
// built: a rule whose tables are absent is skipped (ev.Skipped) and dropped
// from the plan. It returns the views that are tables as they are, and per
// detector the views it must build.
func plannedViews(plan *engine.Plan, scoped map[string]*table.Table, ev *Evaluation) (map[string]*table.Table, map[engine.Detector]map[string]bool) {
	views := map[string]*table.Table{}
	want := map[engine.Detector]map[string]bool{}
	runnable := plan.Rules[:0]
	for _, c := range plan.Rules {
		var missing []string
		for _, n := range c.View.Needs {
			if scoped[n] == nil {
				missing = append(missing, n)
			}
		}
		if len(missing) > 0 {
			ev.Skipped = append(ev.Skipped, SkippedRule{c.Rule.ID, fmt.Sprintf("table %s absent (view %s needs it)", strings.Join(missing, ", "), c.View.Name)})
			continue
		}
		runnable = append(runnable, c)
		if !c.Runs() {
			continue // disabled everywhere: its view is not built (Evaluate skips it)
		}
		if c.Detector == nil {
			views[c.View.Name] = scoped[c.View.Name]
			continue
		}
		if want[c.Detector] == nil {
			want[c.Detector] = map[string]bool{}
		}
		want[c.Detector][c.View.Name] = true
	}
	plan.Rules = runnable
	return views, want
}

// releaseNew releases the tables of m that are not the caller's.
func releaseNew(m, callers map[string]*table.Table) {
	for name, t := range m {
		if t != callers[name] {
			t.Release()
		}
	}
}

// checkView guards against a detector emitting a view that does not match
// its declared schema (the rules were checked against the declaration).
func checkView(d engine.Detector, name string, t *table.Table) error {
	for _, v := range d.Views() {
		if v.Name != name {
			continue
		}
		if len(v.Cols) != len(t.Cols) {
			return fmt.Errorf("detector %s: view %s has %d columns, declared %d", d.Name(), name, len(t.Cols), len(v.Cols))
		}
		for i, c := range v.Cols {
			if t.Cols[i].Name != c.Name || t.Cols[i].Kind != c.Kind {
				return fmt.Errorf("detector %s: view %s column %d is %s %s, declared %s %s", d.Name(), name, i, t.Cols[i].Name, t.Cols[i].Kind, c.Name, c.Kind)
			}
		}
		return nil
	}
	return fmt.Errorf("detector %s: built undeclared view %s", d.Name(), name)
}
