package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/partition"
	"github.com/neijiang/xiaowei/internal/rules"
)

// Partitioned runs (Options.PartitionBy = "county"): the dataset is split
// by county (internal/partition: byte ranges of the input, no copies), then each county
// is loaded, scoped, built and evaluated on its own and released before the
// next, so peak memory follows the largest county, not the province.
// Findings are merged and sorted as a whole run sorts them, so
// findings.jsonl is the same; the summary adds the counties' counts.
//
// Limits: post steps see the merged findings but out.Dataset holds only
// the villages and cadres tables (reloaded whole after the counties).
// Rejected rows name the input file and line, like a whole run's.

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
	var plan *partition.Plan
	if err := timed(stages, "partition", o.Progress, func() error {
		plan, err = partition.SplitCSV(ctx, o.DataDir)
		return err
	}); err != nil {
		return nil, err
	}

	m := newCountyMerge(o.DataDir)
	ev, err := runCounties(ctx, o, set, plan, m, stages)
	if err != nil {
		return nil, err
	}
	merged := m.merged
	if merged.Tables, err = loadSmallTables(ctx, o); err != nil {
		return nil, err
	}
	m.finish(ev, plan, o.MaxFindingsPerRule)
	if o.Strict && len(merged.Rejects) > 0 {
		return nil, strictFailure(o.OutDir, merged)
	}
	for i := range merged.Stats {
		merged.Stats[i].SHA256 = plan.SHA256[merged.Stats[i].Table]
	}
	out := &Outcome{Findings: m.all, Dataset: merged, Eval: ev, Extra: map[string][]byte{}, Stages: stages}
	return finish(ctx, o, out, set, badRules, started)
}

// loadRules reads and checks the rule folders for Run and the partitioned
// run: bad rules fail the run, or with SkipBadRules are dropped and named.
func loadRules(o Options) (*rules.Set, []string, error) {
	set, err := o.Rules, error(nil)
	if set == nil {
		set, err = rules.LoadDirs(o.RuleDirs)
	}
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

// sources reads a county's tables in place from the input files.
func sources(part *partition.Part) map[string]load.Source {
	out := map[string]load.Source{}
	for name, t := range part.Tables {
		out[name] = load.Source{Name: t.Path, Size: t.Size(), Open: func() (io.ReadCloser, error) {
			r, _, _, err := part.Open(name)
			return r, err
		}}
	}
	return out
}

// countyProgress prefixes the stage shown by progress with the county, the
// rows read so far per second and an estimate of the time left (from the
// bytes of the counties done against all of them).
func countyProgress(progress func(string), i, n int, county string, rows int, done, total int64, took time.Duration) func(string) {
	if progress == nil {
		return nil
	}
	head := fmt.Sprintf("county %d/%d %s", i+1, n, county)
	if done > 0 && took > 0 {
		left := time.Duration(float64(took) * float64(total-done) / float64(done))
		head += fmt.Sprintf(" (%.2fM rows/s, ETA %s)", float64(rows)/took.Seconds()/1e6, left.Round(time.Second))
	}
	return func(stage string) { progress(head + ": " + stage) }
}
