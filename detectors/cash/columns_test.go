package cash

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestStrColMatchesBuilder: the column-wise string column (lazy validity
// bitmap, nulls first, in the middle and last) equals the Arrow builder's.
func TestStrColMatchesBuilder(t *testing.T) {
	for _, cells := range [][]*string{
		{p("a"), p(""), p("出纳")},
		{nil, p("a"), nil, p("bc")},
		{p("a"), p("b"), p("c"), p("d"), p("e"), p("f"), p("g"), p("h"), nil, p("j")},
		{nil},
		{},
	} {
		c := newStrCol(len(cells), 0)
		sb := array.NewStringBuilder(memory.NewGoAllocator())
		for _, s := range cells {
			if s == nil {
				c.null()
				sb.AppendNull()
			} else {
				c.add(*s)
				sb.Append(*s)
			}
		}
		got, want := c.array(), sb.NewArray()
		if !array.Equal(got, want) || got.NullN() != want.NullN() {
			t.Errorf("%v: got %v, want %v", cells, got, want)
		}
	}
}

func p(s string) *string { return &s }
