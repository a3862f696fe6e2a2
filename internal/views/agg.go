package views

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/table"
)

// agg is one aggregate output column: fn over input column col (-1 for
// count()).
type agg struct {
	name string
	fn   string
	col  int
	kind contract.Kind
}

// accum holds one aggregate's state per slot (a group, a window or a
// sequence step). Values are kept in typed slices: ints for int, money
// (fen), date and bool; strings for the string kinds (Arrow's own strings,
// not copied; the builder copies them when the view is emitted).
type accum struct {
	a    agg
	op   aggOp // a.fn decoded once, so add does not compare strings per row
	src  arrow.Array
	i64  *array.Int64
	d32  *array.Date32
	str  *array.String
	bln  *array.Boolean
	ints []int64
	strs []string
	has  []bool
	// count_distinct: per-slot sets, keyed by slot and value.
	seenS map[slotStr]struct{}
	seenI map[[2]int64]struct{}
}

type aggOp uint8

const (
	opCountAll aggOp = iota // count()
	opCount                 // count(x): non-null values
	opCountDistinct
	opSum
	opMin
	opMax
	opFirst
	opLast
)

var aggOps = map[string]aggOp{"count": opCount, "count_distinct": opCountDistinct, "sum": opSum, "min": opMin, "max": opMax, "first": opFirst, "last": opLast}

type slotStr struct {
	slot int32
	s    string
}

func newAccum(a agg, t *table.Table, slots int) *accum {
	x := &accum{a: a, op: aggOps[a.fn], ints: make([]int64, slots), has: make([]bool, slots)}
	if a.fn == "count" && a.col < 0 {
		x.op = opCountAll
	}
	if a.col >= 0 {
		x.src = t.Rec.Column(a.col)
		switch c := x.src.(type) {
		case *array.Int64:
			x.i64 = c
		case *array.Date32:
			x.d32 = c
		case *array.String:
			x.str = c
		case *array.Boolean:
			x.bln = c
		}
	}
	if x.str != nil && a.fn != "count" && a.fn != "count_distinct" {
		x.strs = make([]string, slots)
	}
	switch {
	case a.fn == "count_distinct" && x.str != nil:
		x.seenS = map[slotStr]struct{}{}
	case a.fn == "count_distinct":
		x.seenI = map[[2]int64]struct{}{}
	}
	return x
}

func (x *accum) intAt(i int) int64 {
	switch {
	case x.i64 != nil:
		return x.i64.Value(i)
	case x.d32 != nil:
		return int64(x.d32.Value(i))
	case x.bln != nil && x.bln.Value(i):
		return 1
	}
	return 0
}

// add folds row i into slot s. Rows are added in row order, so first and
// last are the first and last non-null values in that order.
func (x *accum) add(s int32, i int) {
	switch x.op {
	case opCountAll:
		x.ints[s]++
		x.has[s] = true
		return
	case opCount, opCountDistinct:
		x.has[s] = true // a count is 0, never null, once the slot has rows
	}
	if x.src.IsNull(i) {
		return
	}
	switch x.op {
	case opCount:
		x.ints[s]++
	case opCountDistinct:
		if x.str != nil {
			k := slotStr{s, x.str.Value(i)}
			if _, ok := x.seenS[k]; !ok {
				x.seenS[k] = struct{}{}
				x.ints[s]++
			}
		} else {
			k := [2]int64{int64(s), x.intAt(i)}
			if _, ok := x.seenI[k]; !ok {
				x.seenI[k] = struct{}{}
				x.ints[s]++
			}
		}
	case opSum:
		x.ints[s] += x.intAt(i)
	default: // min, max, first, last
		if x.str != nil {
			v := x.str.Value(i)
			if !x.has[s] || x.op == opLast || x.op == opMin && v < x.strs[s] || x.op == opMax && v > x.strs[s] {
				x.strs[s] = v
			}
		} else {
			v := x.intAt(i)
			if !x.has[s] || x.op == opLast || x.op == opMin && v < x.ints[s] || x.op == opMax && v > x.ints[s] {
				x.ints[s] = v
			}
		}
	}
	x.has[s] = true
}

// emit builds the output column: row r takes slot at[r]; a negative slot
// or an empty one is null (0 for counts: nothing matched).
func (x *accum) emit(mem memory.Allocator, at []int32) arrow.Array {
	isCount := x.op == opCountAll || x.op == opCount || x.op == opCountDistinct
	switch x.a.kind {
	case contract.Date:
		b := array.NewDate32Builder(mem)
		defer b.Release()
		b.Reserve(len(at))
		for _, s := range at {
			if s < 0 || !x.has[s] {
				b.AppendNull()
			} else {
				b.Append(arrow.Date32(x.ints[s]))
			}
		}
		return b.NewArray()
	case contract.Bool:
		b := array.NewBooleanBuilder(mem)
		defer b.Release()
		for _, s := range at {
			if s < 0 || !x.has[s] {
				b.AppendNull()
			} else {
				b.Append(x.ints[s] != 0)
			}
		}
		return b.NewArray()
	case contract.Int, contract.Money:
		b := array.NewInt64Builder(mem)
		defer b.Release()
		b.Reserve(len(at))
		for _, s := range at {
			switch {
			case s >= 0 && x.has[s]:
				b.Append(x.ints[s])
			case isCount:
				b.Append(0)
			default:
				b.AppendNull()
			}
		}
		return b.NewArray()
	default:
		b := array.NewStringBuilder(mem)
		defer b.Release()
		b.Reserve(len(at))
		for _, s := range at {
			if s < 0 || !x.has[s] {
				b.AppendNull()
			} else {
				b.Append(x.strs[s])
			}
		}
		return b.NewArray()
	}
}

// take builds a new column from arr's rows idx (-1 = null), one typed loop
// per column type.
func take(mem memory.Allocator, arr arrow.Array, idx []int32) arrow.Array {
	switch a := arr.(type) {
	case *array.String:
		return takeInto(a, array.NewStringBuilder(mem), idx)
	case *array.Int64:
		return takeInto(a, array.NewInt64Builder(mem), idx)
	case *array.Date32:
		return takeInto(a, array.NewDate32Builder(mem), idx)
	case *array.Float64:
		return takeInto(a, array.NewFloat64Builder(mem), idx)
	case *array.Boolean:
		return takeInto(a, array.NewBooleanBuilder(mem), idx)
	}
	panic("views: take: unsupported column type " + arr.DataType().String())
}

// takeInto is take's loop for one column type: the type parameters keep
// Value and Append direct calls (no boxing per row).
func takeInto[T any, A interface {
	IsNull(int) bool
	Value(int) T
}, B interface {
	Reserve(int)
	AppendNull()
	Append(T)
	NewArray() arrow.Array
	Release()
}](a A, b B, idx []int32) arrow.Array {
	defer b.Release()
	b.Reserve(len(idx))
	for _, i := range idx {
		if i < 0 || a.IsNull(int(i)) {
			b.AppendNull()
		} else {
			b.Append(a.Value(int(i)))
		}
	}
	return b.NewArray()
}

// quarterOf numbers calendar quarters.
func quarterOf(d civil.Date) int64 { return int64(d.Month()) / 3 }

func monthOf(d civil.Date) int64 { return int64(d.Month()) }
