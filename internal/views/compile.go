// Package views compiles the views declared in rule files (`views:`) and
// builds them column-wise over Arrow tables.
//
// A declared view reads a contract table, a declared table, a Go detector's
// view or another declared view (`from`), optionally keeps the rows a
// filter selects (an expr predicate, compiled once by the engine and run
// column-wise where it can be), then applies at most one typed operation:
//
//   - lookup: join another table or view on keys (left or inner); one-to-one
//     (take its columns), one-to-many with aggregates, or expanded (a row
//     per match);
//   - group: one row per key with count, sum, min, max, first, last,
//     count_distinct;
//   - window: per key, aggregates over the rows within N days of a window's
//     first row (the window chosen per row by `best`) or over the row's
//     calendar month or quarter;
//   - sequence: per key, the first occurrence of each step of an ordered
//     procedure, what is missing, and whether first occurrences are out of
//     order (after Sigma's temporal_ordered correlation rules).
//
// Views are checked once, at compile time (unknown columns, type
// mismatches, unknown inputs, cycles), with every error at its
// file:line:col. The views of one rule file form one engine.Detector named
// after the file (rules/major.yaml -> "major"); their params are that
// detector's settings, so they can be overridden per town and village
// like any detector setting. The engine calls Compile through
// engine.SetViewCompiler, so internal/run runs declared views exactly like
// Go detectors.
package views

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/table"
)

func init() { engine.SetViewCompiler(Compile) }

// view is one compiled declared view.
type view struct {
	decl   *rules.ViewDecl
	spec   engine.ViewSpec
	owner  *detector
	input  source
	filter *engine.Predicate
	lookup *lookupOp
	group  *groupOp
	window *windowOp
	seq    *seqOp
}

// source is where a view's rows come from.
type source struct {
	name string
	cols []table.Col
	decl *view           // a declared view, or
	det  engine.Detector // a Go detector's view, or neither: a table
}

type compiler struct {
	decls   map[string]*rules.ViewDecl
	done    map[string]*view
	busy    map[string]bool
	dets    map[string]*detector
	errs    rules.Errors
	ownerOf map[string]string
}

// Compile compiles every view the set declares into one detector per rule
// file.
func Compile(set *rules.Set) ([]engine.Detector, rules.Errors) {
	c := &compiler{decls: map[string]*rules.ViewDecl{}, done: map[string]*view{}, busy: map[string]bool{}, dets: map[string]*detector{}, ownerOf: map[string]string{}}
	var order []string
	for _, f := range set.Files {
		if len(f.Views) == 0 {
			continue
		}
		// The settings group is the file's name: rules/major.yaml and the
		// shipped copy builtin:major.yaml are both "major".
		base := filepath.Base(strings.TrimPrefix(f.Path, rules.Builtin))
		name := strings.TrimSuffix(base, filepath.Ext(base))
		if d, dup := c.dets[name]; dup {
			c.errorf(f.Views[0].Pos, "views: two rule files named %s declare views (their settings group would clash with %s)", name, d.file)
			continue
		}
		if _, _, ok := engine.LookupView(name); ok || isGoDetector(name) {
			c.errorf(f.Views[0].Pos, "views: the settings group %q of this file's views is a detector's name; rename the file", name)
			continue
		}
		d := &detector{name: name, file: f.Path, views: map[string]*view{}}
		c.dets[name] = d
		order = append(order, name)
		for _, v := range f.Views {
			if prev, dup := c.decls[v.Name]; dup {
				c.errorf(v.Pos, "view %s: declared twice (first at %s)", v.Name, prev.Pos)
				continue
			}
			if _, ok := contract.Lookup(v.Name); ok {
				c.errorf(v.Pos, "view %s: a table has this name", v.Name)
				continue
			}
			if _, _, ok := engine.LookupView(v.Name); ok {
				c.errorf(v.Pos, "view %s: a detector already provides a view of this name", v.Name)
				continue
			}
			c.decls[v.Name] = v
			c.ownerOf[v.Name] = name
		}
		d.params, d.settings = c.params(f.Views)
	}
	for _, f := range set.Files {
		for _, v := range f.Views {
			if c.decls[v.Name] == v {
				c.view(v.Name)
			}
		}
	}
	var out []engine.Detector
	for _, name := range order {
		d := c.dets[name]
		if len(d.order) > 0 {
			out = append(out, d)
		}
	}
	c.errs.Sort()
	return out, c.errs
}

func isGoDetector(name string) bool {
	for _, d := range engine.Detectors() {
		if d.Name() == name {
			return true
		}
	}
	return false
}

func (c *compiler) errorf(pos rules.Pos, format string, args ...any) {
	c.errs = append(c.errs, &rules.Error{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

// params gathers the file's view params: one settings group per file, a
// name shared by two views must have the same default.
func (c *compiler) params(vs []*rules.ViewDecl) (map[string]any, []engine.SettingSpec) {
	vals := map[string]any{}
	where := map[string]rules.Pos{}
	var specs []engine.SettingSpec
	for _, v := range vs {
		for _, p := range v.Params {
			if prev, ok := vals[p.Name]; ok {
				if fmt.Sprint(prev) != fmt.Sprint(p.Value) {
					c.errorf(p.Pos, "view %s: params.%s = %v, but %s sets it to %v (the views of a file share their params)", v.Name, p.Name, p.Value, where[p.Name], prev)
				}
				continue
			}
			vals[p.Name], where[p.Name] = p.Value, p.Pos
			specs = append(specs, engine.SettingSpec{Name: p.Name, Default: p.Value, Doc: "param of view " + v.Name})
		}
	}
	return vals, specs
}

// resolve finds a view's input by name.
func (c *compiler) resolve(name string, pos rules.Pos, who string) (source, bool) {
	if _, ok := c.decls[name]; ok {
		v := c.view(name)
		if v == nil {
			return source{}, false
		}
		return source{name: name, cols: v.spec.Cols, decl: v}, true
	}
	if t, ok := contract.Lookup(name); ok {
		return source{name: name, cols: table.ContractCols(t)}, true
	}
	if spec, d, ok := engine.LookupView(name); ok {
		return source{name: name, cols: spec.Cols, det: d}, true
	}
	var names []string
	for _, t := range contract.All() {
		names = append(names, t.Name)
	}
	for n := range c.decls {
		names = append(names, n)
	}
	for _, d := range engine.Detectors() {
		for _, v := range d.Views() {
			names = append(names, v.Name)
		}
	}
	sort.Strings(names)
	c.errorf(pos, "%s: no table or view %q%s (see `xiaowei views`)", who, name, engine.DidYouMean(name, names))
	return source{}, false
}

func (c *compiler) view(name string) *view {
	if v, ok := c.done[name]; ok {
		return v
	}
	d := c.decls[name]
	if c.busy[name] {
		c.errorf(d.Pos, "view %s: reads itself (a cycle of views)", name)
		return nil
	}
	c.busy[name] = true
	defer delete(c.busy, name)
	c.done[name] = nil // a failed view stays nil: its readers report only their own errors
	owner := c.dets[c.ownerOf[name]]
	in, ok := c.resolve(d.From, d.FromPos, "view "+name+": from")
	if !ok {
		return nil
	}
	n0 := len(c.errs)
	v := &view{decl: d, owner: owner, input: in}
	who := "view " + name
	if d.Filter.Src != "" {
		var params []rules.Param
		for _, p := range d.Params {
			params = append(params, p)
		}
		// A filter sees every param of its file (views share them).
		for _, sp := range owner.settings {
			if !hasParam(params, sp.Name) {
				params = append(params, rules.Param{Name: sp.Name, Value: sp.Default})
			}
		}
		p, errs := engine.CompilePredicate(d.Filter, in.cols, params, who+": filter")
		c.errs = append(c.errs, errs...)
		v.filter = p
	}
	needs := c.needs(in)
	var cols []table.Col
	dateCol := ""
	switch {
	case d.Lookup != nil:
		cols, needs = c.compileLookup(v, in, needs)
		dateCol = c.dateOf(in)
	case d.Group != nil:
		cols = c.compileGroup(v, in)
	case d.Window != nil:
		cols = c.compileWindow(v, in)
		dateCol = c.dateOf(in)
	case d.Sequence != nil:
		cols = c.compileSequence(v, in)
	default:
		cols = in.cols
		dateCol = c.dateOf(in)
	}
	if d.Date != "" {
		if i := colIndex(cols, d.Date); i < 0 || cols[i].Kind != contract.Date {
			c.errorf(d.Pos, "%s: date: %q is not a date column of the view", who, d.Date)
		}
		dateCol = d.Date
	}
	if len(c.errs) > n0 {
		return nil
	}
	if colIndex(cols, "village_id") < 0 {
		c.errorf(d.Pos, "%s: has no village_id column (params and overrides are resolved per village); keep village_id in its keys", who)
		return nil
	}
	doc := d.Doc
	if doc == "" {
		doc = "declared in " + d.Pos.String()
	}
	v.spec = engine.ViewSpec{Name: name, Doc: doc, Cols: cols, Needs: needs, DateCol: dateCol}
	c.done[name] = v
	owner.views[name] = v
	owner.order = append(owner.order, v)
	return v
}

func hasParam(ps []rules.Param, name string) bool {
	for _, p := range ps {
		if p.Name == name {
			return true
		}
	}
	return false
}

func (c *compiler) dateOf(in source) string {
	switch {
	case in.decl != nil:
		return in.decl.spec.DateCol
	case in.det != nil:
		spec, _, _ := engine.LookupView(in.name)
		return spec.DateCol
	}
	t, _ := contract.Lookup(in.name)
	return engine.ContractView(t).DateCol
}

// needs lists the tables a source cannot be built without.
func (c *compiler) needs(in source) []string {
	switch {
	case in.decl != nil:
		return in.decl.spec.Needs
	case in.det != nil:
		spec, _, _ := engine.LookupView(in.name)
		return spec.Needs
	}
	return []string{in.name}
}

func union(a, b []string) []string {
	out := append([]string(nil), a...)
	for _, x := range b {
		found := false
		for _, y := range out {
			found = found || x == y
		}
		if !found {
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}

func colIndex(cols []table.Col, name string) int {
	for i, c := range cols {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// keyClass is the physical class of a key: values of two keys compare
// only within a class.
func keyClass(k contract.Kind) string {
	switch k {
	case contract.ID, contract.Text, contract.Enum, contract.Month:
		return "string"
	case contract.Date:
		return "date"
	case contract.Int:
		return "int"
	case contract.Money:
		return "money"
	case contract.Bool:
		return "bool"
	}
	return "float"
}

// keyCols resolves key references to column indexes; all names of an a|b
// key must have one class.
func (c *compiler) keyCols(who string, keys []rules.KeyRef, cols []table.Col) ([][]int, []string) {
	var idx [][]int
	var classes []string
	for _, k := range keys {
		var ii []int
		class := ""
		for _, n := range k.Names {
			i := colIndex(cols, n)
			if i < 0 {
				c.errorf(k.Pos, "%s: unknown column %q%s (columns: %s)", who, n, engine.DidYouMean(n, nameList(cols)), colNames(cols))
				continue
			}
			cl := keyClass(cols[i].Kind)
			if cl == "float" {
				c.errorf(k.Pos, "%s: column %s is a float and cannot be a key", who, n)
			}
			if class != "" && cl != class {
				c.errorf(k.Pos, "%s: type mismatch in %s: %s is %s, the first column is %s", who, k, n, cols[i].Kind, class)
			}
			class = cl
			ii = append(ii, i)
		}
		idx = append(idx, ii)
		classes = append(classes, class)
	}
	return idx, classes
}

func nameList(cols []table.Col) []string {
	n := make([]string, len(cols))
	for i, c := range cols {
		n[i] = c.Name
	}
	return n
}

func colNames(cols []table.Col) string {
	n := make([]string, len(cols))
	for i, c := range cols {
		n[i] = c.Name
	}
	return strings.Join(n, ", ")
}

// aggCols checks aggregates over cols and returns their output columns.
func (c *compiler) aggCols(who string, as []rules.AggDecl, cols []table.Col, plainAsFirst bool) ([]agg, []table.Col) {
	var out []agg
	var oc []table.Col
	for _, a := range as {
		fn := a.Fn
		if fn == "" && plainAsFirst {
			fn = "first"
		}
		g := agg{name: a.Name, fn: fn, col: -1}
		var in contract.Kind
		if a.Col != "" {
			i := colIndex(cols, a.Col)
			if i < 0 {
				c.errorf(a.Pos, "%s: %s: unknown column %q%s (columns: %s)", who, a.Name, a.Col, engine.DidYouMean(a.Col, nameList(cols)), colNames(cols))
				continue
			}
			g.col, in = i, cols[i].Kind
		}
		k, err := aggKind(fn, in)
		if err != nil {
			c.errorf(a.Pos, "%s: %s: type mismatch: %v", who, a.Name, err)
			continue
		}
		g.kind = k
		out = append(out, g)
		doc := fn + "(" + a.Col + ")"
		if a.Fn == "" {
			doc = a.Col
		}
		oc = append(oc, table.Col{Name: a.Name, Kind: k, Doc: doc})
	}
	return out, oc
}

// aggKind is the output kind of fn over a column of kind in.
func aggKind(fn string, in contract.Kind) (contract.Kind, error) {
	switch fn {
	case "count", "count_distinct":
		if fn == "count_distinct" && (in == contract.Float || in == contract.Bool) {
			return 0, fmt.Errorf("count_distinct over a %s column", in)
		}
		return contract.Int, nil
	case "sum":
		if in != contract.Money && in != contract.Int {
			return 0, fmt.Errorf("sum needs a money or int column, got %s", in)
		}
		return in, nil
	case "min", "max":
		if in == contract.Bool || in == contract.Float {
			return 0, fmt.Errorf("%s needs a date, money, int or text column, got %s", fn, in)
		}
		if in == contract.Enum || in == contract.ID || in == contract.Month {
			return contract.Text, nil
		}
		return in, nil
	case "first", "last":
		if in == contract.Float {
			return 0, fmt.Errorf("%s over a float column", fn)
		}
		return in, nil
	}
	return 0, fmt.Errorf("unknown function %s", fn)
}

func (c *compiler) addCols(who string, pos rules.Pos, base, extra []table.Col) []table.Col {
	out := append([]table.Col(nil), base...)
	for _, e := range extra {
		if colIndex(out, e.Name) >= 0 {
			c.errorf(pos, "%s: output column %q is already a column of the input", who, e.Name)
			continue
		}
		out = append(out, e)
	}
	return out
}

func (c *compiler) compileLookup(v *view, in source, needs []string) ([]table.Col, []string) {
	d := v.decl.Lookup
	who := "view " + v.decl.Name + ": lookup"
	right, ok := c.resolve(d.From, d.FromPos, who+".from")
	if !ok {
		return nil, needs
	}
	op := &lookupOp{right: right, inner: d.Inner, expand: d.Expand}
	var lc, rc []string
	op.left, lc = c.keyCols(who+".on", d.On, in.cols)
	op.rightKeys, rc = c.keyCols(who+".to", d.To, right.cols)
	for i := range lc {
		if i < len(rc) && lc[i] != "" && rc[i] != "" && lc[i] != rc[i] {
			c.errorf(d.To[i].Pos, "%s: type mismatch: key %s is %s, %s of %s is %s", who, d.On[i], lc[i], d.To[i], d.From, rc[i])
		}
	}
	var extra []table.Col
	if d.Expand {
		for _, a := range d.Columns {
			if a.Fn != "" {
				c.errorf(a.Pos, "%s: %s: an expanded lookup takes columns, not aggregates (each match is its own row)", who, a.Name)
				continue
			}
			i := colIndex(right.cols, a.Col)
			if i < 0 {
				c.errorf(a.Pos, "%s: %s: unknown column %q of %s%s (columns: %s)", who, a.Name, a.Col, d.From, engine.DidYouMean(a.Col, nameList(right.cols)), colNames(right.cols))
				continue
			}
			op.take = append(op.take, i)
			extra = append(extra, table.Col{Name: a.Name, Kind: right.cols[i].Kind, Doc: d.From + "." + a.Col})
		}
	} else {
		op.aggs, extra = c.aggCols(who+".columns", d.Columns, right.cols, true)
	}
	v.lookup = op
	return c.addCols(who, d.Pos, in.cols, extra), union(needs, c.needs(right))
}

func (c *compiler) compileGroup(v *view, in source) []table.Col {
	d := v.decl.Group
	who := "view " + v.decl.Name + ": group"
	op := &groupOp{}
	op.keys, _ = c.keyCols(who+".by", d.By, in.cols)
	var cols []table.Col
	for i, k := range d.By {
		if len(op.keys[i]) > 0 {
			col := in.cols[op.keys[i][0]]
			col.Name = k.Names[0]
			cols = append(cols, col)
		}
	}
	var ac []table.Col
	op.aggs, ac = c.aggCols(who+".columns", d.Columns, in.cols, false)
	v.group = op
	return c.addCols(who, d.Pos, cols, ac)
}

func (c *compiler) compileWindow(v *view, in source) []table.Col {
	d := v.decl.Window
	who := "view " + v.decl.Name + ": window"
	op := &windowOp{days: d.Days, daysParam: d.DaysParam, per: d.Per, best: -1}
	op.keys, _ = c.keyCols(who+".by", d.By, in.cols)
	op.order = colIndex(in.cols, d.Order)
	if op.order < 0 || in.cols[op.order].Kind != contract.Date {
		c.errorf(d.Pos, "%s: order: %q is not a date column (columns: %s)", who, d.Order, colNames(in.cols))
	}
	if d.DaysParam != "" && !hasSetting(v.owner.settings, d.DaysParam) {
		c.errorf(d.Pos, "%s: days: params.%s is not a param of this file's views", who, d.DaysParam)
	}
	var ac []table.Col
	op.aggs, ac = c.aggCols(who+".columns", d.Columns, in.cols, false)
	if d.Best != "" && len(op.aggs) == len(d.Columns) { // (a bad column is reported already)
		for i, a := range op.aggs {
			if a.name == d.Best {
				op.best = i
			}
		}
		if op.best < 0 || (op.best >= 0 && op.aggs[op.best].kind != contract.Money && op.aggs[op.best].kind != contract.Int) {
			c.errorf(d.Pos, "%s: best: %q is not a count or sum among its columns", who, d.Best)
		}
	}
	ac = append([]table.Col{{Name: "window_start", Kind: contract.Date, Doc: "first row's date in the row's window"},
		{Name: "window_end", Kind: contract.Date, Doc: "last row's date in the row's window"},
		{Name: "window_rows", Kind: contract.Int, Doc: "rows in the row's window"}}, ac...)
	v.window = op
	return c.addCols(who, d.Pos, in.cols, ac)
}

func hasSetting(ss []engine.SettingSpec, name string) bool {
	for _, s := range ss {
		if s.Name == name {
			return true
		}
	}
	return false
}

func (c *compiler) compileSequence(v *view, in source) []table.Col {
	d := v.decl.Sequence
	who := "view " + v.decl.Name + ": sequence"
	op := &seqOp{steps: d.Steps}
	op.keys, _ = c.keyCols(who+".by", d.By, in.cols)
	op.order = colIndex(in.cols, d.Order)
	if op.order < 0 || in.cols[op.order].Kind != contract.Date {
		c.errorf(d.Pos, "%s: order: %q is not a date column (columns: %s)", who, d.Order, colNames(in.cols))
	}
	op.step = colIndex(in.cols, d.Step)
	if op.step < 0 || keyClass(in.cols[op.step].Kind) != "string" {
		c.errorf(d.Pos, "%s: step: %q is not a text or enum column (columns: %s)", who, d.Step, colNames(in.cols))
	} else if sc := in.cols[op.step]; sc.Kind == contract.Enum {
		if t, ok := contract.Lookup(in.name); ok {
			if col, ok := t.Column(sc.Name); ok {
				for _, s := range d.Steps {
					if !contains(col.Enum, s) {
						c.errorf(d.Pos, "%s: steps: %q is not a value of %s.%s (%s)", who, s, in.name, sc.Name, strings.Join(col.Enum, ", "))
					}
				}
			}
		}
	}
	var cols []table.Col
	for i, k := range d.By {
		if len(op.keys[i]) > 0 {
			col := in.cols[op.keys[i][0]]
			col.Name = k.Names[0]
			cols = append(cols, col)
		}
	}
	var extra []table.Col
	for _, s := range d.Steps {
		extra = append(extra, table.Col{Name: s + "_on", Kind: contract.Date, Doc: "first " + s + " (null when missing)"})
	}
	extra = append(extra,
		table.Col{Name: "missing_steps", Kind: contract.Text, Doc: "steps with no row, in procedure order, comma-separated (null when none)"},
		table.Col{Name: "missing_count", Kind: contract.Int, Doc: "number of missing steps"},
		table.Col{Name: "out_of_order", Kind: contract.Bool, Doc: "a step's first occurrence is dated before an earlier step's first occurrence"},
		table.Col{Name: "step_rows", Kind: contract.Int, Doc: "rows of the key with one of the steps"})
	v.seq = op
	return c.addCols(who, d.Pos, cols, extra)
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
