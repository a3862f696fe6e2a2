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

// coalesceTake takes an a|b key column: the first non-null of its columns.
func coalesceTake(mem memory.Allocator, t *table.Table, cols []int, rows []int32) arrow.Array {
	if len(cols) == 1 {
		return take(mem, t.Rec.Column(cols[0]), rows)
	}
	idx := make([]int32, len(rows))
	src := make([]int, len(rows))
	for k, r := range rows {
		idx[k], src[k] = r, -1
		for j, c := range cols {
			if t.Rec.Column(c).IsValid(int(r)) {
				src[k] = j
				break
			}
		}
	}
	// Strings only (keys of one class; a|b of dates or ints is rare):
	// take each row from the column that holds it.
	sb := array.NewStringBuilder(mem)
	defer sb.Release()
	for k, r := range rows {
		if src[k] < 0 {
			sb.AppendNull()
			continue
		}
		switch a := t.Rec.Column(cols[src[k]]).(type) {
		case *array.String:
			sb.Append(a.Value(int(r)))
		default:
			sb.Append(a.ValueStr(int(r)))
		}
	}
	return sb.NewArray()
}
