package engine

import (
	"fmt"
	"reflect"

	"github.com/expr-lang/expr/vm"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/table"
)

// Predicate is a boolean expression over a view's columns, compiled once:
// the filter of a view declared in a rule file (internal/views). It reads
// the same names a rule's `when` reads (columns, has_<column>, params.<name>,
// as_of) and runs the same way: column-wise when the expression has a
// column-wise form, else through the expr VM with a reused env.
type Predicate struct {
	layout *envLayout
	prog   *vm.Program
	col    *colExpr
	used   map[string]bool
	names  []string
	ptype  reflect.Type
}

// CompilePredicate compiles src against cols with the given params
// (name -> default value). what names the expression in errors
// ("view x: filter"); every error is at its file:line:col.
func CompilePredicate(src rules.Expr, cols []table.Col, params []rules.Param, what string) (*Predicate, rules.Errors) {
	p := &Predicate{used: map[string]bool{}}
	defaults := map[string]any{}
	for _, pr := range params {
		p.names = append(p.names, pr.Name)
		defaults[pr.Name] = pr.Value
	}
	p.ptype = paramsStruct(p.names, defaults)
	layout, err := newLayout(cols, p.ptype)
	if err != nil {
		return nil, rules.Errors{{Pos: src.Pos, Msg: fmt.Sprintf("%s: %v", what, err)}}
	}
	p.layout = layout
	envProto := reflect.New(layout.typ).Elem().Interface()
	prog, err := compileExpr(src.Src, envProto, true, p.used)
	if err != nil {
		return nil, rules.Errors{exprErrorAt(src, what, err)}
	}
	p.prog = prog
	p.col = compileColumnar(prog.Node(), cols, defaults)
	return p, nil
}

// ColumnWise reports whether the predicate runs column-wise.
func (p *Predicate) ColumnWise() bool { return p.col != nil }

// Select evaluates the predicate on every row of t (whose columns are the
// ones it was compiled for). paramsOf gives a village's param values (by
// name); rows are taken in runs of one village so params change only
// between runs. The result has one entry per row.
func (p *Predicate) Select(t *table.Table, asOf civil.Date, paramsOf func(village string) map[string]any) ([]bool, error) {
	n := t.Len()
	out := make([]bool, n)
	villageAt := villageReader(t)
	sets := map[string]*paramSet{}
	setOf := func(v string) *paramSet {
		ps := sets[v]
		if ps == nil {
			vals := paramsOf(v)
			ps = &paramSet{values: vals, env: fillParams(p.ptype, p.names, vals), enabled: true}
			sets[v] = ps
		}
		return ps
	}
	var x *vctx
	var e *env
	var machine vm.VM
	if p.col != nil {
		x = p.col.newCtx(t)
		x.asOf = int(asOf)
	} else {
		e = p.layout.newEnv(t, p.used)
	}
	for i := 0; i < n; {
		v := villageAt(i)
		end := min(n, i+colBlock)
		for j := i + 1; j < end; j++ {
			if villageAt(j) != v {
				end = j
				break
			}
		}
		ps := setOf(v)
		if x != nil {
			copy(out[i:end], p.col.selection(x, i, end-i, ps))
			i = end
			continue
		}
		e.setGlobals(ps.env, int(asOf), 0, 0)
		for k := i; k < end; k++ {
			e.load(k)
			r, err := machine.Run(p.prog, e.ptr)
			if err != nil {
				return nil, fmt.Errorf("row %d: %w", k+1, err)
			}
			out[k], _ = r.(bool)
		}
		i = end
	}
	return out, nil
}
