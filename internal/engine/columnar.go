package engine

import (
	"cmp"
	"context"
	"reflect"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/expr-lang/expr/ast"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/table"
)

// Column-wise evaluation of `when`.
//
// Most rules' conditions are comparisons, boolean logic, arithmetic and `in`
// lists over columns and params. For those, the checked expr tree (the same
// one the VM runs, after expr's own optimizer) is translated into a tree of
// vector operations that run over a block of rows at a time: a column is read
// once into a typed slice (null = zero value, as in the struct env), and each
// operator is one tight loop. The result is a []bool selection; the usual
// per-row finding construction then runs only on the rows that fired
// (escalate and amount still go through the VM, on those rows only).
//
// Any node outside the supported set makes the whole rule fall back to the
// VM, so a rule is never evaluated half one way and half the other. The
// semantics follow expr's runtime exactly: mixed int/float operands are
// promoted to float64, `/` is always float64 division, `==` between values
// of different kinds is false. Operators that can fail at run time (`%`,
// `**`, function calls other than a constant day("…")) are not translated,
// so a translated rule can never error on a row, just as the VM does not.

type vkind uint8

const (
	vBool vkind = iota + 1
	vInt
	vFloat
	vStr
)

// vval is a node's result over a block: a vector of n values, or a scalar
// (one value, at index 0) when it does not depend on the row.
type vval struct {
	k      vkind
	scalar bool
	b      []bool
	i      []int
	f      []float64
	s      []string
}

// vctx is one worker's state while evaluating a block: the bound columns,
// the block's rows, its param set, and reusable buffers (one per node slot).
type vctx struct {
	cols       []arrow.Array
	lo, n      int
	ps         *paramSet
	asOf       int
	from, to   int
	bools      [][]bool
	ints       [][]int
	floats     [][]float64
	strs       [][]string
	tmpF       [][]float64 // promotion buffers, two per slot
	stringSets map[int]map[string]struct{}
	// overflow is set when checked integer arithmetic overflowed in the
	// block just evaluated.
	overflow bool
}

// slotBuf returns slot's reusable buffer sized to the block, growing it
// only when a block is larger than any before.
func slotBuf[T any](bufs [][]T, slot, n int) []T {
	if cap(bufs[slot]) < n {
		bufs[slot] = make([]T, n, max(n, 4096))
	}
	return bufs[slot][:n]
}

func (x *vctx) boolBuf(slot int) []bool     { return slotBuf(x.bools, slot, x.n) }
func (x *vctx) intBuf(slot int) []int       { return slotBuf(x.ints, slot, x.n) }
func (x *vctx) floatBuf(slot int) []float64 { return slotBuf(x.floats, slot, x.n) }
func (x *vctx) strBuf(slot int) []string    { return slotBuf(x.strs, slot, x.n) }

func (x *vctx) tmpFloat(slot, which int) []float64 {
	k := 2*slot + which
	if cap(x.tmpF[k]) < x.n {
		x.tmpF[k] = make([]float64, x.n, max(x.n, 4096))
	}
	return x.tmpF[k][:x.n]
}

// vnode is one operation of a translated expression.
type vnode interface {
	kind() vkind
	eval(x *vctx) vval
}

// colExpr is a rule's translated `when`, shared by all workers.
type colExpr struct {
	root  vnode
	slots int
	cols  []int // view columns read
}

func (c *colExpr) newCtx(t *table.Table) *vctx {
	x := &vctx{cols: make([]arrow.Array, len(t.Cols)), bools: make([][]bool, c.slots), ints: make([][]int, c.slots),
		floats: make([][]float64, c.slots), strs: make([][]string, c.slots), tmpF: make([][]float64, 2*c.slots)}
	for _, i := range c.cols {
		x.cols[i] = t.Rec.Column(i)
	}
	return x
}

// selection evaluates the expression over rows [lo, lo+n) with one param
// set; the result is valid until the next call.
func (c *colExpr) selection(x *vctx, lo, n int, ps *paramSet) []bool {
	x.lo, x.n, x.ps = lo, n, ps
	v := c.root.eval(x)
	if v.scalar {
		out := x.boolBuf(0)
		for i := range out {
			out[i] = v.b[0]
		}
		return out
	}
	return v.b
}

// compileColumnar translates a checked `when` tree; nil means "use the VM".
func compileColumnar(root ast.Node, cols []table.Col, defaults map[string]any) *colExpr {
	b := &colBuilder{cols: cols, defaults: defaults, used: map[int]bool{}}
	n, ok := b.node(root)
	if !ok || n.kind() != vBool {
		return nil
	}
	ce := &colExpr{root: n, slots: b.slots + 1}
	for i := range cols {
		if b.used[i] {
			ce.cols = append(ce.cols, i)
		}
	}
	return ce
}

type colBuilder struct {
	cols     []table.Col
	defaults map[string]any
	used     map[int]bool
	slots    int
}

func (b *colBuilder) slot() int { b.slots++; return b.slots }

func kindOf(t reflect.Type) (vkind, bool) {
	if t == nil {
		return 0, false
	}
	switch t.Kind() {
	case reflect.Bool:
		return vBool, true
	case reflect.Int:
		return vInt, true
	case reflect.Float64:
		return vFloat, true
	case reflect.String:
		return vStr, true
	}
	return 0, false
}

func colKind(k contract.Kind) vkind {
	switch k {
	case contract.Money, contract.Float:
		return vFloat
	case contract.Date, contract.Int:
		return vInt
	case contract.Bool:
		return vBool
	default:
		return vStr
	}
}

func (b *colBuilder) node(n ast.Node) (vnode, bool) {
	switch n := n.(type) {
	case *ast.BoolNode:
		return constBool(n.Value), true
	case *ast.IntegerNode:
		if k, ok := kindOf(n.Type()); ok && k == vFloat {
			return constFloat(float64(n.Value)), true
		}
		return constInt(n.Value), true
	case *ast.FloatNode:
		return constFloat(n.Value), true
	case *ast.StringNode:
		return constStr(n.Value), true
	case *ast.ConstantNode:
		switch v := n.Value.(type) {
		case bool:
			return constBool(v), true
		case int:
			return constInt(v), true
		case float64:
			return constFloat(v), true
		case string:
			return constStr(v), true
		}
		return nil, false
	case *ast.IdentifierNode:
		return b.ident(n)
	case *ast.MemberNode:
		id, ok := n.Node.(*ast.IdentifierNode)
		prop, ok2 := n.Property.(*ast.StringNode)
		if !ok || !ok2 || id.Value != "params" || n.Optional || n.Method {
			return nil, false
		}
		k, ok := kindOf(n.Type())
		if !ok {
			return nil, false
		}
		if _, ok := b.defaults[prop.Value]; !ok {
			return nil, false
		}
		return &paramNode{name: prop.Value, k: k, slot: b.slot()}, true
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok {
			return nil, false
		}
		// int + - * are overflow-checked calls (funcs.go): the same
		// arithmetic column-wise, with the overflow flagged.
		if op, isArith := map[string]byte{fnAdd: '+', fnSub: '-', fnMul: '*'}[id.Value]; isArith && len(n.Arguments) == 2 {
			l, ok := b.node(n.Arguments[0])
			if !ok || l.kind() != vInt {
				return nil, false
			}
			r, ok := b.node(n.Arguments[1])
			if !ok || r.kind() != vInt {
				return nil, false
			}
			return &arithNode{op: op, k: vInt, l: l, r: r, slot: b.slot(), checked: true}, true
		}
		// day("YYYY-MM-DD") with a literal is a constant date.
		if id.Value != "day" || len(n.Arguments) != 1 {
			return nil, false
		}
		s, ok := n.Arguments[0].(*ast.StringNode)
		if !ok {
			return nil, false
		}
		d, err := civil.Parse(s.Value)
		if err != nil {
			return nil, false
		}
		return constInt(int(d)), true
	case *ast.UnaryNode:
		x, ok := b.node(n.Node)
		if !ok {
			return nil, false
		}
		switch n.Operator {
		case "!", "not":
			if x.kind() != vBool {
				return nil, false
			}
			return &notNode{x: x, slot: b.slot()}, true
		case "-":
			if x.kind() != vInt && x.kind() != vFloat {
				return nil, false
			}
			return &negNode{x: x, slot: b.slot()}, true
		case "+":
			if x.kind() != vInt && x.kind() != vFloat {
				return nil, false
			}
			return x, true
		}
		return nil, false
	case *ast.BinaryNode:
		return b.binary(n)
	}
	return nil, false
}

func (b *colBuilder) ident(n *ast.IdentifierNode) (vnode, bool) {
	name := n.Value
	if i := columnIndex(b.cols, name); i >= 0 {
		b.used[i] = true
		return &colNode{idx: i, k: colKind(b.cols[i].Kind), money: b.cols[i].Kind == contract.Money, slot: b.slot()}, true
	}
	if base, ok := strings.CutPrefix(name, "has_"); ok {
		if i := columnIndex(b.cols, base); i >= 0 {
			b.used[i] = true
			return &hasNode{idx: i, slot: b.slot()}, true
		}
	}
	switch name {
	case "as_of", "from", "to":
		return globalNode(name), true
	}
	return nil, false
}

func (b *colBuilder) binary(n *ast.BinaryNode) (vnode, bool) {
	l, ok := b.node(n.Left)
	if !ok {
		return nil, false
	}
	if n.Operator == "in" {
		return b.in(l, n.Right)
	}
	r, ok := b.node(n.Right)
	if !ok {
		return nil, false
	}
	lk, rk := l.kind(), r.kind()
	num := func(k vkind) bool { return k == vInt || k == vFloat }
	switch n.Operator {
	case "&&", "and", "||", "or":
		if lk != vBool || rk != vBool {
			return nil, false
		}
		return &logicNode{and: n.Operator == "&&" || n.Operator == "and", l: l, r: r, slot: b.slot()}, true
	case "==", "!=":
		neg := n.Operator == "!="
		switch {
		case num(lk) && num(rk):
			return &cmpNode{op: "==", neg: neg, l: l, r: r, slot: b.slot()}, true
		case lk == rk:
			return &cmpNode{op: "==", neg: neg, l: l, r: r, slot: b.slot()}, true
		default: // different kinds are never equal in expr
			return constBool(neg), true
		}
	case "<", "<=", ">", ">=":
		if (num(lk) && num(rk)) || (lk == vStr && rk == vStr) {
			return &cmpNode{op: n.Operator, l: l, r: r, slot: b.slot()}, true
		}
		return nil, false
	case "+", "-", "*", "/":
		if !num(lk) || !num(rk) {
			return nil, false
		}
		k := vInt
		if lk == vFloat || rk == vFloat || n.Operator == "/" {
			k = vFloat
		}
		if want, ok := kindOf(n.Type()); ok && want != k {
			return nil, false
		}
		return &arithNode{op: n.Operator[0], k: k, l: l, r: r, slot: b.slot()}, true
	case "contains", "startsWith", "endsWith":
		if lk != vStr || rk != vStr {
			return nil, false
		}
		return &strOpNode{op: n.Operator, l: l, r: r, slot: b.slot()}, true
	}
	return nil, false
}

// in supports a list of literals (as written, or as expr's optimizer turned
// it into a constant set) and a []string param.
func (b *colBuilder) in(l vnode, right ast.Node) (vnode, bool) {
	lk := l.kind()
	switch r := right.(type) {
	case *ast.ConstantNode:
		switch m := r.Value.(type) {
		case map[string]struct{}:
			if lk != vStr {
				return nil, false
			}
			return &inNode{l: l, strs: m, slot: b.slot()}, true
		case map[int]struct{}:
			if lk != vInt {
				return nil, false
			}
			return &inNode{l: l, ints: m, slot: b.slot()}, true
		case []any: // a folded list of literals
			var opts []vnode
			for _, e := range m {
				switch v := e.(type) {
				case int:
					opts = append(opts, constInt(v))
				case float64:
					opts = append(opts, constFloat(v))
				case string:
					opts = append(opts, constStr(v))
				case bool:
					opts = append(opts, constBool(v))
				default:
					return nil, false
				}
			}
			return b.anyOf(l, opts), true
		}
	case *ast.ArrayNode:
		var opts []vnode
		for _, e := range r.Nodes {
			c, ok := b.node(e)
			if !ok {
				return nil, false
			}
			opts = append(opts, c)
		}
		return b.anyOf(l, opts), true
	case *ast.MemberNode:
		id, ok := r.Node.(*ast.IdentifierNode)
		prop, ok2 := r.Property.(*ast.StringNode)
		if !ok || !ok2 || id.Value != "params" || lk != vStr {
			return nil, false
		}
		if _, ok := b.defaults[prop.Value].([]string); !ok {
			return nil, false
		}
		return &inNode{l: l, param: prop.Value, slot: b.slot()}, true
	}
	return nil, false
}

// anyOf is x in [a, b, …] as x == a || x == b || … (expr's runtime.In
// compares with Equal: numbers across int and float, other kinds never).
func (b *colBuilder) anyOf(l vnode, opts []vnode) vnode {
	lk := l.kind()
	var acc vnode = constBool(false)
	for _, o := range opts {
		var eq vnode
		num := func(k vkind) bool { return k == vInt || k == vFloat }
		if lk == o.kind() || (num(lk) && num(o.kind())) {
			eq = &cmpNode{op: "==", l: l, r: o, slot: b.slot()}
		} else {
			eq = constBool(false)
		}
		acc = &logicNode{and: false, l: acc, r: eq, slot: b.slot()}
	}
	return acc
}

// constNode is a literal.
type constNode vval

func constBool(v bool) constNode     { return constNode{k: vBool, scalar: true, b: []bool{v}} }
func constInt(v int) constNode       { return constNode{k: vInt, scalar: true, i: []int{v}} }
func constFloat(v float64) constNode { return constNode{k: vFloat, scalar: true, f: []float64{v}} }
func constStr(v string) constNode    { return constNode{k: vStr, scalar: true, s: []string{v}} }

func (c constNode) kind() vkind        { return c.k }
func (c constNode) eval(*vctx) vval    { return vval(c) }
func (g globalNode) kind() vkind       { return vInt }
func (g globalNode) eval(x *vctx) vval { return scalarInt(x, g) }

type globalNode string

func scalarInt(x *vctx, g globalNode) vval {
	v := x.asOf
	switch g {
	case "from":
		v = x.from
	case "to":
		v = x.to
	}
	return vval{k: vInt, scalar: true, i: []int{v}}
}

type paramNode struct {
	name string
	k    vkind
	slot int
}

func (p *paramNode) kind() vkind { return p.k }
func (p *paramNode) eval(x *vctx) vval {
	v := vval{k: p.k, scalar: true}
	raw := x.ps.values[p.name]
	switch p.k {
	case vBool:
		b, _ := raw.(bool)
		v.b = append(x.bools[p.slot][:0], b)
		x.bools[p.slot] = v.b
	case vInt:
		i, _ := raw.(int64)
		v.i = append(x.ints[p.slot][:0], int(i))
		x.ints[p.slot] = v.i
	case vFloat:
		f, _ := raw.(float64)
		v.f = append(x.floats[p.slot][:0], f)
		x.floats[p.slot] = v.f
	case vStr:
		s, _ := raw.(string)
		v.s = append(x.strs[p.slot][:0], s)
		x.strs[p.slot] = v.s
	}
	return v
}

type colNode struct {
	idx   int
	k     vkind
	money bool
	slot  int
}

func (c *colNode) kind() vkind { return c.k }
func (c *colNode) eval(x *vctx) vval {
	a := x.cols[c.idx]
	lo, n := x.lo, x.n
	nulls := a.NullN() > 0
	v := vval{k: c.k}
	switch arr := a.(type) {
	case *array.String:
		out := x.strBuf(c.slot)
		for i := range out {
			if nulls && arr.IsNull(lo+i) {
				out[i] = ""
			} else {
				out[i] = arr.Value(lo + i)
			}
		}
		v.s = out
	case *array.Int64:
		vals := arr.Int64Values()[lo : lo+n]
		if c.money {
			out := x.floatBuf(c.slot)
			for i, f := range vals {
				if nulls && arr.IsNull(lo+i) {
					f = 0
				}
				out[i] = float64(f) / 100
			}
			v.f = out
		} else {
			out := x.intBuf(c.slot)
			for i, f := range vals {
				if nulls && arr.IsNull(lo+i) {
					f = 0
				}
				out[i] = int(f)
			}
			v.i = out
		}
	case *array.Float64:
		vals := arr.Float64Values()[lo : lo+n]
		out := x.floatBuf(c.slot)
		for i, f := range vals {
			if nulls && arr.IsNull(lo+i) {
				f = 0
			}
			out[i] = f
		}
		v.f = out
	case *array.Date32:
		vals := arr.Date32Values()[lo : lo+n]
		out := x.intBuf(c.slot)
		for i, d := range vals {
			if nulls && arr.IsNull(lo+i) {
				d = 0
			}
			out[i] = int(d)
		}
		v.i = out
	case *array.Boolean:
		out := x.boolBuf(c.slot)
		for i := range out {
			out[i] = arr.IsValid(lo+i) && arr.Value(lo+i)
		}
		v.b = out
	default: // a view column of another physical type reads as the zero value
		switch c.k {
		case vStr:
			v.s = clear0(x.strBuf(c.slot))
		case vInt:
			v.i = clear0(x.intBuf(c.slot))
		case vFloat:
			v.f = clear0(x.floatBuf(c.slot))
		case vBool:
			v.b = clear0(x.boolBuf(c.slot))
		}
	}
	return v
}

func clear0[T any](s []T) []T { clear(s); return s }

type hasNode struct{ idx, slot int }

func (h *hasNode) kind() vkind { return vBool }
func (h *hasNode) eval(x *vctx) vval {
	a := x.cols[h.idx]
	out := x.boolBuf(h.slot)
	if a.NullN() == 0 {
		for i := range out {
			out[i] = true
		}
	} else {
		for i := range out {
			out[i] = a.IsValid(x.lo + i)
		}
	}
	return vval{k: vBool, b: out}
}

type notNode struct {
	x    vnode
	slot int
}

func (n *notNode) kind() vkind { return vBool }
func (n *notNode) eval(x *vctx) vval {
	v := n.x.eval(x)
	if v.scalar {
		return vval{k: vBool, scalar: true, b: []bool{!v.b[0]}}
	}
	out := x.boolBuf(n.slot)
	for i, b := range v.b {
		out[i] = !b
	}
	return vval{k: vBool, b: out}
}

type negNode struct {
	x    vnode
	slot int
}

func (n *negNode) kind() vkind { return n.x.kind() }
func (n *negNode) eval(x *vctx) vval {
	v := n.x.eval(x)
	if v.k == vInt {
		if v.scalar {
			return vval{k: vInt, scalar: true, i: []int{-v.i[0]}}
		}
		out := x.intBuf(n.slot)
		for i, a := range v.i {
			out[i] = -a
		}
		return vval{k: vInt, i: out}
	}
	if v.scalar {
		return vval{k: vFloat, scalar: true, f: []float64{-v.f[0]}}
	}
	out := x.floatBuf(n.slot)
	for i, a := range v.f {
		out[i] = -a
	}
	return vval{k: vFloat, f: out}
}

type logicNode struct {
	and  bool
	l, r vnode
	slot int
}

func (n *logicNode) kind() vkind { return vBool }
func (n *logicNode) eval(x *vctx) vval {
	l := n.l.eval(x)
	if l.scalar {
		// false && … / true || … decide without the right side.
		if l.b[0] != n.and {
			return l
		}
		return n.r.eval(x)
	}
	// Copy the left side into this node's own buffer before the right side
	// runs (a column read twice in one rule reuses its child's buffer).
	out := x.boolBuf(n.slot)
	copy(out, l.b)
	r := n.r.eval(x)
	if r.scalar {
		if r.b[0] == n.and { // x && true, x || false
			return vval{k: vBool, b: out}
		}
		return vval{k: vBool, scalar: true, b: []bool{r.b[0]}}
	}
	if n.and {
		for i, b := range r.b {
			out[i] = out[i] && b
		}
	} else {
		for i, b := range r.b {
			out[i] = out[i] || b
		}
	}
	return vval{k: vBool, b: out}
}

// floats returns v as float64 values (promoting ints into a scratch buffer).
func floats(x *vctx, v vval, slot, which int) []float64 {
	if v.k == vFloat {
		return v.f
	}
	if v.scalar {
		return []float64{float64(v.i[0])}
	}
	out := x.tmpFloat(slot, which)
	for i, a := range v.i {
		out[i] = float64(a)
	}
	return out
}

type cmpNode struct {
	op   string // ==, <, <=, >, >=
	neg  bool   // != is a negated ==
	l, r vnode
	slot int
}

func (n *cmpNode) kind() vkind { return vBool }
func (n *cmpNode) eval(x *vctx) vval {
	l := n.l.eval(x)
	r := n.r.eval(x)
	scalar := l.scalar && r.scalar
	var out []bool
	if scalar {
		out = make([]bool, 1)
	} else {
		out = x.boolBuf(n.slot)
	}
	switch {
	case l.k == vInt && r.k == vInt:
		compare(n.op, l.i, r.i, l.scalar, r.scalar, out)
	case l.k == vStr:
		compare(n.op, l.s, r.s, l.scalar, r.scalar, out)
	case l.k == vBool:
		eqBool(l.b, r.b, l.scalar, r.scalar, out)
	default:
		compare(n.op, floats(x, l, n.slot, 0), floats(x, r, n.slot, 1), l.scalar, r.scalar, out)
	}
	if n.neg {
		for i := range out {
			out[i] = !out[i]
		}
	}
	return vval{k: vBool, scalar: scalar, b: out}
}

func stride(scalar bool) int {
	if scalar {
		return 0
	}
	return 1
}

func compare[T cmp.Ordered](op string, a, b []T, as, bs bool, out []bool) {
	sa, sb := stride(as), stride(bs)
	switch {
	case bs && !as: // the common case: column op constant
		c := b[0]
		switch op {
		case "==":
			for i := range out {
				out[i] = a[i] == c
			}
		case "<":
			for i := range out {
				out[i] = a[i] < c
			}
		case "<=":
			for i := range out {
				out[i] = a[i] <= c
			}
		case ">":
			for i := range out {
				out[i] = a[i] > c
			}
		case ">=":
			for i := range out {
				out[i] = a[i] >= c
			}
		}
		return
	}
	switch op {
	case "==":
		for i := range out {
			out[i] = a[i*sa] == b[i*sb]
		}
	case "<":
		for i := range out {
			out[i] = a[i*sa] < b[i*sb]
		}
	case "<=":
		for i := range out {
			out[i] = a[i*sa] <= b[i*sb]
		}
	case ">":
		for i := range out {
			out[i] = a[i*sa] > b[i*sb]
		}
	case ">=":
		for i := range out {
			out[i] = a[i*sa] >= b[i*sb]
		}
	}
}

func eqBool(a, b []bool, as, bs bool, out []bool) {
	sa, sb := stride(as), stride(bs)
	for i := range out {
		out[i] = a[i*sa] == b[i*sb]
	}
}

type arithNode struct {
	op      byte
	k       vkind
	l, r    vnode
	slot    int
	checked bool // int overflow sets vctx.overflow
}

func (n *arithNode) kind() vkind { return n.k }
func (n *arithNode) eval(x *vctx) vval {
	l := n.l.eval(x)
	r := n.r.eval(x)
	scalar := l.scalar && r.scalar
	if n.k == vInt {
		var out []int
		if scalar {
			out = make([]int, 1)
		} else {
			out = x.intBuf(n.slot)
		}
		if n.checked {
			if arithChecked(n.op, l.i, r.i, l.scalar, r.scalar, out) {
				x.overflow = true
			}
		} else {
			arith(n.op, l.i, r.i, l.scalar, r.scalar, out)
		}
		return vval{k: vInt, scalar: scalar, i: out}
	}
	var out []float64
	if scalar {
		out = make([]float64, 1)
	} else {
		out = x.floatBuf(n.slot)
	}
	arith(n.op, floats(x, l, n.slot, 0), floats(x, r, n.slot, 1), l.scalar, r.scalar, out)
	return vval{k: vFloat, scalar: scalar, f: out}
}

func arith[T int | float64](op byte, a, b []T, as, bs bool, out []T) {
	sa, sb := stride(as), stride(bs)
	switch op {
	case '+':
		for i := range out {
			out[i] = a[i*sa] + b[i*sb]
		}
	case '-':
		for i := range out {
			out[i] = a[i*sa] - b[i*sb]
		}
	case '*':
		for i := range out {
			out[i] = a[i*sa] * b[i*sb]
		}
	case '/': // only reached with float64 (expr divides as float)
		for i := range out {
			out[i] = a[i*sa] / b[i*sb]
		}
	}
}

// arithChecked is arith for ints with overflow detection; it reports
// whether any element overflowed (the block is then re-evaluated row by
// row through the VM, which names the row and the operands).
func arithChecked(op byte, a, b []int, as, bs bool, out []int) bool {
	sa, sb := stride(as), stride(bs)
	// Sign-bit tests, one branch-free OR per element: a sum overflows
	// when both operands' signs differ from the result's; a difference
	// when the operands' signs differ and the result's differs from a's.
	var over int
	switch op {
	case '+':
		for i := range out {
			x, y := a[i*sa], b[i*sb]
			c := x + y
			over |= (x ^ c) & (y ^ c)
			out[i] = c
		}
	case '-':
		for i := range out {
			x, y := a[i*sa], b[i*sb]
			c := x - y
			over |= (x ^ y) & (x ^ c)
			out[i] = c
		}
	default:
		o := false
		for i := range out {
			x, y := a[i*sa], b[i*sb]
			// two 32-bit factors cannot overflow: the division check only
			// for the rare large ones
			if x == int(int32(x)) && y == int(int32(y)) {
				out[i] = x * y
				continue
			}
			c, oi := checkedOp('*', x, y)
			out[i] = c
			o = o || oi
		}
		return o
	}
	return over < 0
}

type strOpNode struct {
	op   string
	l, r vnode
	slot int
}

func (n *strOpNode) kind() vkind { return vBool }
func (n *strOpNode) eval(x *vctx) vval {
	l, r := n.l.eval(x), n.r.eval(x)
	scalar := l.scalar && r.scalar
	var out []bool
	if scalar {
		out = make([]bool, 1)
	} else {
		out = x.boolBuf(n.slot)
	}
	f := strings.Contains
	switch n.op {
	case "startsWith":
		f = strings.HasPrefix
	case "endsWith":
		f = strings.HasSuffix
	}
	sa, sb := stride(l.scalar), stride(r.scalar)
	for i := range out {
		out[i] = f(l.s[i*sa], r.s[i*sb])
	}
	return vval{k: vBool, scalar: scalar, b: out}
}

type inNode struct {
	l     vnode
	strs  map[string]struct{}
	ints  map[int]struct{}
	param string // a []string param
	slot  int
}

func (n *inNode) kind() vkind { return vBool }
func (n *inNode) eval(x *vctx) vval {
	l := n.l.eval(x)
	var out []bool
	if l.scalar {
		out = make([]bool, 1)
	} else {
		out = x.boolBuf(n.slot)
	}
	switch {
	case n.ints != nil:
		for i := range out {
			_, out[i] = n.ints[l.i[i]]
		}
	case n.strs != nil:
		for i := range out {
			_, out[i] = n.strs[l.s[i]]
		}
	default:
		list, _ := x.ps.values[n.param].([]string)
		if len(list) <= 8 {
			for i := range out {
				out[i] = false
				for _, s := range list {
					if l.s[i] == s {
						out[i] = true
						break
					}
				}
			}
		} else {
			set := make(map[string]struct{}, len(list))
			for _, s := range list {
				set[s] = struct{}{}
			}
			for i := range out {
				_, out[i] = set[l.s[i]]
			}
		}
	}
	return vval{k: vBool, scalar: l.scalar, b: out}
}

// colBlock bounds the rows evaluated at once, so that a rule's vectors stay
// in cache.
const colBlock = 4096

// runColumnar is evaluator.run for a rule with a translated `when`: the
// same rows are counted, the same findings built in the same order.
func (ev *evaluator) runColumnar(ctx context.Context, c *Compiled, t *table.Table, u *unit, e *env) {
	x := ev.colCtx[u.rule]
	if x == nil {
		x = c.col.newCtx(t)
		x.asOf, x.from, x.to = int(ev.opt.AsOf), int(ev.opt.From), int(ev.opt.To)
		ev.colCtx[u.rule] = x
	}
	g := globals{asOf: ev.opt.AsOf, from: ev.opt.From, to: ev.opt.To}
	var villages *array.String
	if t.Index("village_id") >= 0 {
		villages = t.Str("village_id")
	}
	villageAt := func(i int) string {
		if villages == nil || villages.IsNull(i) {
			return ""
		}
		return villages.Value(i)
	}
	var dates *array.Date32
	if c.View.DateCol != "" && (ev.opt.From != 0 || ev.opt.To != 0) && t.Index(c.View.DateCol) >= 0 {
		dates = t.Date(c.View.DateCol)
	}
	single := len(c.scopes.sets) == 1
	var envPS *paramSet
	streak := -1 << 30 // `when` cannot fail here: only finding construction can
	for i := u.lo; i < u.hi; {
		if ctx.Err() != nil {
			return
		}
		if _, off := ev.disabled.Load(u.rule); off {
			return
		}
		// A run of rows sharing a param set, at most one block long.
		end := min(u.hi, i+colBlock)
		var ps *paramSet
		if single {
			ps = c.scopes.sets[0]
		} else {
			v := villageAt(i)
			ps = c.scopes.set(v)
			last := v
			for j := i + 1; j < end; j++ {
				w := villageAt(j)
				if w != last {
					if c.scopes.set(w) != ps {
						end = j
						break
					}
					last = w
				}
			}
		}
		if !ps.enabled {
			i = end
			continue
		}
		x.overflow = false
		sel := c.col.selection(x, i, end-i, ps)
		// Integer overflow somewhere in the block: evaluate its rows
		// through the VM, which reports each overflowing row as an error
		// (and short-circuits as the VM does).
		viaVM := x.overflow
		for k := i; k < end; k++ {
			if dates != nil {
				d := civil.Date(dates.Value(k))
				if (ev.opt.From != 0 && d < ev.opt.From) || (ev.opt.To != 0 && d > ev.opt.To) {
					continue
				}
			}
			u.stats.Rows++
			if viaVM {
				if envPS != ps {
					e.setParams(ps.env)
					envPS = ps
				}
				e.load(k)
				out, err := ev.vm.Run(c.when, e.ptr)
				if err != nil {
					ev.fail(u, c, t, k, err, &streak)
					continue
				}
				if fired, _ := out.(bool); !fired {
					continue
				}
			} else if !sel[k-i] {
				continue
			}
			if envPS != ps {
				e.setParams(ps.env)
				envPS = ps
			}
			if !ev.room(u) {
				continue
			}
			e.load(k)
			f, err := ev.finding(c, t, k, villageAt(k), ps, g, e)
			if err != nil {
				ev.fail(u, c, t, k, err, &streak)
				continue
			}
			u.stats.Fired++
			u.findings = append(u.findings, f)
		}
		i = end
	}
}

// ColumnWise reports whether the rule's `when` is evaluated column-wise
// (false: through the expr VM, row by row).
func (c *Compiled) ColumnWise() bool { return c.col != nil }
