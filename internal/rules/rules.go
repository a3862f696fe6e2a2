// Package rules reads xiaowei rule files, override files and rule test files.
//
// Parsing is strict, in the manner of Prometheus' rulefmt: unknown fields are
// rejected, every problem is reported at once with file:line:col, duplicate
// ids are rejected. This package knows nothing about views or expr; the
// engine compiles and type-checks what it returns (see engine.Check).
package rules

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"github.com/neijiang/xiaowei/internal/findings"
)

// Pos is a position in a file: 1-based line and column.
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// Error is one problem at a position.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Errors is every problem found; it is an error when non-empty.
type Errors []*Error

func (es Errors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Sort orders errors by file, line, column for stable output.
func (es Errors) Sort() {
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i].Pos, es[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

// severityNames are the severities a rule file may name.
var severityNames = findings.SeverityNames()

// Families the shipped rules use; a rule file may add others.
var Families = []string{"disclosure", "cash", "relative", "data_quality"}

// FamilyLabels are the shipped families in Chinese, as leads and reports
// show them; a family a rule file adds shows under its own name.
var FamilyLabels = map[string]string{"disclosure": "公开", "cash": "现金管理", "relative": "优亲厚友", "major": "重大事项", "data_quality": "数据质量"}

// Statuses of a rule.
var Statuses = []string{"stable", "experimental", "deprecated"}

// Expr is an expression or template with the position where its text starts
// in the file, so that errors inside it can be reported at the real
// file:line:col.
type Expr struct {
	Src string
	Pos Pos
	// Block is true for YAML block scalars (| or >): the text starts on the
	// line after Pos, indented by Indent columns.
	Block  bool
	Indent int
	// Quoted is true for a single- or double-quoted scalar (text starts one
	// column after Pos).
	Quoted bool
}

// At maps a 1-based line and 0-based column inside Src to a file position.
func (e Expr) At(line, col int) Pos {
	p := e.Pos
	switch {
	case e.Block:
		p.Line += line
		p.Col = e.Indent + col + 1
	case line <= 1:
		p.Col += col
		if e.Quoted {
			p.Col++
		}
	default:
		p.Line += line - 1
		p.Col = col + 1
	}
	return p
}

// Escalation raises a finding's severity when its condition holds.
type Escalation struct {
	When     Expr
	Severity findings.Severity
	Pos      Pos
}

// Param is a named rule parameter with its default value. Values are
// float64, int64, string, bool or []string.
type Param struct {
	Name  string
	Value any
	Pos   Pos
}

// Rule is one rule as written in a rule file.
type Rule struct {
	ID             string
	Title          string
	Description    string
	Family         string
	Severity       findings.Severity
	On             string
	When           Expr
	Params         []Param
	Subject        Expr // template
	Period         Expr // template; empty = ""
	Amount         Expr // expr; empty = no amount
	Responsible    Expr // template naming a person_id; empty = none
	Message        Expr // template, Chinese
	Verify         string
	Escalate       []Escalation
	Evidence       []string // columns to keep in evidence; empty = all
	EvidencePos    []Pos    // where each Evidence item is written, for errors
	Tags           []string
	References     []string
	FalsePositives []string
	Status         string
	Enabled        bool
	Pos            Pos // where the rule starts
	OnPos          Pos
	// Hash identifies this version of the rule: sha256 of its canonical
	// source text, recorded in the run manifest.
	Hash string
}

// Param returns the named param.
func (r *Rule) Param(name string) (Param, bool) {
	for _, p := range r.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// Settings are detector settings: detector name -> setting -> value.
type Settings map[string]map[string]Setting

// Setting is one detector setting value with where it was set.
type Setting struct {
	Value any
	Pos   Pos
}

// File is a parsed rule file.
type File struct {
	Path     string
	SHA256   string
	Rules    []*Rule
	Settings Settings
	Tables   []*TableDecl // declared optional tables (declare.go)
	Views    []*ViewDecl  // declared views (declare.go)
}

// Scope says where an override applies: everywhere, a town, or a village.
type Scope struct {
	TownID    string
	VillageID string
}

// ScopeLevel is how specific an override's scope is; a more specific
// level is applied later and wins (village beats town beats default).
type ScopeLevel int

// The scope levels, least specific first.
const (
	ScopeDefault ScopeLevel = iota
	ScopeTown
	ScopeVillage
)

// Level is the scope's level.
func (s Scope) Level() ScopeLevel {
	switch {
	case s.VillageID != "":
		return ScopeVillage
	case s.TownID != "":
		return ScopeTown
	}
	return ScopeDefault
}

func (s Scope) String() string {
	switch {
	case s.VillageID != "":
		return "village:" + s.VillageID
	case s.TownID != "":
		return "town:" + s.TownID
	}
	return "default"
}

// RuleOverride changes one rule within a scope.
type RuleOverride struct {
	RuleID   string
	Params   []Param
	Enabled  *bool
	Severity findings.Severity
	Pos      Pos
}

// Override is one scoped block of an override file.
type Override struct {
	Scope    Scope
	Reason   string
	Settings Settings
	Rules    []RuleOverride
	Pos      Pos
	File     string
}

// OverrideFile is a parsed override file.
type OverrideFile struct {
	Path      string
	SHA256    string
	Overrides []*Override
}

// Set is everything read from the rule directories.
type Set struct {
	Files     []*File
	Overrides []*OverrideFile
	Tests     []*TestFile
}

// Rules lists every rule in file order.
func (s *Set) Rules() []*Rule {
	var out []*Rule
	for _, f := range s.Files {
		out = append(out, f.Rules...)
	}
	return out
}

// Rule finds a rule by id.
func (s *Set) Rule(id string) *Rule {
	for _, f := range s.Files {
		for _, r := range f.Rules {
			if r.ID == id {
				return r
			}
		}
	}
	return nil
}

func hashText(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
