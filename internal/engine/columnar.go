package engine

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/neijiang/xiaowei/internal/civil"
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
	cols     []arrow.Array
	lo, n    int
	ps       *paramSet
	asOf     int
	from, to int
	bools    [][]bool
	ints     [][]int
	floats   [][]float64
	strs     [][]string
	tmpF     [][]float64 // promotion buffers, two per slot
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

// colBlock bounds the rows evaluated at once, so that a rule's vectors stay
// in cache.
const colBlock = 4096

// runColumnar is evaluator.run for a rule with a translated `when`: the
// same rows are counted, the same findings built in the same order. It is
// one loop over blocks, each a run of rows sharing a param set (paramRun):
// the selection, the overflow fallback to the VM and the counters stay in
// its locals, in the hot path.
func (ev *evaluator) runColumnar(ctx context.Context, c *Compiled, t *table.Table, u *unit, e *env) {
	x := ev.colCtxFor(c, t, u.rule)
	g := globals{asOf: ev.opt.AsOf, from: ev.opt.From, to: ev.opt.To}
	villageAt := villageReader(t)
	dates := ev.windowDates(c, t)
	var envPS *paramSet
	streak := -1 << 30 // `when` cannot fail here: only finding construction can
	for i := u.lo; i < u.hi; {
		if ctx.Err() != nil {
			return
		}
		if _, off := ev.disabled.Load(u.rule); off {
			return
		}
		end, ps := paramRun(c, villageAt, i, min(u.hi, i+colBlock))
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

// villageReader gives row i's village_id ("" when null or when t has no
// such column), the key param sets are chosen by.
func villageReader(t *table.Table) func(i int) string {
	if t.Index("village_id") < 0 {
		return func(int) string { return "" }
	}
	villages := t.Str("village_id")
	return func(i int) string {
		if villages.IsNull(i) {
			return ""
		}
		return villages.Value(i)
	}
}

// ColumnWise reports whether the rule's `when` is evaluated column-wise
// (false: through the expr VM, row by row).
func (c *Compiled) ColumnWise() bool { return c.col != nil }

// colCtxFor is the worker's column context for rule (made on its first
// chunk), bound to the view's columns and the run's dates.
func (ev *evaluator) colCtxFor(c *Compiled, t *table.Table, rule int) *vctx {
	x := ev.colCtx[rule]
	if x == nil {
		x = c.col.newCtx(t)
		x.asOf, x.from, x.to = int(ev.opt.AsOf), int(ev.opt.From), int(ev.opt.To)
		ev.colCtx[rule] = x
	}
	return x
}

// paramRun is the run of rows from i sharing row i's param set, ending at
// most at end: the block a selection is computed for with one set of
// params. A rule with one param set (no village overrides) takes the
// whole block.
func paramRun(c *Compiled, villageAt func(int) string, i, end int) (int, *paramSet) {
	if len(c.scopes.sets) == 1 {
		return end, c.scopes.sets[0]
	}
	v := villageAt(i)
	ps := c.scopes.set(v)
	last := v
	for j := i + 1; j < end; j++ {
		w := villageAt(j)
		if w != last {
			if c.scopes.set(w) != ps {
				return j, ps
			}
			last = w
		}
	}
	return end, ps
}
