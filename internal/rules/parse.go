package rules

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/neijiang/xiaowei/internal/findings"
	"go.yaml.in/yaml/v3"

	rulefiles "github.com/neijiang/xiaowei/rules"
)

// Builtin names the shipped rule set (package rulefiles, compiled into the
// binary) in a list of rule paths; its files read as "builtin:<name>".
const Builtin = "builtin:"

// builtinFS is the shipped set; a variable so tests can swap it.
var builtinFS fs.FS = rulefiles.FS

// BuiltinFiles lists the shipped files (relative slash paths) and their
// contents, for `xiaowei rules export`.
func BuiltinFiles() (map[string][]byte, error) {
	out := map[string][]byte{}
	err := fs.WalkDir(builtinFS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(builtinFS, path)
		out[path] = b
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("shipped rules: %w", err)
	}
	return out, nil
}

// LoadDirs reads every *.yaml / *.yml file below the given directories (or
// the files themselves) and classifies each by its top-level key: `rules`
// (and `settings`) make a rule file, `overrides` an override file, `tests`
// a rule test file. All problems in all files are returned together; a
// duplicate rule id across files is one of them.
//
// The path Builtin stands for the shipped set. A shipped file whose bytes
// are identical to a file of the other paths is read once, from that path:
// `--rules rules` in the source tree (or in a folder written by `xiaowei
// rules export`, unedited) adds nothing twice. An edited copy is a
// different file, so its rule ids clash with the shipped ones: the error
// says to leave the shipped set out.
func LoadDirs(paths []string) (*Set, error) {
	type file struct {
		path string
		src  []byte
	}
	var files []file
	withBuiltin := false
	for _, p := range paths {
		if p == Builtin {
			withBuiltin = true
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("rules: %w", err)
		}
		if !st.IsDir() {
			files = append(files, file{path: p})
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			ext := filepath.Ext(path)
			if (ext == ".yaml" || ext == ".yml") && d.Type()&fs.ModeSymlink != 0 {
				// Rules are read only from the configured folders: a link
				// could pull in any file the process can read.
				return fmt.Errorf("%s is a symbolic link: rule and override files must be regular files inside the rules folder", path)
			}
			if ext == ".yaml" || ext == ".yml" {
				files = append(files, file{path: path})
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("rules: %w", err)
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].path < files[j].path })
	local := map[string]bool{}
	for i := range files {
		src, err := os.ReadFile(files[i].path)
		if err != nil {
			return nil, fmt.Errorf("rules: %w", err)
		}
		files[i].src = src
		local[hashText(src)] = true
	}
	if withBuiltin {
		shipped, err := BuiltinFiles()
		if err != nil {
			return nil, err
		}
		names := make([]string, 0, len(shipped))
		for n := range shipped {
			names = append(names, n)
		}
		sort.Strings(names)
		var bf []file
		for _, n := range names {
			if ext := path.Ext(n); (ext == ".yaml" || ext == ".yml") && !local[hashText(shipped[n])] {
				bf = append(bf, file{path: Builtin + n, src: shipped[n]})
			}
		}
		// Shipped files first: a clash names the local copy as the duplicate.
		files = append(bf, files...)
	}
	set := &Set{}
	var errs Errors
	for _, f := range files {
		if e := set.add(f.path, f.src); e != nil {
			errs = append(errs, e...)
		}
	}
	errs = append(errs, set.checkDuplicates()...)
	if len(errs) == 0 {
		errs = set.DeclareTables()
	}
	if len(errs) > 0 {
		errs.Sort()
		return set, errs
	}
	return set, nil
}

// Parse reads one file's bytes into the set (used by tests and LoadDirs).
func (s *Set) add(path string, src []byte) Errors {
	p := newParser(path, src)
	if e := notUTF8(path, src); e != nil {
		return Errors{e}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(src, &root); err != nil {
		return Errors{p.yamlError(err)}
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return Errors{{Pos: Pos{path, 1, 1}, Msg: "empty file: want a mapping with rules, overrides or tests"}}
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return Errors{p.at(doc, "want a mapping with rules, overrides or tests")}
	}
	kind := ""
	for i := 0; i < len(doc.Content); i += 2 {
		switch k := doc.Content[i].Value; k {
		case "rules", "settings", "tables", "views":
			kind = pick(kind, "rules")
		case "overrides":
			kind = pick(kind, "overrides")
		case "tests":
			kind = pick(kind, "tests")
		}
	}
	switch kind {
	case "rules":
		f := p.ruleFile(doc)
		f.SHA256 = hashText(src)
		s.Files = append(s.Files, f)
	case "overrides":
		f := p.overrideFile(doc)
		f.SHA256 = hashText(src)
		s.Overrides = append(s.Overrides, f)
	case "tests":
		s.Tests = append(s.Tests, p.testFile(doc))
	case "mixed":
		p.errs = append(p.errs, p.at(doc, "a file holds rules (with settings), overrides or tests, not several"))
	default:
		p.errs = append(p.errs, p.at(doc, "want a top-level rules (with settings, tables, views), overrides or tests key"))
	}
	return p.errs
}

func pick(have, want string) string {
	if have == "" || have == want {
		return want
	}
	return "mixed"
}

func (s *Set) checkDuplicates() Errors {
	var errs Errors
	seen := map[string]*Rule{}
	for _, f := range s.Files {
		for _, r := range f.Rules {
			if r.ID == "" {
				continue
			}
			if prev, ok := seen[r.ID]; ok {
				msg := fmt.Sprintf("duplicate rule id %q (first defined at %s)", r.ID, prev.Pos)
				if strings.HasPrefix(prev.Pos.File, Builtin) && !strings.HasPrefix(r.Pos.File, Builtin) {
					msg += "; to replace the shipped rules with your edited copy, leave them out (--builtin-rules=false, or builtin_rules: false in the serve config)"
				}
				errs = append(errs, &Error{Pos: r.Pos, Msg: msg})
				continue
			}
			seen[r.ID] = r
		}
	}
	return errs
}

type parser struct {
	file  string
	src   []byte
	lines [][]byte
	errs  Errors
}

func newParser(file string, src []byte) *parser {
	return &parser{file: file, src: src, lines: bytes.Split(src, []byte("\n"))}
}

func (p *parser) pos(n *yaml.Node) Pos { return Pos{p.file, n.Line, n.Column} }

func (p *parser) at(n *yaml.Node, format string, args ...any) *Error {
	return &Error{Pos: p.pos(n), Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	p.errs = append(p.errs, p.at(n, format, args...))
}

// notUTF8 names the first byte that is not UTF-8 (a rule or override file
// saved as GBK): YAML's own error says only "invalid leading UTF-8
// octet", which the position it gives (1:1) does not locate.
func notUTF8(path string, src []byte) *Error {
	if utf8.Valid(src) {
		return nil
	}
	line, col := 1, 1
	for i := 0; i < len(src); {
		r, n := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && n <= 1 {
			return &Error{Pos: Pos{path, line, col}, Msg: fmt.Sprintf("byte 0x%02X is not UTF-8: save the file as UTF-8 (it looks like GBK or another legacy encoding)", src[i])}
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += n
	}
	return nil
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

func (p *parser) yamlError(err error) *Error {
	line := 1
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
	}
	return &Error{Pos: Pos{p.file, line, 1}, Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
}

// fields walks a mapping, calling the handler for each known key and
// reporting unknown and repeated keys.
func (p *parser) fields(n *yaml.Node, what string, handlers map[string]func(v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s: want a mapping", what)
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		h, ok := handlers[k.Value]
		if !ok {
			known := make([]string, 0, len(handlers))
			for name := range handlers {
				known = append(known, name)
			}
			sort.Strings(known)
			p.errorf(k, "%s: unknown field %q (known: %s)", what, k.Value, strings.Join(known, ", "))
			continue
		}
		if seen[k.Value] {
			p.errorf(k, "%s: field %q given twice", what, k.Value)
			continue
		}
		seen[k.Value] = true
		h(v)
	}
}

// each calls fn for every item of a sequence node, or reports want (e.g.
// "rules: want a list of rules") at the node when it is not a list.
func (p *parser) each(n *yaml.Node, want string, fn func(item *yaml.Node)) {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "%s", want)
		return
	}
	for _, item := range n.Content {
		fn(item)
	}
}

func (p *parser) str(n *yaml.Node, what string) string {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errorf(n, "%s: want a string", what)
		return ""
	}
	return n.Value
}

func (p *parser) boolean(n *yaml.Node, what string) bool {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		p.errorf(n, "%s: want true or false", what)
		return false
	}
	return n.Value == "true"
}

func (p *parser) strs(n *yaml.Node, what string) []string {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "%s: want a list of strings", what)
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		out = append(out, p.str(c, what))
	}
	return out
}

func (p *parser) oneOf(n *yaml.Node, what string, allowed []string) string {
	s := p.str(n, what)
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	if s != "" || n.Kind == yaml.ScalarNode {
		p.errorf(n, "%s: %q is not one of %s", what, s, strings.Join(allowed, ", "))
	}
	return s
}

// expr captures a scalar's text with the position its content starts at.
func (p *parser) expr(n *yaml.Node, what string) Expr {
	s := p.str(n, what)
	e := Expr{Src: s, Pos: p.pos(n)}
	switch n.Style {
	case yaml.LiteralStyle, yaml.FoldedStyle:
		e.Block = true
		if n.Line < len(p.lines) { // content starts on the next line
			l := p.lines[n.Line]
			e.Indent = len(l) - len(bytes.TrimLeft(l, " "))
		}
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		e.Quoted = true
	}
	if strings.TrimSpace(s) == "" && n.Kind == yaml.ScalarNode {
		p.errorf(n, "%s: must not be empty", what)
	}
	return e
}

var idPattern = regexp.MustCompile(`^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$`)
var namePattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

func (p *parser) ruleFile(doc *yaml.Node) *File {
	f := &File{Path: p.file}
	p.fields(doc, "rule file", map[string]func(*yaml.Node){
		"rules": func(v *yaml.Node) {
			p.each(v, "rules: want a list of rules", func(rn *yaml.Node) {
				f.Rules = append(f.Rules, p.rule(rn))
			})
		},
		"settings": func(v *yaml.Node) { f.Settings = p.settings(v) },
		"tables":   func(v *yaml.Node) { f.Tables = p.tables(v) },
		"views":    func(v *yaml.Node) { f.Views = p.views(v) },
	})
	return f
}

func (p *parser) rule(n *yaml.Node) *Rule {
	r := &Rule{Pos: p.pos(n), Enabled: true, Status: "stable"}
	var has = map[string]bool{}
	mark := func(name string, h func(v *yaml.Node)) func(v *yaml.Node) {
		return func(v *yaml.Node) { has[name] = true; h(v) }
	}
	p.fields(n, "rule", map[string]func(*yaml.Node){
		"id": mark("id", func(v *yaml.Node) {
			r.ID = p.str(v, "id")
			if r.ID != "" && !idPattern.MatchString(r.ID) {
				p.errorf(v, "id: %q must be upper-case words joined by '-', like CASH-LARGE", r.ID)
			}
		}),
		"title":       mark("title", func(v *yaml.Node) { r.Title = p.str(v, "title") }),
		"description": func(v *yaml.Node) { r.Description = p.str(v, "description") },
		"family": mark("family", func(v *yaml.Node) {
			r.Family = p.str(v, "family")
			if r.Family != "" && !namePattern.MatchString(r.Family) {
				p.errorf(v, "family: %q must be lower_snake_case", r.Family)
			}
		}),
		"severity": mark("severity", func(v *yaml.Node) { r.Severity = findings.Severity(p.oneOf(v, "severity", severityNames)) }),
		"on":       mark("on", func(v *yaml.Node) { r.On = p.str(v, "on"); r.OnPos = p.pos(v) }),
		"when":     mark("when", func(v *yaml.Node) { r.When = p.expr(v, "when") }),
		"params":   func(v *yaml.Node) { r.Params = p.params(v) },
		"subject":  mark("subject", func(v *yaml.Node) { r.Subject = p.expr(v, "subject") }),
		"period":   func(v *yaml.Node) { r.Period = p.expr(v, "period") },
		"amount":   func(v *yaml.Node) { r.Amount = p.expr(v, "amount") },
		"responsible": func(v *yaml.Node) {
			r.Responsible = p.expr(v, "responsible")
		},
		"message": mark("message", func(v *yaml.Node) { r.Message = p.expr(v, "message") }),
		"verify":  func(v *yaml.Node) { r.Verify = p.str(v, "verify") },
		"escalate": func(v *yaml.Node) {
			p.each(v, "escalate: want a list of {when, severity}", func(en *yaml.Node) {
				e := Escalation{Pos: p.pos(en)}
				p.fields(en, "escalate", map[string]func(*yaml.Node){
					"when":     func(v *yaml.Node) { e.When = p.expr(v, "escalate.when") },
					"severity": func(v *yaml.Node) { e.Severity = findings.Severity(p.oneOf(v, "escalate.severity", severityNames)) },
				})
				if e.When.Src == "" || e.Severity == "" {
					p.errorf(en, "escalate: needs both when and severity")
				}
				r.Escalate = append(r.Escalate, e)
			})
		},
		"evidence": func(v *yaml.Node) {
			r.Evidence = p.strs(v, "evidence")
			if len(r.Evidence) == len(v.Content) {
				for _, c := range v.Content {
					r.EvidencePos = append(r.EvidencePos, p.pos(c))
				}
			}
		},
		"tags":            func(v *yaml.Node) { r.Tags = p.strs(v, "tags") },
		"references":      func(v *yaml.Node) { r.References = p.strs(v, "references") },
		"false_positives": func(v *yaml.Node) { r.FalsePositives = p.strs(v, "false_positives") },
		"status":          func(v *yaml.Node) { r.Status = p.oneOf(v, "status", Statuses) },
		"enabled":         func(v *yaml.Node) { r.Enabled = p.boolean(v, "enabled") },
	})
	for _, f := range []string{"id", "title", "family", "severity", "on", "when", "subject", "message"} {
		if !has[f] && n.Kind == yaml.MappingNode {
			p.errorf(n, "rule %s: missing required field %q", r.ID, f)
		}
	}
	// The hash covers the rule's own text so the manifest can tell which
	// version of a rule produced a finding.
	r.Hash = hashText([]byte(p.nodeText(n)))[:16]
	return r
}

// nodeText re-serialises a node canonically (comments and layout do not
// change the hash).
func (p *parser) nodeText(n *yaml.Node) string {
	c := *n
	c.HeadComment, c.LineComment, c.FootComment = "", "", ""
	b, err := yaml.Marshal(&c)
	if err != nil {
		return ""
	}
	return string(b)
}

func (p *parser) params(n *yaml.Node) []Param {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "params: want a mapping of name: value")
		return nil
	}
	var out []Param
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !namePattern.MatchString(k.Value) {
			p.errorf(k, "params: name %q must be lower_snake_case", k.Value)
			continue
		}
		if seen[k.Value] {
			p.errorf(k, "params: %q given twice", k.Value)
			continue
		}
		seen[k.Value] = true
		val, ok := p.value(v, "params."+k.Value)
		if ok {
			out = append(out, Param{Name: k.Value, Value: val, Pos: p.pos(v)})
		}
	}
	return out
}

// value reads a param or setting value: int64, float64, bool, string or
// []string.
func (p *parser) value(v *yaml.Node, what string) (any, bool) {
	switch v.Kind {
	case yaml.ScalarNode:
		switch v.Tag {
		case "!!int":
			i, err := strconv.ParseInt(strings.ReplaceAll(v.Value, "_", ""), 0, 64)
			if err != nil {
				p.errorf(v, "%s: %v", what, err)
				return nil, false
			}
			return i, true
		case "!!float":
			f, err := strconv.ParseFloat(v.Value, 64)
			if err != nil {
				p.errorf(v, "%s: %v", what, err)
				return nil, false
			}
			return f, true
		case "!!bool":
			return v.Value == "true", true
		case "!!str":
			return v.Value, true
		}
	case yaml.SequenceNode:
		return p.strs(v, what), true
	}
	p.errorf(v, "%s: want a number, string, bool or list of strings", what)
	return nil, false
}

func (p *parser) settings(n *yaml.Node) Settings {
	out := Settings{}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "settings: want a mapping of detector: {setting: value}")
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.MappingNode {
			p.errorf(v, "settings.%s: want a mapping of setting: value", k.Value)
			continue
		}
		m := map[string]Setting{}
		for j := 0; j+1 < len(v.Content); j += 2 {
			sk, sv := v.Content[j], v.Content[j+1]
			if _, dup := m[sk.Value]; dup {
				p.errorf(sk, "settings.%s: %q given twice", k.Value, sk.Value)
				continue
			}
			if val, ok := p.value(sv, "settings."+k.Value+"."+sk.Value); ok {
				m[sk.Value] = Setting{Value: val, Pos: p.pos(sk)}
			}
		}
		out[k.Value] = m
	}
	return out
}

func (p *parser) overrideFile(doc *yaml.Node) *OverrideFile {
	f := &OverrideFile{Path: p.file}
	p.fields(doc, "override file", map[string]func(*yaml.Node){
		"overrides": func(v *yaml.Node) {
			p.each(v, "overrides: want a list", func(on *yaml.Node) {
				f.Overrides = append(f.Overrides, p.override(on))
			})
		},
	})
	return f
}

func (p *parser) override(n *yaml.Node) *Override {
	o := &Override{Pos: p.pos(n), File: p.file}
	p.fields(n, "override", map[string]func(*yaml.Node){
		"town_id":    func(v *yaml.Node) { o.Scope.TownID = p.str(v, "town_id") },
		"village_id": func(v *yaml.Node) { o.Scope.VillageID = p.str(v, "village_id") },
		"reason":     func(v *yaml.Node) { o.Reason = p.str(v, "reason") },
		"settings":   func(v *yaml.Node) { o.Settings = p.settings(v) },
		"rules": func(v *yaml.Node) {
			if v.Kind != yaml.MappingNode {
				p.errorf(v, "rules: want a mapping of rule id: {params, enabled, severity}")
				return
			}
			for i := 0; i+1 < len(v.Content); i += 2 {
				k, rv := v.Content[i], v.Content[i+1]
				ro := RuleOverride{RuleID: k.Value, Pos: p.pos(k)}
				p.fields(rv, "rules."+k.Value, map[string]func(*yaml.Node){
					"params": func(v *yaml.Node) { ro.Params = p.params(v) },
					"enabled": func(v *yaml.Node) {
						b := p.boolean(v, "enabled")
						ro.Enabled = &b
					},
					"severity": func(v *yaml.Node) { ro.Severity = findings.Severity(p.oneOf(v, "severity", severityNames)) },
				})
				o.Rules = append(o.Rules, ro)
			}
		},
	})
	if o.Scope.TownID != "" && o.Scope.VillageID != "" {
		p.errorf(n, "override: give town_id or village_id, not both (a village override beats its town's anyway)")
	}
	return o
}
