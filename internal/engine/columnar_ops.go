package engine

import (
	"cmp"
	"strings"
)

// The operators of a translated tree, each one tight loop over a block:
// not, negation, and/or, comparisons, arithmetic, string operators and in.
// Their semantics follow expr's runtime (see columnar.go).

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
