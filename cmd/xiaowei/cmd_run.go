package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	_ "github.com/neijiang/xiaowei/detectors/all"
	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/run"
)

func init() {
	register(command{name: "run", summary: "evaluate the rules over a dataset and write findings", run: cmdRun})
}

// runHook extends `xiaowei run` from another file: it adds flags and, once
// they are parsed, adjusts the run options (a data source, post steps such
// as leads, record steps such as storing the run in PostgreSQL). Hooks run
// in ascending order. Each hook keeps its flags in its own part of
// runFlags, and reads another hook's flags there, so what one hook depends
// on is visible in the types, not looked up by flag name.
type runHook struct {
	name    string
	order   int
	flags   func(fs *flag.FlagSet, f *runFlags)
	prepare func(ctx context.Context, f *runFlags, o *run.Options) error
	// failed, when set, hears that the run failed after prepare (e.g. to
	// mark a shard failed in the database).
	failed func(ctx context.Context, err error)
}

var runHooks []runHook

func registerRunHook(h runHook) {
	runHooks = append(runHooks, h)
	sort.SliceStable(runHooks, func(i, j int) bool { return runHooks[i].order < runHooks[j].order })
}

// runFlags are the flags of one `xiaowei run`: its own, then each hook's.
type runFlags struct {
	data, out, asOf, from, to string
	rules                     multiFlag
	strict, skipBad, quiet    bool
	builtin                   bool
	workers                   int
	maxFindings               int

	mapping   string         // run_mapping.go
	partition partitionFlags // run_partition.go
	db        dbFlags        // run_db.go
	leads     leadFlags      // run_leads.go
}

// ruleDirs is the rule path list of a command: the shipped set (compiled
// in) unless builtin is false, then the --rules folders on top.
func ruleDirs(dirs []string, builtin bool) ([]string, error) {
	var out []string
	if builtin {
		out = append(out, rules.Builtin)
	}
	out = append(out, dirs...)
	if len(out) == 0 {
		return nil, badInput(errors.New("no rules: --builtin-rules=false needs at least one --rules folder"))
	}
	return out, nil
}

// builtinFlag adds --builtin-rules to a command that reads rules.
func builtinFlag(fs *flag.FlagSet, v *bool) {
	fs.BoolVar(v, "builtin-rules", true, "use the rule set shipped in the binary (folders given with --rules add to it; false: only those folders)")
}

// parseRunScope reads --as-of (default today), --from and --to.
func parseRunScope(f *runFlags) (run.Scope, error) {
	asOf := f.asOf
	if asOf == "" {
		asOf = civil.Today().String()
	}
	s, err := run.ParseScope(run.ScopeText{AsOf: asOf, From: f.from, To: f.to}, run.FlagNames)
	if err != nil {
		return s, badInput(err)
	}
	s.BoundAsOf = f.asOf != "" // a person's date: refuse one far beyond the data
	return s, nil
}

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f runFlags
	fs := newFlags("run", "--data DIR --out DIR [--as-of YYYY-MM-DD] [--from DATE --to DATE] [--rules DIR]... [--strict]", stdout)
	fs.StringVar(&f.data, "data", "", "dataset folder: one <table>.csv or <table>.parquet per contract table")
	fs.StringVar(&f.out, "out", "", "output folder for findings.jsonl, summary.json, manifest.json, rejected.csv")
	fs.StringVar(&f.asOf, "as-of", "", "evaluation date (Asia/Shanghai); nothing dated after it is read (default today)")
	fs.StringVar(&f.from, "from", "", "window start: evaluate only what falls on or after this date")
	fs.StringVar(&f.to, "to", "", "window end: evaluate only what falls on or before this date")
	fs.Var(&f.rules, "rules", "rule, override or test folder or file added to the shipped rules (repeatable)")
	builtinFlag(fs, &f.builtin)
	fs.BoolVar(&f.strict, "strict", false, "fail (exit 2) when any input row is rejected")
	fs.BoolVar(&f.skipBad, "skip-bad-rules", false, "run the rules that compile when others do not (the bad ones are listed in the summary)")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress display")
	fs.IntVar(&f.workers, "workers", 0, "evaluation goroutines (default: all cores)")
	fs.IntVar(&f.maxFindings, "max-findings-per-rule", engine.DefaultMaxFindingsPerRule, "keep at most this many findings per rule (the summary says how many were dropped); -1 = no cap")
	for _, h := range runHooks {
		if h.flags != nil {
			h.flags(fs, &f)
		}
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	scope, err := parseRunScope(&f)
	if err != nil {
		return err
	}
	ruleDirs, err := ruleDirs(f.rules, f.builtin)
	if err != nil {
		return err
	}
	// Read before the hooks, for the declared tables a mapping names; the
	// run reuses the set. A bad rule file is reported by the run (which
	// reads the files again), with every other problem.
	ruleSet, badRules := rules.LoadDirs(ruleDirs)
	if badRules != nil {
		ruleSet = nil
	}
	start := time.Now()
	opts := run.Options{DataDir: f.data, OutDir: f.out, RuleDirs: ruleDirs, Rules: ruleSet, Scope: scope, Strict: f.strict,
		SkipBadRules: f.skipBad, Workers: f.workers, Version: versionString(), Progress: progress(stderr, f.quiet),
		MaxFindingsPerRule: f.maxFindings}
	for _, h := range runHooks {
		if h.prepare != nil {
			if err := h.prepare(ctx, &f, &opts); err != nil {
				return fmt.Errorf("%s: %w", h.name, err)
			}
		}
	}
	if (opts.DataDir == "" && opts.Source == nil) || opts.OutDir == "" {
		return badInput(errors.New("--out and a dataset (--data, or a source such as --db) are required"))
	}
	out, err := run.Run(ctx, opts)
	if err != nil {
		for _, h := range runHooks {
			if h.failed != nil {
				h.failed(ctx, err)
			}
		}
		var re *run.RulesError
		var se *run.StrictError
		var ae *run.AsOfError
		if errors.As(err, &re) || errors.As(err, &se) || errors.As(err, &ae) || isBadDataset(err) {
			return badInput(err)
		}
		return err
	}
	printSummary(stdout, out.Summary, time.Since(start))
	return nil
}

// progress shows stages on a terminal and stays quiet otherwise (logs,
// cron, CI).
func progress(w io.Writer, quiet bool) func(string) {
	f, ok := w.(*os.File)
	if quiet || !ok {
		return nil
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	start := time.Now()
	return func(stage string) {
		fmt.Fprintf(w, "\r\033[K[%5.1fs] %s…", time.Since(start).Seconds(), stage)
		if stage == "write" {
			fmt.Fprint(w, "\r\033[K")
		}
	}
}

func printSummary(w io.Writer, s *run.Summary, took time.Duration) {
	fmt.Fprintf(w, "as of %s", s.AsOf)
	if s.From != "" || s.To != "" {
		fmt.Fprintf(w, ", window %s..%s", s.From, s.To)
	}
	fmt.Fprintf(w, ", %.2fs\n", took.Seconds())
	fmt.Fprintf(w, "%-14s %9s %9s %9s %11s\n", "table", "read", "loaded", "rejected", "after as_of")
	for _, t := range s.Tables {
		fmt.Fprintf(w, "%-14s %9d %9d %9d %11d\n", t.Table, t.Read, t.Loaded, t.Rejected, t.AfterAsOf)
	}
	if len(s.MissingTables) > 0 {
		fmt.Fprintf(w, "optional tables absent: %s\n", strings.Join(s.MissingTables, ", "))
	}
	for _, sk := range s.SkippedRules {
		fmt.Fprintf(w, "skipped %s: %s\n", sk.RuleID, sk.Reason)
	}
	for _, b := range s.BadRules {
		fmt.Fprintf(w, "bad rule not run: %s\n", b)
	}
	if stats, ok := s.Rules.([]engine.RuleStats); ok {
		for _, r := range stats {
			if r.Capped != "" {
				fmt.Fprintf(w, "rule %s: %s\n", r.RuleID, r.Capped)
			}
			if r.Disabled != "" {
				fmt.Fprintf(w, "rule %s disabled for this run: %s\n", r.RuleID, r.Disabled)
			} else if r.Errors > 0 {
				fmt.Fprintf(w, "rule %s failed on %d rows (samples in summary.json)\n", r.RuleID, r.Errors)
			}
		}
	}
	fmt.Fprintf(w, "findings: %d", s.Findings.Total)
	for _, sev := range slices.Backward(findings.Severities) {
		if n := s.Findings.BySeverity[string(sev)]; n > 0 {
			fmt.Fprintf(w, ", %s %d", sev, n)
		}
	}
	fmt.Fprintln(w)
	if s.Rejected > 0 {
		fmt.Fprintf(w, "rejected rows: %d (see rejected.csv)\n", s.Rejected)
	}
}
