// Package run is one evaluation of xiaowei: rules and data in, findings,
// summary, manifest and rejects out. The CLI, the service and the rule
// test runner all go through Pipeline, so they cannot disagree.
package run

import (
	"context"
	"fmt"
	"maps"
	"sort"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
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
	// Identifiers are normalised before scoping, so that a village or case
	// id written with an invisible character is scoped like its normal form.
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
	// longer needed; one scoping kept is released with scoped below
	for name, t := range normal {
		if t != tables[name] && scoped[name] != t {
			t.Release()
		}
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

	// Which views do the rules need, and can they be built?
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
	var built []*table.Table
	defer func() {
		for _, t := range built {
			t.Release()
		}
	}()
	dets := make([]engine.Detector, 0, len(want))
	for d := range want {
		dets = append(dets, d)
	}
	sort.Slice(dets, func(i, j int) bool { return dets[i].Name() < dets[j].Name() })
	for _, d := range dets {
		var out map[string]*table.Table
		err := timed(ev.Stages, "detect:"+d.Name(), cfg.Progress, func() error {
			in := engine.NewInput(d, scoped, cfg.Scope.AsOf, cfg.Scope.From, cfg.Scope.To, want[d], mem, plan.Settings)
			in.Altered = ev.Altered
			var err error
			out, err = d.Build(ctx, in)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("detector %s: %w", d.Name(), err)
		}
		for name, t := range out {
			built = append(built, t)
			if err := checkView(d, name, t); err != nil {
				return nil, err
			}
			views[name] = t
			ev.Views[name] = t.Len()
		}
	}
	towns := map[string]string(geo)
	err := timed(ev.Stages, "evaluate", cfg.Progress, func() error {
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

// The column that dates a row (contract.Table.AsOfCol): a row dated after
// as_of did not exist yet on that day and is not read (domain.md). A
// campaign scope narrows the tables with a village column
// (contract.Table.VillageColumn).

func applyScope(ctx context.Context, tables map[string]*table.Table, s Scope, mem memory.Allocator) (map[string]*table.Table, []ScopeStats, error) {
	out := make(map[string]*table.Table, len(tables))
	for k, v := range tables {
		out[k] = v
	}
	inScope := scopeVillages(tables["villages"], s)
	// payments carry no village_id: they follow their case's village.
	var casesInScope map[string]bool
	if inScope != nil && tables["beneficiaries"] != nil {
		b := tables["beneficiaries"]
		cid, vid := b.Str("case_id"), b.Str("village_id")
		casesInScope = map[string]bool{}
		for i := 0; i < b.Len(); i++ {
			if inScope[vid.Value(i)] {
				casesInScope[cid.Value(i)] = true
			}
		}
	}
	var stats []ScopeStats
	for _, spec := range contract.All() {
		t := out[spec.Name]
		if t == nil || t.Len() == 0 {
			continue
		}
		st := ScopeStats{Table: spec.Name}
		keep := make([]bool, t.Len())
		dropped := 0
		var dates *array.Date32
		if c := spec.AsOfCol(); c != "" && s.AsOf != 0 {
			dates = t.Date(c)
		}
		var vids *array.String
		var inScopeKeys map[string]bool
		if vc := spec.VillageColumn(); inScope != nil && vc != "" {
			vids, inScopeKeys = t.Str(vc), inScope
		} else if casesInScope != nil && spec.Name == "payments" {
			vids, inScopeKeys = t.Str("case_id"), casesInScope
		}
		for i := range keep {
			keep[i] = true
			if dates != nil && dates.IsValid(i) && civil.Date(dates.Value(i)) > s.AsOf {
				keep[i] = false
				st.AfterAsOf++
			} else if vids != nil && !inScopeKeys[vids.Value(i)] {
				keep[i] = false
				st.OutOfScope++
			}
			if !keep[i] {
				dropped++
			}
		}
		if dropped == 0 {
			continue
		}
		ft, err := filterTable(ctx, t, keep, mem)
		if err != nil {
			return nil, nil, fmt.Errorf("scope %s: %w", spec.Name, err)
		}
		out[spec.Name] = ft
		stats = append(stats, st)
	}
	return out, stats, nil
}

func scopeVillages(villages *table.Table, s Scope) map[string]bool {
	if len(s.Villages) == 0 && len(s.Towns) == 0 {
		return nil
	}
	in := map[string]bool{}
	for _, v := range s.Villages {
		in[v] = true
	}
	if villages != nil && len(s.Towns) > 0 {
		vid, tid := villages.Str("village_id"), villages.Str("town_id")
		for i := 0; i < villages.Len(); i++ {
			if contains(s.Towns, tid.Value(i)) {
				in[vid.Value(i)] = true
			}
		}
	}
	return in
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// filterTable keeps the rows marked true, with Arrow's filter kernel.
func filterTable(ctx context.Context, t *table.Table, keep []bool, mem memory.Allocator) (*table.Table, error) {
	b := array.NewBooleanBuilder(mem)
	b.AppendValues(keep, nil)
	mask := b.NewBooleanArray()
	b.Release()
	defer mask.Release()
	ctx = compute.WithAllocator(ctx, mem)
	rec, err := compute.FilterRecordBatch(ctx, t.Rec, mask, compute.DefaultFilterOptions())
	if err != nil {
		return nil, err
	}
	return table.New(t.Name, t.Cols, rec.(arrow.RecordBatch)), nil
}
