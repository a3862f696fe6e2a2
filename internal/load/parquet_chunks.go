package load

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
)

// The native path reads each column's chunks straight into a colBuf, page
// by page, and wraps it as the column's one array. pqarrow's reader cost
// more than the checks: it grows Arrow builders (zeroing and copying), makes
// an array per row group that then had to be concatenated, and leaves
// dictionary-encoded strings to be expanded in another pass.

// pageRows is how many rows are decoded per call: the values alias the
// page, so they are copied out before the next call.
const pageRows = 4096

// flatColumns reports whether every loaded column is a flat leaf (one
// Parquet column per field, not repeated, at most optional) of the
// physical type its Arrow type is stored as, so readColumns can read it.
func flatColumns(pr *file.Reader, l *loader, schema *arrow.Schema) bool {
	ps := pr.MetaData().Schema
	if ps.NumColumns() != schema.NumFields() {
		return false
	}
	for _, c := range l.cols {
		d := ps.Column(c.src)
		if d.MaxRepetitionLevel() != 0 || d.MaxDefinitionLevel() > 1 || d.Name() != schema.Field(c.src).Name {
			return false
		}
		want := map[arrow.Type]parquet.Type{arrow.STRING: parquet.Types.ByteArray, arrow.DATE32: parquet.Types.Int32,
			arrow.INT64: parquet.Types.Int64, arrow.BOOL: parquet.Types.Boolean}[schema.Field(c.src).Type.ID()]
		if d.PhysicalType() != want {
			return false
		}
	}
	return true
}

// readColumns reads every loaded column, one at a time over all row
// groups, as one array each (by l.cols position); l.read is the row count.
func (l *loader) readColumns(ctx context.Context, pr *file.Reader, total int) ([]arrow.Array, error) {
	if total > math.MaxUint32 {
		return nil, fmt.Errorf("loading %s: %s: more than %d rows in one table", l.file, l.file, uint32(math.MaxUint32))
	}
	cols := make([]arrow.Array, len(l.cols))
	fail := func(err error) ([]arrow.Array, error) {
		for _, a := range cols {
			if a != nil {
				a.Release()
			}
		}
		return nil, err
	}
	pc := newPageCells()
	for ci, c := range l.cols {
		var b colBuf
		for rg := 0; rg < pr.NumRowGroups(); rg++ {
			if err := ctx.Err(); err != nil {
				return fail(fmt.Errorf("loading %s: %w", l.file, err))
			}
			g := pr.RowGroup(rg)
			cr, err := g.Column(c.src)
			if err != nil {
				return fail(fmt.Errorf("reading parquet %s: column %s: %w", l.file, c.name, err))
			}
			if err := pc.readChunk(&b, cr, int(g.NumRows()), total); err != nil {
				return fail(fmt.Errorf("reading parquet %s: column %s (after %d rows): %w", l.file, c.name, b.n, err))
			}
		}
		if b.n != total {
			return fail(fmt.Errorf("reading parquet %s: read %d rows, file says %d", l.file, b.n, total))
		}
		cols[ci] = b.array(l.schema.Field(ci).Type)
	}
	l.read = total
	return cols, nil
}

// pageCells are the buffers one page's worth of decoded cells lands in.
type pageCells struct {
	defs  []int16
	str   []parquet.ByteArray
	i32   []int32
	i64   []int64
	bools []bool
}

func newPageCells() *pageCells {
	return &pageCells{defs: make([]int16, pageRows), str: make([]parquet.ByteArray, pageRows),
		i32: make([]int32, pageRows), i64: make([]int64, pageRows), bools: make([]bool, pageRows)}
}

// readChunk appends a column chunk's rows rows to b; total is the
// table's row count, from which b's final size is projected.
func (pc *pageCells) readChunk(b *colBuf, cr file.ColumnChunkReader, rows, total int) error {
	optional := cr.Descriptor().MaxDefinitionLevel() == 1
	var defs []int16
	if optional {
		defs = pc.defs
	}
	for left := rows; left > 0; {
		var levels int64
		var vals int
		var err error
		batch := int64(min(left, pageRows))
		switch r := cr.(type) {
		case *file.ByteArrayColumnChunkReader:
			levels, vals, err = r.ReadBatchInPage(batch, pc.str, defs, nil)
		case *file.Int32ColumnChunkReader:
			levels, vals, err = r.ReadBatchInPage(batch, pc.i32, defs, nil)
		case *file.Int64ColumnChunkReader:
			levels, vals, err = r.ReadBatchInPage(batch, pc.i64, defs, nil)
		case *file.BooleanColumnChunkReader:
			levels, vals, err = r.ReadBatchInPage(batch, pc.bools, defs, nil)
		default:
			return fmt.Errorf("unexpected column reader %T", cr)
		}
		if err != nil {
			return err
		}
		if levels == 0 {
			return fmt.Errorf("column chunk ends %d rows early", left)
		}
		if !optional {
			levels = int64(vals)
		}
		frac := float64(b.n+int(levels)) / float64(max(total, 1))
		if err := pc.append(b, cr, defs[:min(len(defs), int(levels))], int(levels), vals, frac); err != nil {
			return err
		}
		left -= int(levels)
	}
	return nil
}

// append adds n rows decoded into pc to b: defs (nil = all present) says
// which rows have a value; the vals values are dense. The values go
// through local slices (through b the compiler reloads them every row),
// and validity is recorded in a pass of its own (appendPresent).
func (pc *pageCells) append(b *colBuf, cr file.ColumnChunkReader, defs []int16, n, vals int, frac float64) error {
	if b.valid != nil {
		b.valid = grown(b.valid, n/8+1, frac)
	}
	v := 0
	present := func(i int) bool { return defs == nil || defs[i] == 1 }
	switch cr.(type) {
	case *file.ByteArrayColumnChunkReader:
		if b.offs == nil {
			b.offs = []int32{0}
		}
		size := 0
		for _, s := range pc.str[:vals] {
			size += len(s)
		}
		if len(b.data)+size > math.MaxInt32 {
			return fmt.Errorf("more than %d bytes of text", math.MaxInt32)
		}
		data, offs := grown(b.data, size, frac), grown(b.offs, n, frac)
		for i := range n {
			if present(i) {
				data = append(data, pc.str[v]...)
				v++
			}
			offs = append(offs, int32(len(data)))
		}
		b.data, b.offs = data, offs
	case *file.Int32ColumnChunkReader:
		d32 := grown(b.d32, n, frac)
		for i := range n {
			var d arrow.Date32
			if present(i) {
				d = arrow.Date32(pc.i32[v])
				v++
			}
			d32 = append(d32, d)
		}
		b.d32 = d32
	case *file.Int64ColumnChunkReader:
		i64 := grown(b.i64, n, frac)
		for i := range n {
			var x int64
			if present(i) {
				x = pc.i64[v]
				v++
			}
			i64 = append(i64, x)
		}
		b.i64 = i64
	case *file.BooleanColumnChunkReader:
		b.bits = grown(b.bits, n/8+1, frac)
		for i := range n {
			row := b.n + i
			if row%8 == 0 {
				b.bits = append(b.bits, 0)
			}
			if present(i) {
				if pc.bools[v] {
					b.bits[row/8] |= 1 << (row % 8)
				}
				v++
			}
		}
	}
	if v != vals {
		return fmt.Errorf("%d values for %d present cells", vals, v)
	}
	b.appendPresent(defs, n)
	return nil
}

// appendPresent records the validity of n rows (defs nil = all present)
// and counts them; no bit per row while the column has no null.
func (b *colBuf) appendPresent(defs []int16, n int) {
	if b.valid == nil && !slices.Contains(defs[:min(n, len(defs))], 0) {
		b.n += n
		return
	}
	for i := range n {
		b.appendValid(defs == nil || defs[i] == 1)
		b.n++
	}
}
