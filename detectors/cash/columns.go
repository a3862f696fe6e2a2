package cash

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/table"
)

// Column-wise view building. A view whose rows are known up front (one per
// cash entry, in replay order) is built one column at a time into Go slices
// sized exactly, then wrapped as Arrow arrays without copying. This avoids
// the row builder's per-cell type switch, its buffer regrowth (each regrow
// copies and re-zeroes the buffer) and its per-row null bookkeeping, which
// were most of the cost of the 12-column cash_handlers view.

// strCol is a string column being filled row by row, with exact capacity.
type strCol struct {
	offs  []int32
	data  []byte
	valid []byte // validity bitmap, made at the first null (most columns have none)
	nulls int
	rows  int // capacity in rows
}

func newStrCol(rows, bytes int) *strCol {
	return &strCol{offs: make([]int32, 1, rows+1), data: make([]byte, 0, bytes), rows: rows}
}

func (c *strCol) add(s string) {
	if c.valid != nil {
		bitutil.SetBit(c.valid, len(c.offs)-1)
	}
	c.data = append(c.data, s...)
	c.offs = append(c.offs, int32(len(c.data)))
}

func (c *strCol) null() {
	if c.valid == nil {
		// every cell so far is valid
		c.valid = make([]byte, bitutil.BytesForBits(int64(max(c.rows, len(c.offs)))))
		bitutil.SetBitsTo(c.valid, 0, int64(len(c.offs)-1), true)
	}
	c.nulls++
	c.offs = append(c.offs, int32(len(c.data)))
}

// addOpt adds s, or a null when s is empty (as out.strOpt does).
func (c *strCol) addOpt(s string) {
	if s == "" {
		c.null()
		return
	}
	c.add(s)
}

func (c *strCol) array() arrow.Array {
	n := len(c.offs) - 1
	var bm *memory.Buffer
	if c.nulls > 0 {
		bm = memory.NewBufferBytes(c.valid)
	}
	d := array.NewData(arrow.BinaryTypes.String, n,
		[]*memory.Buffer{bm, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(c.offs)), memory.NewBufferBytes(c.data)}, nil, c.nulls, 0)
	defer d.Release()
	return array.NewStringData(d)
}

// gatherStr copies the cells rows of a into a new column (nulls stay null;
// with emptyNull an empty string becomes null too, as out.strOpt does).
func gatherStr(a *array.String, rows []int32, emptyNull bool) arrow.Array {
	bytes := 0
	for _, row := range rows {
		bytes += a.ValueLen(int(row))
	}
	c := newStrCol(len(rows), bytes)
	for _, row := range rows {
		i := int(row)
		switch {
		case a.IsNull(i):
			c.null()
		case emptyNull:
			c.addOpt(a.Value(i))
		default:
			c.add(a.Value(i))
		}
	}
	return c.array()
}

// int64Array wraps v (no nulls) as an int64 array.
func int64Array(v []int64) arrow.Array {
	d := array.NewData(arrow.PrimitiveTypes.Int64, len(v), []*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int64Traits.CastToBytes(v))}, nil, 0, 0)
	defer d.Release()
	return array.NewInt64Data(d)
}

// date32Array wraps v (no nulls) as a date32 array.
func date32Array(v []arrow.Date32) arrow.Array {
	d := array.NewData(arrow.FixedWidthTypes.Date32, len(v), []*memory.Buffer{nil, memory.NewBufferBytes(arrow.Date32Traits.CastToBytes(v))}, nil, 0, 0)
	defer d.Release()
	return array.NewDate32Data(d)
}

// boolArray wraps a bitmap of n values (no nulls) as a boolean array.
func boolArray(bits []byte, n int) arrow.Array {
	d := array.NewData(arrow.FixedWidthTypes.Boolean, n, []*memory.Buffer{nil, memory.NewBufferBytes(bits)}, nil, 0, 0)
	defer d.Release()
	return array.NewBooleanData(d)
}

// newView wraps the columns as a view table (it takes over the arrays).
func newView(name string, cols []table.Col, arrs []arrow.Array, n int) *table.Table {
	rec := array.NewRecordBatch(table.Schema(cols), arrs, int64(n))
	for _, a := range arrs {
		a.Release()
	}
	return table.New(name, cols, rec)
}

// nullable gives a (no-null) fixed-width array the validity bitmap valid
// with nulls null cells; it takes over a.
func nullable(a arrow.Array, valid []byte, nulls int) arrow.Array {
	if nulls == 0 {
		return a
	}
	defer a.Release()
	d := a.Data()
	bufs := []*memory.Buffer{memory.NewBufferBytes(valid), d.Buffers()[1]}
	nd := array.NewData(d.DataType(), d.Len(), bufs, nil, nulls, 0)
	defer nd.Release()
	return array.MakeFromData(nd)
}
