package rules

import (
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/neijiang/xiaowei/internal/contract"
)

// Declared tables and views (power-list items as configuration).
//
// A rule file may declare, beside its rules, optional tables of its own
// (`tables:`) and views derived from tables and other views (`views:`).
// This file parses both with positions; LoadDirs declares the tables in
// internal/contract, and internal/views compiles the views (the engine
// calls it through engine.SetViewCompiler).

// TableDecl is a table declared in a rule file.
type TableDecl struct {
	Name    string
	Doc     string
	Key     []string
	Village string // the village column (default village_id when present)
	Date    string // the date column that places a row in time (as_of)
	Columns []ColumnDecl
	Pos     Pos
}

// ColumnDecl is one column of a declared table.
type ColumnDecl struct {
	Name     string
	Kind     contract.Kind
	Values   []string          // enum values
	Labels   map[string]string // enum value → Chinese label (values: {v: 标签})
	Required bool
	Aliases  []string
	Doc      string
	Pos      Pos
}

// KeyRef is one key column of a join, group or window; Names holds more
// than one name for "a|b": the first non-null of a and b.
type KeyRef struct {
	Names []string
	Pos   Pos
}

func (k KeyRef) String() string { return strings.Join(k.Names, "|") }

// AggDecl is an output column computed by an aggregate: `name: fn(col)`.
// Fn is one of count, sum, min, max, first, last, count_distinct (col
// is "" for count()), or "" for a plain column taken from a lookup.
type AggDecl struct {
	Name string
	Fn   string
	Col  string
	Pos  Pos
}

// Aggregate functions a view may use.
var AggFuncs = []string{"count", "sum", "min", "max", "first", "last", "count_distinct"}

var aggPattern = regexp.MustCompile(`^\s*([a-z_]+)\(\s*([a-z][a-z0-9_]*)?\s*\)\s*$`)

func (p *parser) tables(n *yaml.Node) []*TableDecl {
	var out []*TableDecl
	p.each(n, "tables: want a list of tables", func(tn *yaml.Node) {
		t := &TableDecl{Pos: p.pos(tn)}
		p.fields(tn, "table", map[string]func(*yaml.Node){
			"name":    func(v *yaml.Node) { t.Name = p.name(v, "table name") },
			"doc":     func(v *yaml.Node) { t.Doc = p.str(v, "doc") },
			"key":     func(v *yaml.Node) { t.Key = p.strs(v, "key") },
			"village": func(v *yaml.Node) { t.Village = p.str(v, "village") },
			"date":    func(v *yaml.Node) { t.Date = p.str(v, "date") },
			"columns": func(v *yaml.Node) {
				p.each(v, "columns: want a list of {name, kind}", func(cn *yaml.Node) {
					t.Columns = append(t.Columns, p.column(cn))
				})
			},
		})
		if t.Name == "" && tn.Kind == yaml.MappingNode {
			p.errorf(tn, "table: missing required field \"name\"")
		}
		if len(t.Columns) == 0 && tn.Kind == yaml.MappingNode {
			p.errorf(tn, "table %s: no columns", t.Name)
		}
		has := func(name string) bool {
			for _, c := range t.Columns {
				if c.Name == name {
					return true
				}
			}
			return false
		}
		seen := map[string]bool{}
		for _, c := range t.Columns {
			if seen[c.Name] {
				p.errs = append(p.errs, &Error{Pos: c.Pos, Msg: fmt.Sprintf("table %s: column %q declared twice", t.Name, c.Name)})
			}
			seen[c.Name] = true
		}
		for _, k := range t.Key {
			if !has(k) {
				p.errorf(tn, "table %s: key column %q is not a column", t.Name, k)
			}
		}
		if t.Village == "" && has("village_id") {
			t.Village = "village_id"
		}
		if t.Village != "" && !has(t.Village) {
			p.errorf(tn, "table %s: village column %q is not a column", t.Name, t.Village)
		}
		if t.Date != "" {
			ok := false
			for _, c := range t.Columns {
				ok = ok || c.Name == t.Date && c.Kind == contract.Date
			}
			if !ok {
				p.errorf(tn, "table %s: date: %q is not a date column", t.Name, t.Date)
			}
		}
		out = append(out, t)
	})
	return out
}

func (p *parser) name(v *yaml.Node, what string) string {
	s := p.str(v, what)
	if s != "" && !namePattern.MatchString(s) {
		p.errorf(v, "%s: %q must be lower_snake_case", what, s)
	}
	return s
}

func (p *parser) column(n *yaml.Node) ColumnDecl {
	c := ColumnDecl{Pos: p.pos(n)}
	var kindNode *yaml.Node
	p.fields(n, "column", map[string]func(*yaml.Node){
		"name": func(v *yaml.Node) { c.Name = p.name(v, "column name") },
		"kind": func(v *yaml.Node) {
			kindNode = v
			k, ok := contract.ParseKind(p.str(v, "kind"))
			if !ok {
				p.errorf(v, "kind: %q is not one of id, text, enum, date, month, money, int, bool", v.Value)
			}
			c.Kind = k
		},
		"values":   func(v *yaml.Node) { c.Values, c.Labels = p.enumValues(v) },
		"required": func(v *yaml.Node) { c.Required = p.boolean(v, "required") },
		"aliases":  func(v *yaml.Node) { c.Aliases = p.strs(v, "aliases") },
		"doc":      func(v *yaml.Node) { c.Doc = p.str(v, "doc") },
	})
	if n.Kind == yaml.MappingNode && (c.Name == "" || kindNode == nil) {
		p.errorf(n, "column: needs name and kind")
	}
	if c.Kind == contract.Float {
		p.errorf(kindNode, "kind: float is for views; money is exact and int counts")
	}
	if (c.Kind == contract.Enum) != (len(c.Values) > 0) {
		p.errorf(n, "column %s: an enum lists its values (values:), other kinds do not", c.Name)
	}
	return c
}

// enumValues reads an enum's values: a list (`[a, b]`), or a mapping of
// each value to the Chinese label messages show (`{a: 甲, b: 乙}`), in
// declaration order. A mapping labels every value: a value shown raw to
// inspectors is what the labels are for.
func (p *parser) enumValues(n *yaml.Node) ([]string, map[string]string) {
	if n.Kind != yaml.MappingNode {
		if n.Kind != yaml.SequenceNode {
			p.errorf(n, "values: want a list of values or a mapping of value: 中文标签")
			return nil, nil
		}
		return p.strs(n, "values"), nil
	}
	vals := make([]string, 0, len(n.Content)/2)
	labels := make(map[string]string, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		val, label := p.str(k, "values"), p.str(v, "values."+k.Value)
		if _, dup := labels[val]; dup {
			p.errorf(k, "values: %q listed twice", val)
			continue
		}
		if strings.TrimSpace(label) == "" && v.Kind == yaml.ScalarNode && v.Tag != "!!null" {
			p.errorf(v, "values.%s: want the value's Chinese label, got nothing", val)
		}
		vals = append(vals, val)
		labels[val] = label
	}
	return vals, labels
}

func (p *parser) keys(n *yaml.Node, what string) []KeyRef {
	var out []KeyRef
	p.each(n, what+": want a list of columns", func(kn *yaml.Node) {
		s := p.str(kn, what)
		k := KeyRef{Pos: p.pos(kn)}
		for _, part := range strings.Split(s, "|") {
			part = strings.TrimSpace(part)
			if !namePattern.MatchString(part) {
				p.errorf(kn, "%s: %q is not a column name (a|b takes the first non-null of a and b)", what, s)
				return
			}
			k.Names = append(k.Names, part)
		}
		out = append(out, k)
	})
	return out
}

// aggs reads `columns: {out: fn(col)}`; plain (lookup) allows `out: col`.
func (p *parser) aggs(n *yaml.Node, what string, plain bool) []AggDecl {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s: want a mapping of output column: function(column)", what)
		return nil
	}
	var out []AggDecl
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		a := AggDecl{Name: k.Value, Pos: p.pos(v)}
		if !namePattern.MatchString(k.Value) {
			p.errorf(k, "%s: output column %q must be lower_snake_case", what, k.Value)
			continue
		}
		s := p.str(v, what+"."+k.Value)
		if m := aggPattern.FindStringSubmatch(s); m != nil {
			a.Fn, a.Col = m[1], m[2]
			known := false
			for _, f := range AggFuncs {
				known = known || f == a.Fn
			}
			switch {
			case !known:
				p.errorf(v, "%s.%s: unknown function %q (known: %s)", what, k.Value, a.Fn, strings.Join(AggFuncs, ", "))
				continue
			case a.Col == "" && a.Fn != "count":
				p.errorf(v, "%s.%s: %s needs a column, like %s(amount)", what, k.Value, a.Fn, a.Fn)
				continue
			}
		} else if plain && namePattern.MatchString(strings.TrimSpace(s)) {
			a.Col = strings.TrimSpace(s)
		} else {
			want := "function(column), one of " + strings.Join(AggFuncs, ", ")
			if plain {
				want = "a column of the looked-up view or " + want
			}
			p.errorf(v, "%s.%s: %q: want %s", what, k.Value, s, want)
			continue
		}
		out = append(out, a)
	}
	return out
}

// DeclareTables adds the set's declared tables to the contract registry; a
// conflict is reported at the declaration. LoadDirs calls it; any other way
// of reading rule files (an embedded copy) must call it too, before data is
// read.
func (s *Set) DeclareTables() Errors {
	var errs Errors
	for _, f := range s.Files {
		for _, td := range f.Tables {
			t := &contract.Table{Name: td.Name, Optional: true, Key: td.Key, Doc: td.Doc, DateCol: td.Date, VillageCol: td.Village, Source: td.Pos.String()}
			for _, c := range td.Columns {
				t.Columns = append(t.Columns, contract.Column{Name: c.Name, Kind: c.Kind, Enum: c.Values, Labels: c.Labels, Required: c.Required, Aliases: c.Aliases, Doc: c.Doc})
			}
			if err := contract.Declare(t); err != nil {
				errs = append(errs, &Error{Pos: td.Pos, Msg: err.Error()})
			}
		}
	}
	return errs
}
