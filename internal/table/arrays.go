package table

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// ArrayOf wraps buffers a column was written into as an Arrow array of
// type t with rows rows, nulls of them null (validity nil: none). The
// loader and the detectors that write their columns in place share it, so
// every column reaches Arrow the same way.
func ArrayOf(t arrow.DataType, rows, nulls int, validity *memory.Buffer, bufs ...*memory.Buffer) arrow.Array {
	data := array.NewData(t, rows, append([]*memory.Buffer{validity}, bufs...), nil, nulls, 0)
	defer data.Release()
	return array.MakeFromData(data)
}

// FromArrays makes a table of rows rows from one array per column; it takes
// over the arrays (the caller must not release them).
func FromArrays(name string, cols []Col, arrs []arrow.Array, rows int) *Table {
	rec := array.NewRecordBatch(Schema(cols), arrs, int64(rows))
	for _, a := range arrs {
		a.Release()
	}
	return New(name, cols, rec)
}
