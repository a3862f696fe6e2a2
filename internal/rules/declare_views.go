package rules

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

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

func (p *parser) views(n *yaml.Node) []*ViewDecl {
	var out []*ViewDecl
	p.each(n, "views: want a list of views", func(vn *yaml.Node) {
		v := &ViewDecl{Pos: p.pos(vn), File: p.file}
		ops := 0
		p.fields(vn, "view", map[string]func(*yaml.Node){
			"name":     func(x *yaml.Node) { v.Name = p.name(x, "view name") },
			"doc":      func(x *yaml.Node) { v.Doc = p.str(x, "doc") },
			"from":     func(x *yaml.Node) { v.From = p.str(x, "from"); v.FromPos = p.pos(x) },
			"filter":   func(x *yaml.Node) { v.Filter = p.expr(x, "filter") },
			"date":     func(x *yaml.Node) { v.Date = p.str(x, "date") },
			"params":   func(x *yaml.Node) { v.Params = p.params(x) },
			"lookup":   func(x *yaml.Node) { ops++; v.Lookup = p.lookupDecl(x) },
			"group":    func(x *yaml.Node) { ops++; v.Group = p.groupDecl(x) },
			"window":   func(x *yaml.Node) { ops++; v.Window = p.windowDecl(x) },
			"sequence": func(x *yaml.Node) { ops++; v.Sequence = p.sequenceDecl(x) },
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

// lookupDecl parses a view's lookup: what it joins and on which keys.
func (p *parser) lookupDecl(x *yaml.Node) *LookupDecl {
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
	return l
}

// groupDecl parses a view's group: its keys and aggregates.
func (p *parser) groupDecl(x *yaml.Node) *GroupDecl {
	g := &GroupDecl{Pos: p.pos(x)}
	p.fields(x, "group", map[string]func(*yaml.Node){
		"by":      func(y *yaml.Node) { g.By = p.keys(y, "group.by") },
		"columns": func(y *yaml.Node) { g.Columns = p.aggs(y, "group.columns", false) },
	})
	if x.Kind == yaml.MappingNode && len(g.By) == 0 {
		p.errorf(x, "group: needs by")
	}
	return g
}

// windowDecl parses a view's window: its keys, date order, span (days, a days param, or a calendar period) and aggregates.
func (p *parser) windowDecl(x *yaml.Node) *WindowDecl {
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
	return w
}

// sequenceDecl parses a view's sequence: its keys, date order and the ordered steps.
func (p *parser) sequenceDecl(x *yaml.Node) *SequenceDecl {
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
	return s
}

// Views lists every declared view in file order.
func (s *Set) Views() []*ViewDecl {
	var out []*ViewDecl
	for _, f := range s.Files {
		out = append(out, f.Views...)
	}
	return out
}
