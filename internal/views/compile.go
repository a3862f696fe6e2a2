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
