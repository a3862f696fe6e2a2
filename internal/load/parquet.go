package load

import (
	"context"
	"fmt"
	"math"
	"os"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/table"
)

// Reading a Parquet file: the file, its schema, and which path loads it
// (parquet_native.go when the columns already have the contract types,
// otherwise the per-cell converters of parquet_convert.go).

// loadParquetFile opens the file, maps its schema onto the contract
// columns and runs one of the two paths. Over 80 lines: the open reader,
// the allocator and their release on every error path are kept in one
// function so the cleanup stays visibly balanced.
func loadParquetFile(ctx context.Context, spec *contract.Table, path string, opts Options) (t *table.Table, st TableStats, rejects []Reject, err error) {
	st = TableStats{Table: spec.Name, File: path}
	sum, err := hashFile(path)
	if err != nil {
		return nil, st, nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, st, nil, fmt.Errorf("opening %s: %w", path, err)
	}
	defer f.Close()

	var l *loader
	// The Parquet decoders can panic on corrupt pages; a bad file must be
	// an error naming it, not a crash.
	defer func() {
		if p := recover(); p != nil {
			if l != nil {
				l.abort()
			}
			t, rejects = nil, nil
			err = fmt.Errorf("reading parquet %s: corrupt file: %v", path, p)
		}
	}()

	pr, err := file.NewParquetReader(f)
	if err != nil {
		return nil, st, nil, fmt.Errorf("reading parquet %s: %w", path, err)
	}
	defer pr.Close()
	fr, err := pqarrow.NewFileReader(pr, pqarrow.ArrowReadProperties{BatchSize: 65536}, opts.mem())
	if err != nil {
		return nil, st, nil, fmt.Errorf("reading parquet %s: %w", path, err)
	}
	schema, err := fr.Schema()
	if err != nil {
		return nil, st, nil, fmt.Errorf("reading parquet schema of %s: %w", path, err)
	}
	names := make([]string, schema.NumFields())
	for i, fld := range schema.Fields() {
		names[i] = fld.Name
	}
	extras, err := matchHeader(spec, path, names)
	if err != nil {
		return nil, st, nil, err
	}
	l = newLoader(spec, path, "row", extras)
	convs, err := parquetConverters(l, spec, path, names, schema)
	if err != nil {
		l.abort()
		return nil, st, nil, err
	}

	native := nativeParquet && nativeSchema(l, schema)
	if native {
		if fr, err = pqarrow.NewFileReader(pr, nativeReadProps(pr, l, schema), opts.mem()); err != nil {
			l.abort()
			return nil, st, nil, fmt.Errorf("reading parquet %s: %w", path, err)
		}
	}
	rr, err := fr.GetRecordReader(ctx, nil, nil)
	if err != nil {
		l.abort()
		return nil, st, nil, fmt.Errorf("reading parquet %s: %w", path, err)
	}
	defer rr.Release()
	total := int(pr.NumRows())
	if native {
		// The file already holds the contract's Arrow types (as WriteParquet
		// writes them): keep its columns and validate them column-wise.
		l.abort() // the builders are not needed
		t, rejects, err = l.loadNative(ctx, rr, total, opts.mem())
		if err != nil {
			return nil, l.stats(sum), nil, err
		}
		return t, l.stats(sum), rejects, nil
	}
	return l.loadConverted(ctx, rr, convs, total, path, sum)
}

// parquetConverters finds each loader column in the file's schema and
// the converter from the file's type to the column's.
func parquetConverters(l *loader, spec *contract.Table, path string, names []string, schema *arrow.Schema) ([]converter, error) {
	var err error
	convs := make([]converter, len(l.cols))
	for ci, c := range l.cols {
		for j, name := range names {
			if strings.TrimSpace(name) == c.name {
				c.src = j
			}
		}
		convs[ci], err = converterFor(c, schema.Field(c.src), ci >= len(spec.Columns))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return convs, nil
}

// nativeReadProps are the read properties of the native path.
func nativeReadProps(pr *file.Reader, l *loader, schema *arrow.Schema) pqarrow.ArrowReadProperties {
	// The native path keeps pqarrow's arrays as the table's columns, so
	// it reads the whole file as one batch: no second copy to join
	// chunks (v2000: 3.4 instead of 4.5 GB allocated, peak RSS 2.1
	// instead of 2.6 GB). PreAllocBinaryData sizes each string buffer
	// from the row group's metadata instead of growing it by doubling.
	// The per-cell path keeps small batches: it stages a batch's cells.
	props := pqarrow.ArrowReadProperties{BatchSize: max(pr.NumRows(), 1), PreAllocBinaryData: true}
	// A string column whose pages are all dictionary-encoded (a
	// village_id, an enum, a repeated counterparty) is read as its
	// dictionary and indices and expanded by undict into a buffer of
	// the exact size: pqarrow would otherwise append each value to a
	// builder grown by doubling from the (tiny) encoded size. The
	// column types are fixed when the reader is made, so make it again.
	for _, c := range l.cols {
		if schema.Field(c.src).Type.ID() == arrow.STRING && dictEncoded(pr, c.src) {
			props.SetReadDict(c.src, true)
		}
	}
	return props
}

// loadConverted is the per-cell path: each batch's cells converted to the
// contract's types and checked like CSV cells.
func (l *loader) loadConverted(ctx context.Context, rr pqarrow.RecordReader, convs []converter, total int, path, sum string) (*table.Table, TableStats, []Reject, error) {
	l.frac = func() float64 { return float64(l.read) / float64(max(total, 1)) }
	for rr.Next() {
		rec := rr.RecordBatch()
		n := int(rec.NumRows())
		l.grow(n)
		for i := 0; i < n; i++ {
			l.startRow(l.read + 1)
		}
		for ci, c := range l.cols {
			convs[ci](l, c, rec.Column(c.src), n)
		}
		if err := l.commit(ctx); err != nil {
			l.abort()
			return nil, l.stats(sum), nil, fmt.Errorf("loading %s: %w", path, err)
		}
	}
	if err := rr.Err(); err != nil {
		l.abort()
		return nil, l.stats(sum), nil, fmt.Errorf("reading parquet %s (after %d rows): %w", path, l.read, err)
	}
	if l.read != total {
		l.abort()
		return nil, l.stats(sum), nil, fmt.Errorf("reading parquet %s: read %d rows, file says %d", path, l.read, total)
	}
	t, rejects := l.finish()
	return t, l.stats(sum), rejects, nil
}

// dictEncoded reports whether every data page of column col, in every row
// group, is dictionary-encoded (by the column chunks' page encoding stats;
// a file without them is read plainly).
func dictEncoded(pr *file.Reader, col int) bool {
	md := pr.MetaData()
	for rg := 0; rg < pr.NumRowGroups(); rg++ {
		cc, err := md.RowGroup(rg).ColumnChunk(col)
		if err != nil || !cc.HasDictionaryPage() {
			return false
		}
		data := 0
		for _, st := range cc.EncodingStats() {
			const indexPage, dictPage = 1, 2 // parquet.thrift PageType
			if st.PageType == indexPage || st.PageType == dictPage {
				continue
			}
			if st.Encoding != parquet.Encodings.PlainDict && st.Encoding != parquet.Encodings.RLEDict {
				return false
			}
			data++
		}
		if data == 0 {
			return false
		}
	}
	return true
}

// undict expands a dictionary-encoded string column into a plain string
// array, sizing the bytes exactly (one pass for the offsets, one copy).
func undict(d *array.Dictionary, mem memory.Allocator) (arrow.Array, error) {
	dict, ok := d.Dictionary().(*array.String)
	if !ok {
		return nil, fmt.Errorf("dictionary of %s, want string", d.Dictionary().DataType())
	}
	idx := dictIndices(d)
	n := len(idx)
	doffs := dict.ValueOffsets()
	dbytes := dict.ValueBytes()
	dbase := doffs[0]
	nulls := d.NullN() > 0

	offBuf := memory.NewResizableBuffer(mem)
	offBuf.Resize(arrow.Int32Traits.BytesRequired(n + 1))
	offs := arrow.Int32Traits.CastFromBytes(offBuf.Bytes())
	total := int64(0)
	offs[0] = 0
	for i, k := range idx {
		if !(nulls && d.IsNull(i)) {
			total += int64(doffs[k+1] - doffs[k])
			if total > math.MaxInt32 {
				offBuf.Release()
				return nil, fmt.Errorf("more than %d bytes of text in one column", math.MaxInt32)
			}
		}
		offs[i+1] = int32(total)
	}
	dataBuf := memory.NewResizableBuffer(mem)
	dataBuf.Resize(int(total))
	data := dataBuf.Bytes()
	for i, k := range idx {
		if offs[i+1] > offs[i] {
			copy(data[offs[i]:offs[i+1]], dbytes[doffs[k]-dbase:doffs[k+1]-dbase])
		}
	}
	var bm *memory.Buffer
	if nulls {
		rb := memory.NewResizableBuffer(mem)
		rb.Resize(int(bitutil.BytesForBits(int64(n))))
		bitutil.CopyBitmap(d.NullBitmapBytes(), d.Data().Offset(), n, rb.Bytes(), 0)
		bm = rb
		defer rb.Release()
	}
	nd := array.NewData(arrow.BinaryTypes.String, n, []*memory.Buffer{bm, offBuf, dataBuf}, nil, d.NullN(), 0)
	offBuf.Release()
	dataBuf.Release()
	out := array.MakeFromData(nd)
	nd.Release()
	return out, nil
}

// dictIndices is each row's dictionary index. Parquet dictionaries are
// read with int32 indices, used in place; another index type is copied
// (GetValueIndex per row, in both of undict's passes, cost more than
// expanding the strings).
func dictIndices(d *array.Dictionary) []int32 {
	if ix, ok := d.Indices().(*array.Int32); ok {
		return ix.Int32Values()
	}
	idx := make([]int32, d.Len())
	for i := range idx {
		if d.IsValid(i) {
			idx[i] = int32(d.GetValueIndex(i))
		}
	}
	return idx
}
