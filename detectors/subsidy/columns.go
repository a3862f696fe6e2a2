package subsidy

import (
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/table"
)

// Column writers for a view whose row count is known before it is written
// (payment_checks: one row per payments row), written in chunks of rows
// side by side. A column's buffers are Go slices sized once for every row;
// each chunk writes its rows in place (its own string bytes apart), and the
// column becomes an Arrow array over those slices: no copy but the string
// bytes of the chunks after the first. Against table.Builder (Arrow's
// builders) a value costs no type assertion, no capacity check of three
// buffers and no per-row pass over the columns left unset, and the chunks
// need no concatenation.
//
// Every chunk writes exactly one add or null per row of its own; chunks
// start at multiples of 8 rows, so that no two write one bitmap byte.

// column is one built column, or a chunk's writer of it.
type column interface {
	// chunkAt is a writer of the column's rows from lo on, sharing its
	// buffers; bytes is about the string bytes it will write.
	chunkAt(lo, bytes int) column
	// join is the column's array once the chunks (chunkAt's writers, in
	// row order) have written every row.
	join(chunks []column) arrow.Array
}

// newColumn makes a column of kind k for rows rows.
func newColumn(k contract.Kind, rows int) column {
	v := validity{bits: make([]byte, (rows+7)/8), rows: rows}
	switch table.ArrowType(k).ID() {
	case arrow.STRING:
		return &strCol{validity: v, offsets: make([]int32, rows+1)}
	case arrow.BOOL:
		return &boolCol{validity: v, vals: make([]byte, (rows+7)/8)}
	case arrow.DATE32:
		return &fixedCol[arrow.Date32]{validity: v, vals: make([]arrow.Date32, rows), t: arrow.FixedWidthTypes.Date32}
	default:
		return &fixedCol[int64]{validity: v, vals: make([]int64, rows), t: arrow.PrimitiveTypes.Int64}
	}
}

// validity is a column's validity bitmap and a writer's place in it.
type validity struct {
	bits  []byte // shared by the chunks
	rows  int    // the column's
	lo, n int    // the writer's first row and next row
	nulls int    // nulls the writer wrote
}

func (v *validity) at(lo int) validity { return validity{bits: v.bits, rows: v.rows, lo: lo, n: lo} }

func (v *validity) next(ok bool) {
	if ok {
		v.bits[v.n>>3] |= 1 << (v.n & 7)
	} else {
		v.nulls++
	}
	v.n++
}

// joinValidity is the bitmap for Arrow (none when nothing is null) and the
// null count of the chunks.
func joinValidity(chunks []*validity) (*memory.Buffer, int) {
	nulls := 0
	for _, c := range chunks {
		nulls += c.nulls
	}
	if nulls == 0 {
		return nil, 0
	}
	return memory.NewBufferBytes(chunks[0].bits), nulls
}

// strCol writes a string column.
type strCol struct {
	validity
	offsets []int32 // shared: offsets[i+1] ends row i within its chunk's data until join
	data    []byte  // the chunk's
}

func (c *strCol) chunkAt(lo, bytes int) column {
	return &strCol{validity: c.at(lo), offsets: c.offsets, data: make([]byte, 0, bytes)}
}

func (c *strCol) add(s string) {
	c.data = append(c.data, s...)
	c.offsets[c.n+1] = int32(len(c.data))
	c.next(true)
}

func (c *strCol) null() {
	c.offsets[c.n+1] = int32(len(c.data))
	c.next(false)
}

// addOrNull writes s when ok, else null.
func (c *strCol) addOrNull(s string, ok bool) {
	if ok {
		c.add(s)
	} else {
		c.null()
	}
}

// join appends the later chunks' bytes to the first chunk's (reserved
// for the whole column: usually no regrowth, and no copy of its own bytes)
// and moves their offsets up by the bytes before them.
func (c *strCol) join(chunks []column) arrow.Array {
	vs := make([]*validity, len(chunks))
	data := chunks[0].(*strCol).data
	for k, ch := range chunks {
		s := ch.(*strCol)
		vs[k] = &s.validity
		if k == 0 {
			continue
		}
		if base := int32(len(data)); base > 0 {
			for i := s.lo; i < s.n; i++ {
				c.offsets[i+1] += base
			}
		}
		data = append(data, s.data...)
	}
	bits, nulls := joinValidity(vs)
	return table.ArrayOf(arrow.BinaryTypes.String, c.rows, nulls, bits, memory.NewBufferBytes(bytesOf(c.offsets)), memory.NewBufferBytes(data))
}

// fixedCol writes an int64 or date column.
type fixedCol[T int64 | arrow.Date32] struct {
	validity
	vals []T // shared
	t    arrow.DataType
}

func (c *fixedCol[T]) chunkAt(lo, _ int) column {
	return &fixedCol[T]{validity: c.at(lo), vals: c.vals, t: c.t}
}

func (c *fixedCol[T]) add(v T) {
	c.vals[c.n] = v
	c.next(true)
}

func (c *fixedCol[T]) null() { c.next(false) }

func (c *fixedCol[T]) join(chunks []column) arrow.Array {
	vs := make([]*validity, len(chunks))
	for k, ch := range chunks {
		vs[k] = &ch.(*fixedCol[T]).validity
	}
	bits, nulls := joinValidity(vs)
	return table.ArrayOf(c.t, c.rows, nulls, bits, memory.NewBufferBytes(bytesOf(c.vals)))
}

// boolCol writes a boolean column.
type boolCol struct {
	validity
	vals []byte // bitmap, shared
}

func (c *boolCol) chunkAt(lo, _ int) column { return &boolCol{validity: c.at(lo), vals: c.vals} }

func (c *boolCol) add(v bool) {
	if v {
		c.vals[c.n>>3] |= 1 << (c.n & 7)
	}
	c.next(true)
}

func (c *boolCol) null() { c.next(false) }

func (c *boolCol) join(chunks []column) arrow.Array {
	vs := make([]*validity, len(chunks))
	for k, ch := range chunks {
		vs[k] = &ch.(*boolCol).validity
	}
	bits, nulls := joinValidity(vs)
	return table.ArrayOf(arrow.FixedWidthTypes.Boolean, c.rows, nulls, bits, memory.NewBufferBytes(c.vals))
}

// bytesOf is the memory of a slice of fixed-width values, for an Arrow
// buffer over it.
func bytesOf[T any](s []T) []byte {
	var zero T
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(zero)))
}
