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
	Values   []string // enum values
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

// LookupDecl joins another table or view on keys.
type LookupDecl struct {
	From    string
	FromPos Pos
	On      []KeyRef // keys of the input
	To      []KeyRef // keys of From (default: the same names as On)
	Inner   bool     // drop input rows without a match (default: left)
	Expand  bool     // one output row per match (one-to-many)
	Columns []AggDecl
	Pos     Pos
}

// GroupDecl groups rows by keys.
type GroupDecl struct {
	By      []KeyRef
	Columns []AggDecl
	Pos     Pos
}

// WindowDecl computes, for every row, aggregates over a time window of its
// group: the rows of its group dated within Days of a window's first row
// (Days > 0, or DaysParam), or the rows of the same calendar Per period
// (month or quarter).
type WindowDecl struct {
	By        []KeyRef
	Order     string // date column
	Days      int64
	DaysParam string
	Per       string // "month" or "quarter"
	Columns   []AggDecl
	Best      string // the aggregate (a count or sum) whose largest window a row takes; default the row count
	Pos       Pos
}

// SequenceDecl checks an ordered procedure per key: the first occurrence
// of each step (by Order) and whether steps are missing or out of order.
type SequenceDecl struct {
	By    []KeyRef
	Order string // date column
	Step  string // the column holding the step name
	Steps []string
	Pos   Pos
}

// ViewDecl is a view declared in a rule file: From, optionally filtered,
// then at most one of lookup, group, window, sequence.
type ViewDecl struct {
	Name     string
	Doc      string
	From     string
	FromPos  Pos
	Filter   Expr
	Date     string // date column placing a row in time (a run window)
	Params   []Param
	Lookup   *LookupDecl
	Group    *GroupDecl
	Window   *WindowDecl
	Sequence *SequenceDecl
	Pos      Pos
	File     string
	// Hash identifies the declaration's text (views of the same name in
	// two files are an error).
	Hash string
}

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
		"values":   func(v *yaml.Node) { c.Values = p.strs(v, "values") },
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

func (p *parser) views(n *yaml.Node) []*ViewDecl {
	var out []*ViewDecl
	p.each(n, "views: want a list of views", func(vn *yaml.Node) {
		v := &ViewDecl{Pos: p.pos(vn), File: p.file}
		ops := 0
		p.fields(vn, "view", map[string]func(*yaml.Node){
			"name":   func(x *yaml.Node) { v.Name = p.name(x, "view name") },
			"doc":    func(x *yaml.Node) { v.Doc = p.str(x, "doc") },
			"from":   func(x *yaml.Node) { v.From = p.str(x, "from"); v.FromPos = p.pos(x) },
			"filter": func(x *yaml.Node) { v.Filter = p.expr(x, "filter") },
			"date":   func(x *yaml.Node) { v.Date = p.str(x, "date") },
			"params": func(x *yaml.Node) { v.Params = p.params(x) },
			"lookup": func(x *yaml.Node) {
				ops++
				l := &LookupDecl{Pos: p.pos(x)}
				p.fields(x, "lookup", map[string]func(*yaml.Node){
					"from": func(y *yaml.Node) { l.From = p.str(y, "lookup.from"); l.FromPos = p.pos(y) },
					"on":   func(y *yaml.Node) { l.On = p.keys(y, "lookup.on") },
					"to":   func(y *yaml.Node) { l.To = p.keys(y, "lookup.to") },
					"kind": func(y *yaml.Node) {
						l.Inner = p.oneOf(y, "lookup.kind", []string{"left", "inner"}) == "inner"
					},
					"expand":  func(y *yaml.Node) { l.Expand = p.boolean(y, "lookup.expand") },
					"columns": func(y *yaml.Node) { l.Columns = p.aggs(y, "lookup.columns", true) },
				})
				if x.Kind == yaml.MappingNode && (l.From == "" || len(l.On) == 0 || len(l.Columns) == 0) {
					p.errorf(x, "lookup: needs from, on and columns")
				}
				if len(l.To) > 0 && len(l.To) != len(l.On) {
					p.errorf(x, "lookup: on has %d keys, to has %d", len(l.On), len(l.To))
				}
				if len(l.To) == 0 {
					l.To = l.On
				}
				v.Lookup = l
			},
			"group": func(x *yaml.Node) {
				ops++
				g := &GroupDecl{Pos: p.pos(x)}
				p.fields(x, "group", map[string]func(*yaml.Node){
					"by":      func(y *yaml.Node) { g.By = p.keys(y, "group.by") },
					"columns": func(y *yaml.Node) { g.Columns = p.aggs(y, "group.columns", false) },
				})
				if x.Kind == yaml.MappingNode && len(g.By) == 0 {
					p.errorf(x, "group: needs by")
				}
				v.Group = g
			},
			"window": func(x *yaml.Node) {
				ops++
				w := &WindowDecl{Pos: p.pos(x)}
				p.fields(x, "window", map[string]func(*yaml.Node){
					"by":    func(y *yaml.Node) { w.By = p.keys(y, "window.by") },
					"order": func(y *yaml.Node) { w.Order = p.str(y, "window.order") },
					"days": func(y *yaml.Node) {
						if y.Tag == "!!int" {
							val, _ := p.value(y, "window.days")
							w.Days, _ = val.(int64)
							if w.Days <= 0 {
								p.errorf(y, "window.days: want a positive number of days")
							}
							return
						}
						s := p.str(y, "window.days")
						name, ok := strings.CutPrefix(s, "params.")
						if !ok || !namePattern.MatchString(name) {
							p.errorf(y, "window.days: want a number of days or params.<name>, got %q", s)
						}
						w.DaysParam = name
					},
					"per":     func(y *yaml.Node) { w.Per = p.oneOf(y, "window.per", []string{"month", "quarter"}) },
					"best":    func(y *yaml.Node) { w.Best = p.str(y, "window.best") },
					"columns": func(y *yaml.Node) { w.Columns = p.aggs(y, "window.columns", false) },
				})
				if x.Kind == yaml.MappingNode && (w.Order == "" || (w.Days == 0 && w.DaysParam == "") == (w.Per == "")) {
					p.errorf(x, "window: needs order and one of days or per")
				}
				v.Window = w
			},
			"sequence": func(x *yaml.Node) {
				ops++
				s := &SequenceDecl{Pos: p.pos(x)}
				p.fields(x, "sequence", map[string]func(*yaml.Node){
					"by":    func(y *yaml.Node) { s.By = p.keys(y, "sequence.by") },
					"order": func(y *yaml.Node) { s.Order = p.str(y, "sequence.order") },
					"step":  func(y *yaml.Node) { s.Step = p.str(y, "sequence.step") },
					"steps": func(y *yaml.Node) { s.Steps = p.strs(y, "sequence.steps") },
				})
				if x.Kind == yaml.MappingNode && (len(s.By) == 0 || s.Order == "" || s.Step == "" || len(s.Steps) == 0) {
					p.errorf(x, "sequence: needs by, order, step and steps")
				}
				for _, st := range s.Steps {
					if !namePattern.MatchString(st) {
						p.errorf(x, "sequence.steps: %q must be lower_snake_case (it names the column %s_on)", st, st)
					}
				}
				v.Sequence = s
			},
		})
		if vn.Kind == yaml.MappingNode {
			if v.Name == "" || v.From == "" {
				p.errorf(vn, "view: needs name and from")
			}
			if ops > 1 {
				p.errorf(vn, "view %s: one of lookup, group, window or sequence per view (chain views for more)", v.Name)
			}
			if ops == 0 && v.Filter.Src == "" {
				p.errorf(vn, "view %s: needs a filter, lookup, group, window or sequence", v.Name)
			}
		}
		v.Hash = hashText([]byte(p.nodeText(vn)))[:16]
		out = append(out, v)
	})
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
				t.Columns = append(t.Columns, contract.Column{Name: c.Name, Kind: c.Kind, Enum: c.Values, Required: c.Required, Aliases: c.Aliases, Doc: c.Doc})
			}
			if err := contract.Declare(t); err != nil {
				errs = append(errs, &Error{Pos: td.Pos, Msg: err.Error()})
			}
		}
	}
	return errs
}

// Views lists every declared view in file order.
func (s *Set) Views() []*ViewDecl {
	var out []*ViewDecl
	for _, f := range s.Files {
		out = append(out, f.Views...)
	}
	return out
}
