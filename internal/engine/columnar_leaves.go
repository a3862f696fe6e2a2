package engine

import (
	"github.com/apache/arrow-go/v18/arrow/array"
)

// The leaves of a translated tree: literals, globals (as_of, from, to),
// params resolved per village, columns read once per block, and has_<col>.

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
