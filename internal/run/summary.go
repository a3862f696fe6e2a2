package run

import (
	"runtime"
	"sort"
	"time"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/rules"
)

func summarize(o Options, ds *load.Dataset, ev *Evaluation, stages map[string]float64, badRules []string) *Summary {
	s := &Summary{Campaign: o.Campaign, AsOf: o.Scope.AsOf.String(), MissingTables: ds.Missing, SkippedRules: ev.Skipped, BadRules: badRules,
		Rules: ev.Result.Stats, Views: ev.Views, Stages: stages, Workers: workers(o.Workers)}
	if o.Scope.From != 0 {
		s.From = o.Scope.From.String()
	}
	if o.Scope.To != 0 {
		s.To = o.Scope.To.String()
	}
	if s.MissingTables == nil {
		s.MissingTables = []string{}
	}
	if s.SkippedRules == nil {
		s.SkippedRules = []SkippedRule{}
	}
	scoped := map[string]ScopeStats{}
	for _, st := range ev.Scoped {
		scoped[st.Table] = st
	}
	for _, st := range ds.Stats {
		s.Tables = append(s.Tables, TableSummary{Table: st.Table, File: st.File, Read: st.Read, Loaded: st.Loaded, Rejected: st.Rejected,
			AfterAsOf: scoped[st.Table].AfterAsOf, OutScope: scoped[st.Table].OutOfScope})
		s.Rejected += st.Rejected
	}
	s.Findings = countFindings(ev.Result.Findings)
	return s
}

func countFindings(fs []*findings.Finding) FindingCounts {
	c := FindingCounts{Total: len(fs), ByRule: map[string]int{}, BySeverity: map[string]int{}, ByFamily: map[string]int{}}
	for _, f := range fs {
		c.ByRule[f.RuleID]++
		c.BySeverity[string(f.Severity)]++
		c.ByFamily[f.Family]++
	}
	return c
}

func workers(n int) int {
	if n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

func manifest(o Options, ds *load.Dataset, set *rules.Set, ev *Evaluation, started time.Time) *Manifest {
	m := &Manifest{Version: o.Version, Campaign: o.Campaign, AsOf: o.Scope.AsOf.String(), Villages: o.Scope.Villages, Towns: o.Scope.Towns,
		DataDir: o.DataDir, StartedAt: started.In(civil.Shanghai).Format(time.RFC3339)}
	if o.Scope.From != 0 {
		m.From = o.Scope.From.String()
	}
	if o.Scope.To != 0 {
		m.To = o.Scope.To.String()
	}
	for _, st := range ds.Stats {
		m.Inputs = append(m.Inputs, InputFile{Path: st.File, SHA256: st.SHA256, Rows: st.Read})
	}
	for _, f := range set.Files {
		m.RuleFiles = append(m.RuleFiles, InputFile{Path: f.Path, SHA256: f.SHA256})
	}
	for _, f := range set.Overrides {
		m.RuleFiles = append(m.RuleFiles, InputFile{Path: f.Path, SHA256: f.SHA256})
		for _, ov := range f.Overrides {
			n := OverrideNote{File: f.Path, Scope: ov.Scope.String(), Reason: ov.Reason}
			for _, r := range ov.Rules {
				n.Rules = append(n.Rules, r.RuleID)
			}
			m.Overrides = append(m.Overrides, n)
		}
	}
	for _, c := range ev.Plan.Rules {
		rv := RuleVersion{ID: c.Rule.ID, Version: c.Rule.Hash, File: c.Rule.Pos.File, Enabled: c.Rule.Enabled}
		if len(c.Rule.Params) > 0 {
			rv.Params = map[string]any{}
			for _, p := range c.Rule.Params {
				rv.Params[p.Name] = p.Value
			}
		}
		m.Rules = append(m.Rules, rv)
	}
	sort.Slice(m.Rules, func(i, j int) bool { return m.Rules[i].ID < m.Rules[j].ID })
	settings := map[string]any{}
	for _, d := range engine.Detectors() {
		settings[d.Name()] = ev.Plan.Settings.Defaults(d.Name())
	}
	m.Settings = map[string]any{"defaults": settings, "applied": ev.Plan.Settings.Applied}
	return m
}
