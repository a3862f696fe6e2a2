package run

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/partition"
	"github.com/neijiang/xiaowei/internal/table"
)

// countyMerge adds up what each county of a partitioned run produced, so
// that the run ends with one dataset summary and one evaluation, as a
// whole run does.
type countyMerge struct {
	merged    *load.Dataset
	statIdx   map[string]int
	all       []*findings.Finding
	ruleStats map[string]*engine.RuleStats
	views     map[string]int
	skipped   map[string]SkippedRule
	scoped    map[string]*ScopeStats
	names     map[string]struct{}
}

func newCountyMerge(dataDir string) *countyMerge {
	return &countyMerge{
		merged:    &load.Dataset{Dir: dataDir, Tables: nil},
		statIdx:   map[string]int{},
		ruleStats: map[string]*engine.RuleStats{},
		views:     map[string]int{},
		skipped:   map[string]SkippedRule{},
		scoped:    map[string]*ScopeStats{},
		names:     map[string]struct{}{},
	}
}

// addLoad adds a county's table counts and rejected rows (named by the
// input's own file and line) and returns the rows it read.
func (m *countyMerge) addLoad(stats []load.TableStats, missing []string, rejects []load.Reject, part *partition.Part) int {
	read := 0
	for _, st := range stats {
		i, ok := m.statIdx[st.Table]
		if !ok {
			i = len(m.merged.Stats)
			m.statIdx[st.Table] = i
			m.merged.Stats = append(m.merged.Stats, load.TableStats{Table: st.Table, File: filepath.Join(m.merged.Dir, st.Table+".csv")})
		}
		s := &m.merged.Stats[i]
		s.Read += st.Read
		s.Loaded += st.Loaded
		s.Rejected += st.Rejected
		read += st.Read
	}
	m.merged.Missing = missing
	for _, r := range rejects {
		if t := part.Tables[r.Table]; t != nil {
			r.File, r.Line = t.Path, t.Line(r.Line) // the input's own file and line
		}
		m.merged.Rejects = append(m.merged.Rejects, r)
	}
	return read
}

// addEval adds the findings a county kept (runCounty) and its rule, view,
// skip and scope counts.
func (m *countyMerge) addEval(e *Evaluation, kept []*findings.Finding) {
	m.all = append(m.all, kept...)
	for _, s := range e.Result.Stats {
		if r := m.ruleStats[s.RuleID]; r != nil {
			r.Rows += s.Rows
			r.Fired += s.Fired
			r.Errors += s.Errors
			r.Dropped += s.Dropped
			r.Duration += s.Duration
			if r.Disabled == "" {
				r.Disabled = s.Disabled
			}
		} else {
			c := s
			m.ruleStats[s.RuleID] = &c
		}
	}
	for k, v := range e.Views {
		m.views[k] += v
	}
	for _, s := range e.Skipped {
		m.skipped[s.RuleID] = s
	}
	for _, s := range e.Scoped {
		if r := m.scoped[s.Table]; r != nil {
			r.AfterAsOf += s.AfterAsOf
			r.OutOfScope += s.OutOfScope
		} else {
			c := s
			m.scoped[s.Table] = &c
		}
	}
}

// addNames keeps the register's names, for masking (names.json,
// rejected.csv): the persons tables are released with their county. Kept in
// a set as they come: appending each county's distinct names held every
// name once per county (26M strings, 2 GB peak on a province).
func (m *countyMerge) addNames(names []string) {
	for _, n := range names {
		m.names[n] = struct{}{}
	}
}

// finish turns the sums into the run's dataset and evaluation: rows copied
// into every county counted once, findings sorted and merged as a whole run
// sorts them, the per-county cap named in the rule stats. ev is the last
// county's evaluation (its plan is every county's), overwritten in place.
func (m *countyMerge) finish(ev *Evaluation, plan *partition.Plan, maxFindingsPerRule int) {
	for i := range m.merged.Stats { // copied rows are counted once
		s := &m.merged.Stats[i]
		s.Read -= plan.Copies[s.Table]
		s.Loaded -= plan.Copies[s.Table]
	}
	findings.Sort(m.all)
	m.all = findings.Merge(m.all)
	ev.Result = &engine.Result{Findings: m.all}
	m.merged.Names = slices.Sorted(maps.Keys(m.names))
	for _, id := range slices.Sorted(maps.Keys(m.ruleStats)) {
		s := m.ruleStats[id]
		s.DurationS = s.Duration.Seconds()
		if s.Dropped > 0 {
			// the cap holds per county here: the message gives the total
			s.Capped = engine.CapMessage(maxFindingsPerRule, s.Dropped) + ", per county (partitioned run)"
		}
		ev.Result.Stats = append(ev.Result.Stats, *s)
	}
	ev.Views = m.views
	ev.Skipped = nil
	for _, id := range slices.Sorted(maps.Keys(m.skipped)) {
		ev.Skipped = append(ev.Skipped, m.skipped[id])
	}
	ev.Scoped = nil
	for _, t := range slices.Sorted(maps.Keys(m.scoped)) {
		ev.Scoped = append(ev.Scoped, *m.scoped[t])
	}
}

// loadSmallTables loads villages and cadres whole for the post steps
// (leads): small tables, loaded once more after the counties so that every
// county's places and roles are there.
func loadSmallTables(ctx context.Context, o Options) (map[string]*table.Table, error) {
	tables := map[string]*table.Table{}
	for _, name := range []string{"villages", "cadres"} {
		path := filepath.Join(o.DataDir, name+".csv")
		if _, err := os.Stat(path); err != nil {
			continue
		}
		spec, _ := contract.Lookup(name)
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		t, _, _, err := load.Table(ctx, spec, path, f, load.Options{AsOf: o.Scope.AsOf, NoHash: true})
		f.Close()
		if err != nil {
			return nil, err
		}
		tables[name] = t
	}
	return tables, nil
}
