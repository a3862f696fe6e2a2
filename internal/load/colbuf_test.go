package load

import (
	"fmt"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/contract"
)

// TestColBufMatchesBuilders stages rows of every column type (nulls
// included), appends some of them in two chunks, drops some, and compares
// the wrapped arrays with the same rows appended by Arrow's builders.
func TestColBufMatchesBuilders(t *testing.T) {
	const n = 37
	kinds := []struct {
		kind contract.Kind
		dt   arrow.DataType
	}{
		{contract.Text, arrow.BinaryTypes.String},
		{contract.Money, arrow.PrimitiveTypes.Int64},
		{contract.Date, arrow.FixedWidthTypes.Date32},
		{contract.Bool, arrow.FixedWidthTypes.Boolean},
	}
	// Which staged rows are null: many, none, or a first null late
	// (the bitmap is made when the first null arrives).
	nullsAt := map[string]func(i int) bool{
		"many":  func(i int) bool { return i%5 == 2 },
		"none":  func(int) bool { return false },
		"late":  func(i int) bool { return i == 19 || i == 33 },
		"first": func(i int) bool { return i == 0 },
	}
	for _, k := range kinds {
		for _, drop := range [][]int{nil, {0}, {3, 4, 5, 20}, {n - 1}} {
			for name, isNull := range nullsAt {
				t.Run(fmt.Sprintf("%s/drop=%v/nulls=%s", k.kind, drop, name), func(t *testing.T) {
					l := &loader{cols: []*column{{name: "c", kind: k.kind}}}
					l.grow(n)
					c := l.cols[0]
					for i := range n {
						c.valid[i] = !isNull(i)
						switch {
						case c.str != nil:
							if c.valid[i] {
								c.str[i] = fmt.Sprintf("v%d村", i*i)
							}
						case c.i64 != nil:
							c.i64[i] = int64(i * 1000)
						case c.d32 != nil:
							c.d32[i] = arrow.Date32(20000 + i)
						case c.bl != nil:
							c.bl[i] = i%3 == 0
						}
					}
					// Rows 7 and 30 were rejected; the rest arrive in two chunks.
					var first, second, kept []int
					for i := range n {
						switch {
						case i == 7 || i == 30:
						case i < 16:
							first = append(first, i)
						default:
							second = append(second, i)
						}
					}
					var b colBuf
					for _, chunk := range [][]int{first, second} {
						if err := b.appendColumn(c, chunk, 0.5); err != nil {
							t.Fatal(err)
						}
					}
					all := append(append([]int(nil), first...), second...)
					for j, i := range all {
						if !slices.Contains(drop, j) {
							kept = append(kept, i)
						}
					}
					if drop != nil {
						b.drop(drop)
					}
					got := b.array(k.dt)
					defer got.Release()
					want := builtArray(t, c, k.dt, kept)
					defer want.Release()
					if !array.Equal(got, want) || got.NullN() != want.NullN() {
						t.Errorf("got  %v (%d nulls)\nwant %v (%d nulls)", got, got.NullN(), want, want.NullN())
					}
				})
			}
		}
	}
}

// builtArray is the staged rows of c as Arrow's builders make them.
func builtArray(t *testing.T, c *column, dt arrow.DataType, rows []int) arrow.Array {
	t.Helper()
	bld := array.NewBuilder(memory.DefaultAllocator, dt)
	defer bld.Release()
	for _, i := range rows {
		if !c.valid[i] {
			bld.AppendNull()
			continue
		}
		switch b := bld.(type) {
		case *array.StringBuilder:
			b.Append(c.str[i])
		case *array.Int64Builder:
			b.Append(c.i64[i])
		case *array.Date32Builder:
			b.Append(c.d32[i])
		case *array.BooleanBuilder:
			b.Append(c.bl[i])
		}
	}
	return bld.NewArray()
}
