package cash

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/table"
)

// Column-wise view building. The views with a row per cash entry are built
// one column at a time into Go slices sized exactly once, then wrapped as
// Arrow arrays without copying. Chunks of villages (chunks.go) write their
// rows in place, side by side: a first pass per chunk counts each string
// column's bytes, then every chunk knows where its rows and bytes start and
// writes them there. Nothing is appended, regrown or concatenated, and the
// row builder's per-cell type switch and null bookkeeping are avoided.
//
// Null cells are kept per chunk as row lists (they are rare) and turned
// into one validity bitmap at the end: chunks share no bitmap byte.

// nullRows are the null cells of a column, per chunk.
type nullRows [][]int32

// bitmap is the column's validity bitmap (nil when nothing is null) and its
// null count.
func (nr nullRows) bitmap(rows int) (*memory.Buffer, int) {
	nulls := 0
	for _, l := range nr {
		nulls += len(l)
	}
	if nulls == 0 {
		return nil, 0
	}
	bits := make([]byte, bitutil.BytesForBits(int64(rows)))
	bitutil.SetBitsTo(bits, 0, int64(rows), true)
	for _, l := range nr {
		for _, row := range l {
			bitutil.ClearBit(bits, int(row))
		}
	}
	return memory.NewBufferBytes(bits), nulls
}

// strCol is a string column written in place by chunks: each chunk tells
// its bytes (setBytes), then alloc sizes the column and each chunk writes
// its rows through a writer.
type strCol struct {
	offs  []int32
	data  []byte
	start []int // per chunk: its bytes, then (after alloc) its first byte
	nulls nullRows
}

func newStrCol(chunks int) *strCol {
	return &strCol{start: make([]int, chunks), nulls: make(nullRows, chunks)}
}

func (c *strCol) setBytes(chunk, bytes int) { c.start[chunk] = bytes }

// alloc sizes the column for rows rows once every chunk has set its bytes.
func (c *strCol) alloc(rows int) {
	total := 0
	for k, b := range c.start {
		c.start[k], total = total, total+b
	}
	c.offs, c.data = make([]int32, rows+1), make([]byte, total)
}

// writer writes chunk's rows from row on.
func (c *strCol) writer(chunk, row int) strWriter {
	return strWriter{c: c, chunk: chunk, row: row, pos: int32(c.start[chunk])}
}

func (c *strCol) array() arrow.Array {
	rows := len(c.offs) - 1
	if int(c.offs[rows]) != len(c.data) {
		// a chunk's size and write passes disagree: copies would have been
		// cut short silently
		panic(fmt.Sprintf("cash: string column of %d bytes ends at byte %d", len(c.data), c.offs[rows]))
	}
	bits, nulls := c.nulls.bitmap(rows)
	return table.ArrayOf(arrow.BinaryTypes.String, rows, nulls, bits,
		memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(c.offs)), memory.NewBufferBytes(c.data))
}

// strWriter writes one chunk's rows of a strCol.
type strWriter struct {
	c     *strCol
	chunk int
	row   int   // next row
	pos   int32 // next byte
}

func (w *strWriter) add(s string) {
	w.pos += int32(copy(w.c.data[w.pos:], s))
	w.row++
	w.c.offs[w.row] = w.pos
}

func (w *strWriter) null() {
	w.c.nulls[w.chunk] = append(w.c.nulls[w.chunk], int32(w.row))
	w.row++
	w.c.offs[w.row] = w.pos
}

// addOpt adds s, or a null when s is empty.
func (w *strWriter) addOpt(s string) {
	if s == "" {
		w.null()
		return
	}
	w.add(s)
}

// strBytes are the bytes and offsets of a ledger string column, read
// directly: gathering a cell is then one copy, without the accessors'
// per-call offset arithmetic.
type strBytes struct {
	a     *array.String
	offs  []int32 // absolute, per row
	data  []byte
	nulls bool
}

func bytesOf(a *array.String) strBytes {
	s := strBytes{a: a, offs: a.ValueOffsets(), nulls: a.NullN() > 0}
	if b := a.Data().Buffers()[2]; b != nil {
		s.data = b.Bytes()
	}
	return s
}

// size is the bytes of the cells at rows.
func (s strBytes) size(rows []int32) int {
	n := 0
	for _, row := range rows {
		n += int(s.offs[row+1] - s.offs[row])
	}
	return n
}

// gather writes the cells at rows (nulls stay null; with emptyNull an
// empty string becomes null too).
func (w *strWriter) gather(s strBytes, rows []int32, emptyNull bool) {
	offs, data := w.c.offs, w.c.data
	for _, row := range rows {
		lo, hi := s.offs[row], s.offs[row+1]
		if (emptyNull && lo == hi) || (s.nulls && s.a.IsNull(int(row))) {
			w.null()
			continue
		}
		w.pos += int32(copy(data[w.pos:], s.data[lo:hi]))
		w.row++
		offs[w.row] = w.pos
	}
}

// int64Array wraps v (nulls: its null cells) as an int64 array.
func int64Array(v []int64, nulls nullRows) arrow.Array {
	bits, n := nulls.bitmap(len(v))
	return table.ArrayOf(arrow.PrimitiveTypes.Int64, len(v), n, bits, memory.NewBufferBytes(arrow.Int64Traits.CastToBytes(v)))
}

// date32Array wraps v (nulls: its null cells) as a date32 array.
func date32Array(v []arrow.Date32, nulls nullRows) arrow.Array {
	bits, n := nulls.bitmap(len(v))
	return table.ArrayOf(arrow.FixedWidthTypes.Date32, len(v), n, bits, memory.NewBufferBytes(arrow.Date32Traits.CastToBytes(v)))
}

// boolArray packs v (no nulls) as a boolean array.
func boolArray(v []bool) arrow.Array {
	bits := make([]byte, bitutil.BytesForBits(int64(len(v))))
	for k, b := range v {
		if b {
			bitutil.SetBit(bits, k)
		}
	}
	return table.ArrayOf(arrow.FixedWidthTypes.Boolean, len(v), 0, nil, memory.NewBufferBytes(bits))
}
