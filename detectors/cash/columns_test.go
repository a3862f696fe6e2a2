package cash

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestStrColMatchesBuilder: the string column written in place by chunks
// (nulls first, in the middle, last, across a chunk boundary and inside a
// bitmap byte two chunks share) equals the Arrow builder's, whatever the cut.
func TestStrColMatchesBuilder(t *testing.T) {
	for _, cells := range [][]*string{
		{p("a"), p(""), p("出纳")},
		{nil, p("a"), nil, p("bc")},
		{p("a"), p("b"), p("c"), p("d"), p("e"), p("f"), p("g"), p("h"), nil, p("j")},
		{nil},
		{},
	} {
		sb := array.NewStringBuilder(memory.NewGoAllocator())
		for _, s := range cells {
			if s == nil {
				sb.AppendNull()
			} else {
				sb.Append(*s)
			}
		}
		want := sb.NewArray()
		for chunks := 1; chunks <= 3; chunks++ {
			bounds := make([]int, chunks+1)
			for k := range bounds {
				bounds[k] = len(cells) * k / chunks
			}
			c := newStrCol(chunks)
			for k := range chunks {
				bytes := 0
				for _, s := range cells[bounds[k]:bounds[k+1]] {
					if s != nil {
						bytes += len(*s)
					}
				}
				c.setBytes(k, bytes)
			}
			c.alloc(len(cells))
			for k := chunks - 1; k >= 0; k-- { // any order: chunks write their own rows
				w := c.writer(k, bounds[k])
				for _, s := range cells[bounds[k]:bounds[k+1]] {
					if s == nil {
						w.null()
					} else {
						w.add(*s)
					}
				}
			}
			if got := c.array(); !array.Equal(got, want) || got.NullN() != want.NullN() {
				t.Errorf("%v in %d chunks: got %v, want %v", cells, chunks, got, want)
			}
		}
	}
}

func p(s string) *string { return &s }
