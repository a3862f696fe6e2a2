package views

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/table"
)

// groupOp is one row per key.
type groupOp struct {
	keys [][]int
	aggs []agg
}

func (b *builder) group(v *view, t *table.Table) []arrow.Array {
	op := v.group
	gid, first := groups(t, op.keys)
	var out []arrow.Array
	for _, ii := range op.keys {
		out = append(out, coalesceTake(b.mem, t, ii, first))
	}
	at := make([]int32, len(first))
	for g := range at {
		at[g] = int32(g)
	}
	for _, a := range op.aggs {
		x := newAccum(a, t, len(first))
		for i, g := range gid {
			if g >= 0 {
				x.add(g, i)
			}
		}
		out = append(out, x.emit(b.mem, at))
	}
	return out
}

// coalesceTake takes an a|b key column: the first non-null of its columns
// (which share a key class, so an Arrow type).
func coalesceTake(mem memory.Allocator, t *table.Table, cols []int, rows []int32) arrow.Array {
	if len(cols) == 1 {
		return take(mem, t.Rec.Column(cols[0]), rows)
	}
	arrs := make([]arrow.Array, len(cols))
	for j, c := range cols {
		arrs[j] = t.Rec.Column(c)
	}
	switch arrs[0].(type) {
	case *array.String:
		return coalesceInto(typed[*array.String](arrs), array.NewStringBuilder(mem), rows)
	case *array.Int64:
		return coalesceInto(typed[*array.Int64](arrs), array.NewInt64Builder(mem), rows)
	case *array.Date32:
		return coalesceInto(typed[*array.Date32](arrs), array.NewDate32Builder(mem), rows)
	case *array.Boolean:
		return coalesceInto(typed[*array.Boolean](arrs), array.NewBooleanBuilder(mem), rows)
	}
	panic("views: coalesceTake: unsupported key column type " + arrs[0].DataType().String())
}

func typed[A arrow.Array](arrs []arrow.Array) []A {
	out := make([]A, len(arrs))
	for i, a := range arrs {
		out[i] = a.(A)
	}
	return out
}

// coalesceInto is coalesceTake's loop for one column type, as takeInto is
// take's.
func coalesceInto[T any, A interface {
	IsNull(int) bool
	Value(int) T
}, B interface {
	Reserve(int)
	AppendNull()
	Append(T)
	NewArray() arrow.Array
	Release()
}](as []A, b B, rows []int32) arrow.Array {
	defer b.Release()
	b.Reserve(len(rows))
next:
	for _, r := range rows {
		for _, a := range as {
			if !a.IsNull(int(r)) {
				b.Append(a.Value(int(r)))
				continue next
			}
		}
		b.AppendNull()
	}
	return b.NewArray()
}
