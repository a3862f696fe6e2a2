package run

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/shard"
)

// Options configure a file-mode run.
type Options struct {
	DataDir  string
	OutDir   string
	RuleDirs []string
	// Rules, when set, is the rule set already read from RuleDirs without
	// error (the run command reads it first for the declared tables a
	// mapping needs), so Run does not parse the files again.
	Rules *rules.Set
	Scope Scope
	// Strict fails the run (exit 2) when any input row was rejected.
	Strict bool
	// SkipBadRules runs the rules that compiled when others did not,
	// recording the bad ones in the summary, instead of refusing to run.
	SkipBadRules bool
	Workers      int
	// MaxFindingsPerRule caps one rule's findings in this run (0 = the
	// engine's default, negative = none); see engine.EvalOptions.
	MaxFindingsPerRule int
	Version            string
	Progress           func(stage string)
	// Source, when set, supplies the dataset instead of DataDir (e.g. the
	// PostgreSQL store).
	Source func(ctx context.Context) (*load.Dataset, error)
	// Campaign names a special inspection; it is recorded in the outputs.
	Campaign string
	// Only, when set, evaluates only these rule ids (a campaign's rules).
	Only map[string]bool
	// Post steps run after evaluation and before the outputs are written,
	// in order (dispositions, leads, …); they may change the outcome and add
	// output files through Outcome.Extra.
	Post []Step
	// Record steps run after the outputs are written (e.g. storing the run
	// in PostgreSQL); an error fails the run.
	Record []Step
	// PartitionBy "county" runs one county at a time (partition.go).
	PartitionBy string
	// Shard, when set, evaluates only the counties of that shard of a run
	// group (shard.go).
	Shard *shard.Spec
	// ShardRows are the rows per village the source counted, so every
	// shard balances on the same numbers even when it reads only its own
	// rows (nil: count the loaded rows).
	ShardRows map[string]int64
}

// Step is a post-evaluation stage of a run.
type Step struct {
	Name string
	Fn   func(ctx context.Context, o *Options, out *Outcome) error
}

// RulesError means the rule files are bad: exit 2.
type RulesError struct{ Errs rules.Errors }

func (e *RulesError) Error() string { return "bad rules:\n" + e.Errs.Error() }

// StrictError means --strict saw rejected rows: exit 2.
type StrictError struct{ Rejected int }

func (e *StrictError) Error() string {
	return fmt.Sprintf("%d input rows rejected (see rejected.csv); --strict makes that a failed run", e.Rejected)
}

// Run is `xiaowei run` in file mode: it writes findings.jsonl,
// summary.json, manifest.json and rejected.csv to OutDir, each through a
// temporary file renamed into place.
func Run(ctx context.Context, o Options) (*Outcome, error) {
	if o.PartitionBy != "" {
		if o.Shard != nil {
			return nil, errors.New("--partition and --shard do not combine: a shard is already a part of the counties")
		}
		return runPartitioned(ctx, o)
	}
	if o.Shard != nil {
		// A shard reads only its counties' dated rows (their books may end
		// earlier, a shard may hold none), so as_of is not bounded per
		// shard, as it is not per county in a partitioned run.
		o.Scope.BoundAsOf = false
	}
	started := time.Now()
	set, badRules, err := loadRules(o)
	if err != nil {
		return nil, err
	}

	stages := map[string]float64{}
	var ds *load.Dataset
	if err := timed(stages, "load", o.Progress, func() error {
		var err error
		if o.Source != nil {
			ds, err = o.Source(ctx)
		} else {
			ds, err = load.Load(ctx, o.DataDir, load.Options{AsOf: o.Scope.AsOf})
		}
		return err
	}); err != nil {
		return nil, err
	}
	if o.Strict && len(ds.Rejects) > 0 {
		err := strictFailure(o.OutDir, ds)
		ds.Release()
		return nil, err
	}
	ds.PrefetchNames()
	var shardInfo *ShardInfo
	var inShard func(*findings.Finding) bool
	if o.Shard != nil {
		if err := timed(stages, "shard", o.Progress, func() error {
			var err error
			shardInfo, inShard, err = cutToShard(ctx, ds, *o.Shard, o.ShardRows, memory.DefaultAllocator)
			return err
		}); err != nil {
			ds.Release()
			return nil, err
		}
	}
	ev, err := Pipeline(ctx, ds.Tables, EvalConfig{Rules: set, Only: o.Only, Scope: o.Scope, Workers: o.Workers, Progress: o.Progress,
		MaxFindingsPerRule: o.MaxFindingsPerRule})
	if err != nil {
		ds.Release()
		var re rules.Errors
		if errors.As(err, &re) {
			return nil, &RulesError{re}
		}
		return nil, err
	}
	for k, v := range ev.Stages {
		stages[k] += v
	}
	if inShard != nil {
		kept := ev.Result.Findings[:0]
		for _, f := range ev.Result.Findings {
			if inShard(f) {
				kept = append(kept, f)
			}
		}
		ev.Result.Findings = kept
	}
	out := &Outcome{Findings: ev.Result.Findings, Dataset: ds, Eval: ev, Extra: map[string][]byte{}, Stages: stages, Shard: shardInfo}
	return finish(ctx, o, out, set, badRules, started)
}

// finish is the end of every run, whole or partitioned: the post steps
// (dispositions, leads), the summary and manifest, the atomic write of the
// outputs, then the record steps (PostgreSQL).
func finish(ctx context.Context, o Options, out *Outcome, set *rules.Set, badRules []string, started time.Time) (*Outcome, error) {
	stages := out.Stages
	for _, st := range o.Post {
		if err := timed(stages, st.Name, o.Progress, func() error { return st.Fn(ctx, &o, out) }); err != nil {
			return nil, fmt.Errorf("%s: %w", st.Name, err)
		}
	}
	out.Summary = summarize(o, out.Dataset, out.Eval, stages, badRules)
	out.Summary.Findings = countFindings(out.Findings)
	out.Manifest = manifest(o, out.Dataset, set, out.Eval, started)
	if err := timed(stages, "write", o.Progress, func() error { return WriteOutputs(o.OutDir, out) }); err != nil {
		return nil, err
	}
	for _, st := range o.Record {
		if err := timed(stages, st.Name, o.Progress, func() error { return st.Fn(ctx, &o, out) }); err != nil {
			return nil, fmt.Errorf("%s: %w", st.Name, err)
		}
	}
	return out, nil
}
