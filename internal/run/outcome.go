package run

import (
	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/load"
)

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
