package load

import (
	"fmt"
	"math"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/neijiang/xiaowei/internal/table"
)

// colBuf is one column's accepted rows in the layout of an Arrow array,
// grown by append and wrapped as the array at the end without a copy.
// Arrow's builders cost more than the values: every growth zeroes the new
// capacity after Go already has, the reallocations copy, and doubling left
// the tables holding a quarter more buffer than data. Growth here is sized
// by the loader's projection of the final row count and bytes.
type colBuf struct {
	n int
	// valid is the validity bitmap (bit i = row i), made when the first
	// null arrives: most columns have none, and then cost no bit per row.
	valid []byte
	nulls int

	data []byte  // string bytes
	offs []int32 // string offsets, n+1 once the first row is in
	i64  []int64
	d32  []arrow.Date32
	bits []byte // bool values bitmap
}

// grown returns s with room for add more elements. When frac (the share of
// the input read so far, 0 = unknown) is known, it is the final size
// projected from it, with a small margin; otherwise an eighth more than
// needed, so an underestimate costs a few extra copies, not quadratic time.
func grown[T any](s []T, add int, frac float64) []T {
	need := len(s) + add
	if need <= cap(s) {
		return s
	}
	c := need + need/8
	if frac > 0 && frac < 1 {
		c = max(c, int(float64(need)/frac*1.02)+1024)
	}
	ns := make([]T, len(s), c)
	copy(ns, s)
	return ns
}

// appendValid records the validity of row b.n (the caller then counts
// the row).
func (b *colBuf) appendValid(ok bool) {
	if b.valid == nil {
		if ok {
			return
		}
		// The first null: rows 0..n-1 were all valid.
		b.valid = make([]byte, b.n/8, b.n/4+64)
		for i := range b.valid {
			b.valid[i] = 0xFF
		}
		for i := b.n &^ 7; i < b.n; i++ {
			if i%8 == 0 {
				b.valid = append(b.valid, 0)
			}
			b.valid[i/8] |= 1 << (i % 8)
		}
	}
	if b.n%8 == 0 {
		b.valid = append(b.valid, 0)
	}
	if ok {
		b.valid[b.n/8] |= 1 << (b.n % 8)
	} else {
		b.nulls++
	}
}

// appendValids records the validity of the staged rows kept of c and
// counts them. A chunk with no null in a column with none so far (the
// common case) costs one pass over the flags and no bit per row.
func (b *colBuf) appendValids(c *column, kept []int) {
	if b.valid == nil && !slices.ContainsFunc(kept, func(i int) bool { return !c.valid[i] }) {
		b.n += len(kept)
		return
	}
	for _, i := range kept {
		b.appendValid(c.valid[i])
		b.n++
	}
}

// appendColumn appends the staged rows kept (chunk indices) of c. The
// values go through local slices, which the compiler keeps in registers
// (through b it reloads them for every row).
func (b *colBuf) appendColumn(c *column, kept []int, frac float64) error {
	k := len(kept)
	if b.valid != nil {
		b.valid = grown(b.valid, k/8+1, frac)
	}
	switch {
	case c.str != nil:
		if b.offs == nil {
			b.offs = append(make([]int32, 0, k+1), 0)
		}
		size := 0
		for _, i := range kept {
			size += len(c.str[i])
		}
		if len(b.data)+size > math.MaxInt32 {
			return fmt.Errorf("column %s: more than %d bytes of text", c.name, math.MaxInt32)
		}
		data, offs := grown(b.data, size, frac), grown(b.offs, k, frac)
		for _, i := range kept {
			data = append(data, c.str[i]...)
			offs = append(offs, int32(len(data)))
		}
		b.data, b.offs = data, offs
	case c.i64 != nil:
		v := grown(b.i64, k, frac)
		for _, i := range kept {
			v = append(v, c.i64[i])
		}
		b.i64 = v
	case c.d32 != nil:
		v := grown(b.d32, k, frac)
		for _, i := range kept {
			v = append(v, c.d32[i])
		}
		b.d32 = v
	case c.bl != nil:
		b.bits = grown(b.bits, k/8+1, frac)
		for j, i := range kept {
			n := b.n + j
			if n%8 == 0 {
				b.bits = append(b.bits, 0)
			}
			if c.bl[i] {
				b.bits[n/8] |= 1 << (n % 8)
			}
		}
	}
	b.appendValids(c, kept)
	return nil
}

// drop removes rows (ascending) from the column, moving the rest up.
// Only called when a table has duplicate keys.
func (b *colBuf) drop(rows []int) {
	out := 0
	next := 0
	data := 0
	nulls := 0
	for i := 0; i < b.n; i++ {
		if next < len(rows) && rows[next] == i {
			next++
			continue
		}
		if b.valid != nil {
			valid := b.valid[i/8]&(1<<(i%8)) != 0
			setBit(b.valid, out, valid)
			if !valid {
				nulls++
			}
		}
		switch {
		case b.offs != nil:
			s := b.data[b.offs[i]:b.offs[i+1]]
			copy(b.data[data:], s) // never ahead of s: out <= i
			b.offs[out] = int32(data)
			data += len(s)
		case b.i64 != nil:
			b.i64[out] = b.i64[i]
		case b.d32 != nil:
			b.d32[out] = b.d32[i]
		case b.bits != nil:
			setBit(b.bits, out, b.bits[i/8]&(1<<(i%8)) != 0)
		}
		out++
	}
	b.n, b.nulls = out, nulls
	if b.valid != nil {
		b.valid = b.valid[:(out+7)/8]
	}
	switch {
	case b.offs != nil:
		b.offs[out] = int32(data)
		b.offs = b.offs[:out+1]
		b.data = b.data[:data]
	case b.i64 != nil:
		b.i64 = b.i64[:out]
	case b.d32 != nil:
		b.d32 = b.d32[:out]
	case b.bits != nil:
		b.bits = b.bits[:(out+7)/8]
	}
}

func setBit(bm []byte, i int, v bool) {
	if v {
		bm[i/8] |= 1 << (i % 8)
	} else {
		bm[i/8] &^= 1 << (i % 8)
	}
}

// array wraps the column as an Arrow array of type dt, sharing its memory
// (Go's: the buffers have no allocator, and Release leaves them to the GC).
func (b *colBuf) array(dt arrow.DataType) arrow.Array {
	var valid *memory.Buffer
	if b.nulls > 0 {
		valid = memory.NewBufferBytes(b.valid)
	}
	var bufs []*memory.Buffer
	switch dt.ID() {
	case arrow.STRING:
		if b.offs == nil {
			b.offs = []int32{0}
		}
		bufs = []*memory.Buffer{valid, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(b.offs)), memory.NewBufferBytes(b.data)}
	case arrow.INT64:
		bufs = []*memory.Buffer{valid, memory.NewBufferBytes(arrow.Int64Traits.CastToBytes(b.i64))}
	case arrow.DATE32:
		bufs = []*memory.Buffer{valid, memory.NewBufferBytes(arrow.Date32Traits.CastToBytes(b.d32))}
	case arrow.BOOL:
		bufs = []*memory.Buffer{valid, memory.NewBufferBytes(b.bits)}
	default:
		panic(fmt.Sprintf("load: no column buffer for %s", dt))
	}
	return table.ArrayOf(dt, b.n, b.nulls, bufs[0], bufs[1:]...)
}

// keyView is the string column as a key column for findDuplicates.
func (b *colBuf) keyView() keyView {
	offs := b.offs
	if offs == nil {
		offs = []int32{0}
	}
	return keyView{data: b.data, offs: offs}
}
