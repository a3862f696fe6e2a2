package run

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/partition"
	"github.com/neijiang/xiaowei/internal/rules"
)

// Partitioned runs (Options.PartitionBy = "county"): the dataset is split
// by county into a temporary folder (internal/partition), then each county
// is loaded, scoped, built and evaluated on its own and released before the
// next, so peak memory follows the largest county, not the province.
// Findings are merged and sorted as a whole run sorts them, so
// findings.jsonl is the same; the summary adds the counties' counts.
//
// Limits: post steps see the merged findings but out.Dataset holds only
// the villages and cadres tables (the last county's; cadres are global);
// rejected rows carry line numbers of the county files.

func runPartitioned(ctx context.Context, o Options) (*Outcome, error) {
	if o.PartitionBy != "county" {
		return nil, fmt.Errorf("--partition %q: only \"county\" is supported", o.PartitionBy)
	}
	if o.Source != nil {
		return nil, errors.New("--partition works on a dataset folder (--data), not another source")
	}
	started := time.Now()
	set, badRules, err := loadRules(o)
	if err != nil {
		return nil, err
	}
	stages := map[string]float64{}
	tmp, err := os.MkdirTemp(o.PartitionTmp, "xiaowei-partition-*")
	if err != nil {
		return nil, fmt.Errorf("partition folder: %w", err)
	}
	defer os.RemoveAll(tmp)
	var plan *partition.Plan
	if err := timed(stages, "partition", o.Progress, func() error {
		plan, err = partition.SplitCSV(ctx, o.DataDir, tmp)
		return err
	}); err != nil {
		return nil, err
	}

	merged := &load.Dataset{Dir: o.DataDir, Tables: nil}
	statIdx := map[string]int{}
	var all []*findings.Finding
	var ev *Evaluation
	ruleStats := map[string]*engine.RuleStats{}
	views := map[string]int{}
	skipped := map[string]SkippedRule{}
	scoped := map[string]*ScopeStats{}
	var names []string
	for pi, part := range plan.Parts {
		var ds *load.Dataset
		if err := timed(stages, "load", o.Progress, func() error {
			ds, err = load.Load(ctx, part.Dir, load.Options{AsOf: o.Scope.AsOf})
			return err
		}); err != nil {
			return nil, fmt.Errorf("county %s: %w", part.County, err)
		}
		for _, st := range ds.Stats {
			i, ok := statIdx[st.Table]
			if !ok {
				i = len(merged.Stats)
				statIdx[st.Table] = i
				merged.Stats = append(merged.Stats, load.TableStats{Table: st.Table, File: filepath.Join(o.DataDir, st.Table+".csv")})
			}
			m := &merged.Stats[i]
			g := 0
			if pi > 0 {
				g = plan.Global[st.Table] // copied rows are counted once
			}
			m.Read += st.Read - g
			m.Loaded += st.Loaded - g
			m.Rejected += st.Rejected
		}
		merged.Missing = ds.Missing
		for _, r := range ds.Rejects {
			r.File = filepath.Join(part.Dir, r.Table+".csv")
			merged.Rejects = append(merged.Rejects, r)
		}
		// as_of is bounded against the whole dataset's dates, not one
		// county's (whose books may end earlier): not checked per county.
		sc := o.Scope
		sc.BoundAsOf = false
		e, err := Pipeline(ctx, ds.Tables, EvalConfig{Rules: set, Scope: sc, Workers: o.Workers, Progress: o.Progress,
			MaxFindingsPerRule: o.MaxFindingsPerRule})
		if err != nil {
			ds.Release()
			var re rules.Errors
			if errors.As(err, &re) {
				return nil, &RulesError{re}
			}
			return nil, fmt.Errorf("county %s: %w", part.County, err)
		}
		for k, v := range e.Stages {
			stages[k] += v
		}
		for _, f := range e.Result.Findings {
			if part.Villages[f.VillageID] || (part.First && !plan.Known(f.VillageID)) {
				all = append(all, f)
			}
		}
		for _, s := range e.Result.Stats {
			if m := ruleStats[s.RuleID]; m != nil {
				m.Rows += s.Rows
				m.Fired += s.Fired
				m.Errors += s.Errors
				m.Dropped += s.Dropped
				m.Duration += s.Duration
				if m.Disabled == "" {
					m.Disabled = s.Disabled
				}
			} else {
				c := s
				ruleStats[s.RuleID] = &c
			}
		}
		for k, v := range e.Views {
			views[k] += v
		}
		for _, s := range e.Skipped {
			skipped[s.RuleID] = s
		}
		for _, s := range e.Scoped {
			if m := scoped[s.Table]; m != nil {
				m.AfterAsOf += s.AfterAsOf
				m.OutOfScope += s.OutOfScope
			} else {
				c := s
				scoped[s.Table] = &c
			}
		}
		// The register's names, for masking (names.json, rejected.csv):
		// the persons tables are released with their county.
		names = append(names, ds.PersonNames()...)
		ev = e
		if pi == len(plan.Parts)-1 {
			merged.Tables = ds.Tables
			for name, t := range ds.Tables {
				if name != "villages" && name != "cadres" {
					t.Release()
					delete(merged.Tables, name)
				}
			}
		} else {
			ds.Release()
		}
	}
	findings.Sort(all)
	all = findings.Merge(all)
	ev.Result = &engine.Result{Findings: all}
	slices.Sort(names)
	merged.Names = slices.Compact(names)
	for _, id := range slices.Sorted(maps.Keys(ruleStats)) {
		s := ruleStats[id]
		s.DurationS = s.Duration.Seconds()
		if s.Dropped > 0 {
			// the cap holds per county here: the message gives the total
			s.Capped = engine.CapMessage(o.MaxFindingsPerRule, s.Dropped) + ", per county (partitioned run)"
		}
		ev.Result.Stats = append(ev.Result.Stats, *s)
	}
	ev.Views = views
	ev.Skipped = nil
	for _, id := range slices.Sorted(maps.Keys(skipped)) {
		ev.Skipped = append(ev.Skipped, skipped[id])
	}
	ev.Scoped = nil
	for _, t := range slices.Sorted(maps.Keys(scoped)) {
		ev.Scoped = append(ev.Scoped, *scoped[t])
	}
	if o.Strict && len(merged.Rejects) > 0 {
		if err := writeRejects(o.OutDir, merged); err != nil {
			return nil, err
		}
		n := 0
		for _, st := range merged.Stats {
			n += st.Rejected
		}
		return nil, &StrictError{Rejected: n}
	}
	for _, st := range merged.Stats {
		merged.Stats[statIdx[st.Table]].SHA256 = fileSHA(o.DataDir, st.Table)
	}
	out := &Outcome{Findings: all, Dataset: merged, Eval: ev, Extra: map[string][]byte{}, Stages: stages}
	return finish(ctx, o, out, set, badRules, started)
}

// loadRules reads and checks the rule folders for Run and the partitioned
// run: bad rules fail the run, or with SkipBadRules are dropped and named.
func loadRules(o Options) (*rules.Set, []string, error) {
	set, err := rules.LoadDirs(o.RuleDirs)
	var bad rules.Errors
	if err != nil {
		var re rules.Errors
		if !errors.As(err, &re) {
			return nil, nil, err
		}
		bad = append(bad, re...)
	}
	if set != nil {
		bad = append(bad, engine.Check(set)...) // compile without data: fail before loading
	}
	var badRules []string
	if len(bad) > 0 {
		if !o.SkipBadRules {
			bad.Sort()
			return nil, nil, &RulesError{bad}
		}
		set, badRules = dropBad(set, bad)
	}
	return set, badRules, nil
}

// fileSHA hashes an input file of the whole dataset for the manifest.
func fileSHA(dir, table string) string {
	f, err := os.Open(filepath.Join(dir, table+".csv"))
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
}
