package run

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/mask"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/shard"
)

// Options configure a file-mode run.
type Options struct {
	DataDir  string
	OutDir   string
	RuleDirs []string
	Scope    Scope
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

// Outcome is what a run produced.
type Outcome struct {
	Findings []*findings.Finding
	Summary  *Summary
	Manifest *Manifest
	Dataset  *load.Dataset
	Eval     *Evaluation
	// Extra output files (name -> content), written atomically with the
	// others (e.g. leads.jsonl).
	Extra map[string][]byte
	// Stages holds seconds per stage, also reported in the summary.
	Stages map[string]float64
	// Shard is what a sharded run covered (nil for a whole run).
	Shard *ShardInfo
}

// Summary is OUT/summary.json.
type Summary struct {
	Campaign      string             `json:"campaign,omitempty"`
	AsOf          string             `json:"as_of"`
	From          string             `json:"from,omitempty"`
	To            string             `json:"to,omitempty"`
	Tables        []TableSummary     `json:"tables"`
	Rejected      int                `json:"rejected_rows"`
	MissingTables []string           `json:"missing_tables"`
	SkippedRules  []SkippedRule      `json:"skipped_rules"`
	BadRules      []string           `json:"bad_rules,omitempty"`
	Rules         any                `json:"rules"`
	Views         map[string]int     `json:"views"`
	Findings      FindingCounts      `json:"findings"`
	Stages        map[string]float64 `json:"stage_seconds"`
	Workers       int                `json:"workers"`
}

// TableSummary counts one table's rows: read = loaded + rejected.
type TableSummary struct {
	Table     string `json:"table"`
	File      string `json:"file"`
	Read      int    `json:"read"`
	Loaded    int    `json:"loaded"`
	Rejected  int    `json:"rejected"`
	AfterAsOf int    `json:"after_as_of"`
	OutScope  int    `json:"out_of_scope,omitempty"`
}

// FindingCounts tallies findings.
type FindingCounts struct {
	Total      int            `json:"total"`
	ByRule     map[string]int `json:"by_rule"`
	BySeverity map[string]int `json:"by_severity"`
	ByFamily   map[string]int `json:"by_family"`
}

// Manifest is OUT/manifest.json: enough to reproduce the run.
type Manifest struct {
	Version   string         `json:"version"`
	Campaign  string         `json:"campaign,omitempty"`
	AsOf      string         `json:"as_of"`
	From      string         `json:"from,omitempty"`
	To        string         `json:"to,omitempty"`
	Villages  []string       `json:"scope_villages,omitempty"`
	Towns     []string       `json:"scope_towns,omitempty"`
	DataDir   string         `json:"data_dir,omitempty"`
	Inputs    []InputFile    `json:"inputs"`
	RuleFiles []InputFile    `json:"rule_files"`
	Rules     []RuleVersion  `json:"rules"`
	Settings  any            `json:"settings"`
	Overrides []OverrideNote `json:"overrides"`
	StartedAt string         `json:"started_at"`
}

// InputFile is a file and its hash.
type InputFile struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Rows   int    `json:"rows,omitempty"`
}

// RuleVersion snapshots a rule as the run used it.
type RuleVersion struct {
	ID      string         `json:"id"`
	Version string         `json:"version"`
	File    string         `json:"file"`
	Enabled bool           `json:"enabled"`
	Params  map[string]any `json:"params,omitempty"`
}

// OverrideNote records one override block applied.
type OverrideNote struct {
	File   string   `json:"file"`
	Scope  string   `json:"scope"`
	Reason string   `json:"reason,omitempty"`
	Rules  []string `json:"rules,omitempty"`
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
		n := 0
		for _, s := range ds.Stats {
			n += s.Rejected
		}
		if err := writeRejects(o.OutDir, ds); err != nil {
			return nil, err
		}
		ds.Release()
		return nil, &StrictError{Rejected: n}
	}
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

// dropBad removes the rules that have errors so the rest can run.
func dropBad(set *rules.Set, bad rules.Errors) (*rules.Set, []string) {
	badAt := map[string]bool{}
	var names []string
	for _, f := range set.Files {
		kept := f.Rules[:0]
		for _, r := range f.Rules {
			isBad := false
			for _, e := range bad {
				if e.Pos.File == r.Pos.File && e.Pos.Line >= r.Pos.Line && e.Pos.Line < nextRuleLine(f, r) {
					isBad = true
				}
			}
			if isBad || r.ID == "" {
				if !badAt[r.ID] {
					names = append(names, fmt.Sprintf("%s (%s)", r.ID, r.Pos))
					badAt[r.ID] = true
				}
				continue
			}
			kept = append(kept, r)
		}
		f.Rules = kept
	}
	return set, names
}

func nextRuleLine(f *rules.File, r *rules.Rule) int {
	next := 1 << 30
	for _, o := range f.Rules {
		if o.Pos.Line > r.Pos.Line && o.Pos.Line < next {
			next = o.Pos.Line
		}
	}
	return next
}

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

// WriteOutputs writes every output file atomically.
func WriteOutputs(dir string, out *Outcome) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("output folder: %w", err)
	}
	RemoveStaleTemps(dir)
	var buf bytes.Buffer
	if err := findings.WriteJSONL(&buf, out.Findings); err != nil {
		return err
	}
	if err := WriteFileAtomic(filepath.Join(dir, "findings.jsonl"), buf.Bytes()); err != nil {
		return err
	}
	if err := writeRejects(dir, out.Dataset); err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(out.Extra)) {
		if err := WriteFileAtomic(filepath.Join(dir, name), out.Extra[name]); err != nil {
			return err
		}
	}
	for name, v := range map[string]any{"summary.json": out.Summary, "manifest.json": out.Manifest} {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		if err := WriteFileAtomic(filepath.Join(dir, name), append(b, '\n')); err != nil {
			return err
		}
	}
	return nil
}

func writeRejects(dir string, ds *load.Dataset) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("output folder: %w", err)
	}
	b, err := RejectsCSV(ds)
	if err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(dir, "rejected.csv"), b)
}

// RejectsCSV is rejected.csv for a dataset: personal data masked (the
// register's names are learned first), cells guarded against formulas.
func RejectsCSV(ds *load.Dataset) ([]byte, error) {
	var buf bytes.Buffer
	m := mask.New(false)
	m.LearnAll(ds.PersonNames())
	if err := load.WriteRejects(&buf, load.MaskRejects(ds.Rejects, m)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// tempPrefix starts the name of every temporary file xiaowei writes. The
// folder is the user's (run --out may name an existing one), so cleanup
// must only ever touch names this program made: a prefix no other program
// uses, the output's name, and CreateTemp's all-digit random suffix.
const tempPrefix = ".xiaowei-tmp-"

// ownTemp matches tempPrefix + <output name> + "." + CreateTemp's digits.
var ownTemp = regexp.MustCompile(`^` + regexp.QuoteMeta(tempPrefix) + `[^/]+\.[0-9]+$`)

// RemoveStaleTemps deletes the temporary files a killed run left in dir
// (regular files named by WriteFileAtomic, nothing else); WriteOutputs
// calls it first, so they never pile up. Errors are ignored: a leftover
// temp file is harmless, only untidy.
func RemoveStaleTemps(dir string) {
	stale, _ := filepath.Glob(filepath.Join(dir, tempPrefix+"*"))
	for _, p := range stale {
		if !ownTemp.MatchString(filepath.Base(p)) {
			continue
		}
		if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() {
			os.Remove(p)
		}
	}
}

// WriteFileAtomic writes to a temporary file in the same folder, syncs it
// and renames it over the target, so a reader (or a killed run) never sees
// half a file: the old one stays until the new one is complete.
func WriteFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), tempPrefix+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
