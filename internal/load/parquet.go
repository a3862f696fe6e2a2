package load

import (
	"bytes"
	"context"
	"fmt"
	"hash/maphash"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/money"
	"github.com/neijiang/xiaowei/internal/table"
)

// parquetRowGroup is the row-group length WriteParquet uses: large groups
// compress better and read faster; 1M rows of the widest table is ~100 MB
// in memory while writing.
const parquetRowGroup = 1 << 20

// converter stages n rows of one Arrow column into a loader column.
type converter func(l *loader, c *column, arr arrow.Array, n int)

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
	l = newLoader(spec, path, "row", extras, opts.mem())
	convs := make([]converter, len(l.cols))
	for ci, c := range l.cols {
		for j, name := range names {
			if strings.TrimSpace(name) == c.name {
				c.src = j
			}
		}
		convs[ci], err = converterFor(c, schema.Field(c.src), ci >= len(spec.Columns))
		if err != nil {
			l.abort()
			return nil, st, nil, fmt.Errorf("%s: %w", path, err)
		}
	}

	native := nativeParquet && nativeSchema(l, schema)
	if native {
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
		if fr, err = pqarrow.NewFileReader(pr, props, opts.mem()); err != nil {
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
	estimate := func() int { return total }
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
		if err := l.commit(ctx, estimate); err != nil {
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
	t, rejects = l.finish()
	return t, l.stats(sum), rejects, nil
}

// stringer gives uniform access to the Arrow string array flavours.
type stringer interface {
	arrow.Array
	Value(int) string
}

func isStringType(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
		return true
	}
	return false
}

func convString(l *loader, c *column, arr arrow.Array, n int) {
	a := arr.(stringer)
	for i := 0; i < n; i++ {
		if a.IsNull(i) {
			l.setNull(c, i)
		} else {
			l.setString(c, i, a.Value(i))
		}
	}
}

// converterFor picks how a Parquet column becomes the contract kind; a type
// that cannot carry the kind exactly is a whole-file error.
func converterFor(c *column, f arrow.Field, extra bool) (converter, error) {
	dt := f.Type
	if isStringType(dt) {
		return convString, nil
	}
	if extra {
		// Extra columns are kept as text whatever their type.
		return func(l *loader, c *column, arr arrow.Array, n int) {
			for i := 0; i < n; i++ {
				if arr.IsNull(i) {
					l.setNull(c, i)
				} else {
					l.setString(c, i, arr.ValueStr(i))
				}
			}
		}, nil
	}
	bad := fmt.Errorf("column %s (%s) has Parquet/Arrow type %s: %w", c.name, c.kind, dt, ErrSchema)
	switch c.kind {
	case contract.Date:
		switch t := dt.(type) {
		case *arrow.Date32Type:
			return func(l *loader, c *column, arr arrow.Array, n int) {
				a := arr.(*array.Date32)
				for i := 0; i < n; i++ {
					if a.IsNull(i) {
						l.setNull(c, i)
					} else {
						l.setDate(c, i, civil.Date(a.Value(i)))
					}
				}
			}, nil
		case *arrow.Date64Type:
			return func(l *loader, c *column, arr arrow.Array, n int) {
				a := arr.(*array.Date64)
				for i := 0; i < n; i++ {
					if a.IsNull(i) {
						l.setNull(c, i)
					} else {
						l.setDate(c, i, civil.FromTime(a.Value(i).ToTime().In(civil.Shanghai)))
					}
				}
			}, nil
		case *arrow.TimestampType:
			unit := t.Unit
			return func(l *loader, c *column, arr arrow.Array, n int) {
				a := arr.(*array.Timestamp)
				for i := 0; i < n; i++ {
					if a.IsNull(i) {
						l.setNull(c, i)
					} else {
						l.setDate(c, i, civil.FromTime(a.Value(i).ToTime(unit).In(civil.Shanghai)))
					}
				}
			}, nil
		}
	case contract.Money:
		switch t := dt.(type) {
		case *arrow.Int64Type:
			if k, ok := f.Metadata.GetValue("kind"); !ok || k != contract.Money.String() {
				return nil, fmt.Errorf("column %s is int64 without field metadata kind=money, so its unit (yuan or fen) is unknown: %w", c.name, ErrSchema)
			}
			return func(l *loader, c *column, arr arrow.Array, n int) {
				a := arr.(*array.Int64)
				for i := 0; i < n; i++ {
					if a.IsNull(i) {
						l.setNull(c, i)
					} else {
						l.setMoney(c, i, a.Value(i), "")
					}
				}
			}, nil
		case *arrow.Decimal128Type:
			if t.Scale < 0 || t.Scale > 2 {
				return nil, fmt.Errorf("column %s is decimal with scale %d; money has at most two decimals: %w", c.name, t.Scale, ErrSchema)
			}
			mul := int64(1)
			for range 2 - t.Scale {
				mul *= 10
			}
			scale := t.Scale
			return func(l *loader, c *column, arr arrow.Array, n int) {
				a := arr.(*array.Decimal128)
				for i := 0; i < n; i++ {
					if a.IsNull(i) {
						l.setNull(c, i)
						continue
					}
					v := a.Value(i)
					hi, lo := v.HighBits(), v.LowBits()
					fits := (hi == 0 && lo>>63 == 0) || (hi == -1 && lo>>63 == 1)
					x := int64(lo)
					if !fits || x > math.MaxInt64/mul || x < math.MinInt64/mul {
						l.reject(i, c.name, v.ToString(scale), "amount too large")
						continue
					}
					l.setMoney(c, i, money.Fen(x*mul), "")
				}
			}, nil
		}
	case contract.Bool:
		if dt.ID() == arrow.BOOL {
			return func(l *loader, c *column, arr arrow.Array, n int) {
				a := arr.(*array.Boolean)
				for i := 0; i < n; i++ {
					if a.IsNull(i) {
						l.setNull(c, i)
					} else {
						l.setBool(c, i, a.Value(i))
					}
				}
			}, nil
		}
	}
	return nil, bad
}

// WriteParquet writes t with each column's kind in field metadata (and the
// Arrow schema stored in the file), so loading it back gives the same table.
// The file is written beside path and renamed into place, so a reader never
// sees half a file.
func WriteParquet(path string, t *table.Table) (err error) {
	schema := table.Schema(t.Cols)
	rec := array.NewRecordBatch(schema, t.Rec.Columns(), t.Rec.NumRows())
	defer rec.Release()

	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	props := parquet.NewWriterProperties(
		parquet.WithMaxRowGroupLength(parquetRowGroup),
		parquet.WithCompression(compress.Codecs.Snappy),
		parquet.WithDictionaryDefault(true),
	)
	fw, err := pqarrow.NewFileWriter(schema, tmp, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := fw.Write(rec); err != nil {
		fw.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := fw.Close(); err != nil { // also closes tmp
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// The native path. A file written by WriteParquet (or any tool writing the
// contract's Arrow types) needs no conversion: its columns are taken as
// pqarrow decodes them, one array per column, and checked column-wise with
// the same rules, reasons and row numbers as the per-cell path (setString,
// setMoney, setDate, setNull, checkKey). Rows with a reject are dropped
// with one filter at the end. Copying every cell through the staging
// slices and builders cost more than decoding the file.

// nativeParquet enables the native path; tests turn it off to compare the
// two paths.
var nativeParquet = true

// nativeSchema reports whether every loaded column of the file already has
// its kind's Arrow type: string for id/text/enum/month and extra columns,
// date32, int64 marked kind=money, boolean.
func nativeSchema(l *loader, schema *arrow.Schema) bool {
	for _, c := range l.cols {
		f := schema.Field(c.src)
		var ok bool
		switch c.kind {
		case contract.ID, contract.Text, contract.Enum, contract.Month:
			ok = f.Type.ID() == arrow.STRING
		case contract.Date:
			ok = f.Type.ID() == arrow.DATE32
		case contract.Money:
			k, has := f.Metadata.GetValue("kind")
			ok = f.Type.ID() == arrow.INT64 && has && k == contract.Money.String()
		case contract.Bool:
			ok = f.Type.ID() == arrow.BOOL
		}
		if !ok {
			return false
		}
	}
	for _, c := range l.keyCols {
		if f := schema.Field(c.src); f.Type.ID() != arrow.STRING {
			return false // keys are compared as text
		}
	}
	return true
}

// nativeCheck is the state of one native load: the columns and which rows
// have a reject.
type nativeCheck struct {
	l    *loader
	cols []arrow.Array // by l.cols position
	bad  []bool        // by row
	n    int
}

// reject records a bad cell of row i (0-based); Parquet rows are reported
// 1-based, as the per-cell path does.
func (nc *nativeCheck) reject(i int, col, value, reason string) {
	nc.bad[i] = true
	l := nc.l
	l.rejects = append(l.rejects, Reject{Table: l.spec.Name, File: l.file, Line: i + 1,
		Column: col, Value: strings.Clone(value), Reason: reason})
}

// loadNative reads every batch, joins each column's chunks into one array,
// validates and filters. Errors name the file like the per-cell path's.
func (l *loader) loadNative(ctx context.Context, rr pqarrow.RecordReader, total int, mem memory.Allocator) (*table.Table, []Reject, error) {
	chunks := make([][]arrow.Array, len(l.cols))
	release := func() {
		for _, cs := range chunks {
			for _, a := range cs {
				a.Release()
			}
		}
	}
	for rr.Next() {
		rec := rr.RecordBatch()
		for ci, c := range l.cols {
			a := rec.Column(c.src)
			if d, ok := a.(*array.Dictionary); ok {
				s, err := undict(d, mem)
				if err != nil {
					release()
					return nil, nil, fmt.Errorf("reading parquet %s: column %s: %w", l.file, c.name, err)
				}
				a = s
			} else {
				a.Retain()
			}
			chunks[ci] = append(chunks[ci], a)
		}
		l.read += int(rec.NumRows())
		if err := ctx.Err(); err != nil {
			release()
			return nil, nil, fmt.Errorf("loading %s: %w", l.file, err)
		}
	}
	if err := rr.Err(); err != nil {
		release()
		return nil, nil, fmt.Errorf("reading parquet %s (after %d rows): %w", l.file, l.read, err)
	}
	if l.read != total {
		release()
		return nil, nil, fmt.Errorf("reading parquet %s: read %d rows, file says %d", l.file, l.read, total)
	}
	if l.read > math.MaxUint32 {
		release()
		return nil, nil, fmt.Errorf("loading %s: %s: more than %d rows in one table", l.file, l.file, uint32(math.MaxUint32))
	}

	nc := &nativeCheck{l: l, cols: make([]arrow.Array, len(l.cols)), bad: make([]bool, l.read), n: l.read}
	freeCols := func() {
		for _, a := range nc.cols {
			if a != nil {
				a.Release()
			}
		}
	}
	// One column at a time, releasing its chunks at once, so the extra
	// memory is one column's, not the table's.
	for ci := range l.cols {
		var a arrow.Array
		var err error
		switch len(chunks[ci]) {
		case 0:
			a = array.MakeArrayOfNull(mem, l.schema.Field(ci).Type, 0)
		case 1:
			a = chunks[ci][0]
			a.Retain()
		default:
			a, err = array.Concatenate(chunks[ci], mem)
		}
		for _, c := range chunks[ci] {
			c.Release()
		}
		chunks[ci] = nil
		if err != nil {
			release()
			freeCols()
			return nil, nil, fmt.Errorf("reading parquet %s: %w", l.file, err)
		}
		nc.cols[ci] = a
	}

	for ci, c := range l.cols {
		switch a := nc.cols[ci].(type) {
		case *array.String:
			if fixed := nc.checkStrings(c, a, mem); fixed != nil {
				a.Release()
				nc.cols[ci] = fixed
			}
		case *array.Date32:
			nc.checkDates(c, a)
		case *array.Int64:
			nc.checkMoney(c, a)
		default:
			nc.checkNulls(c, a)
		}
	}
	nc.checkKeys()

	for _, b := range nc.bad {
		if b {
			l.rejected++
		}
	}
	l.loaded = l.read - l.rejected
	rec := array.NewRecordBatch(l.schema, nc.cols, int64(l.read))
	freeCols() // the record holds its own references
	if l.rejected > 0 {
		kb := array.NewBooleanBuilder(mem)
		kb.Reserve(l.read)
		for _, b := range nc.bad {
			kb.UnsafeAppend(!b)
		}
		keep := kb.NewArray()
		kb.Release()
		filtered, err := compute.FilterRecordBatch(compute.WithAllocator(ctx, mem), rec, keep, compute.DefaultFilterOptions())
		keep.Release()
		rec.Release()
		if err != nil {
			return nil, nil, fmt.Errorf("loading %s: %w", l.file, err)
		}
		rec = filtered
	}
	// Cell rejects were found column by column and key rejects after them;
	// a stable sort by row gives the per-cell path's order (a row's cell
	// rejects in column order, then its duplicate key).
	slices.SortStableFunc(l.rejects, func(a, b Reject) int { return a.Line - b.Line })
	return table.New(l.spec.Name, l.tableCols(), rec), l.rejects, nil
}

// checkNulls rejects the nulls of a required column.
func (nc *nativeCheck) checkNulls(c *column, a arrow.Array) {
	if !c.required || a.NullN() == 0 {
		return
	}
	for i := 0; i < nc.n; i++ {
		if a.IsNull(i) {
			nc.reject(i, c.name, "", "required value is empty")
		}
	}
}

// checkDates applies setDate's rule (no date before 1900) and required.
func (nc *nativeCheck) checkDates(c *column, a *array.Date32) {
	nc.checkNulls(c, a)
	nulls := a.NullN() > 0
	for i, v := range a.Date32Values() {
		if civil.Date(v) < minDate && !(nulls && a.IsNull(i)) {
			nc.reject(i, c.name, civil.Date(v).String(), "date before 1900-01-01")
		}
	}
}

// checkMoney applies the money range and the column's amount check
// (setMoney) and required.
func (nc *nativeCheck) checkMoney(c *column, a *array.Int64) {
	nc.checkNulls(c, a)
	nulls := a.NullN() > 0
	for i, v := range a.Int64Values() {
		if nulls && a.IsNull(i) {
			continue
		}
		if !money.InRange(v) {
			s := money.Format(v)
			nc.reject(i, c.name, s, money.RangeError(s).Error())
			continue
		}
		if reason := c.addAbs(v); reason != "" {
			nc.reject(i, c.name, money.Format(v), reason)
			continue
		}
		if c.check == nil {
			continue
		}
		if reason := c.check(money.Fen(v)); reason != "" {
			nc.reject(i, c.name, money.Format(money.Fen(v)), reason)
		}
	}
}

// checkStrings applies setString's checks to a text column. An empty
// string is null on every path (CSV cannot tell them apart), so if the
// file has non-null empty strings the column is returned with them made
// null; otherwise nil (the column is kept as is).
func (nc *nativeCheck) checkStrings(c *column, a *array.String, mem memory.Allocator) arrow.Array {
	offs := a.ValueOffsets()
	data := a.ValueBytes()
	base := offs[0]
	text := c.kind == contract.ID || c.kind == contract.Text
	// Whole-column screens: with no NUL byte anywhere, and (for free text)
	// the whole buffer valid UTF-8 with every cell starting on a character
	// boundary (so each cell is whole characters), no cell can fail those
	// checks and the per-cell work is only lengths and nulls.
	clean := bytes.IndexByte(data, 0) < 0
	if clean && text {
		clean = utf8.Valid(data)
		for i := 0; clean && i < nc.n; i++ {
			if p := offs[i] - base; p < int32(len(data)) && !utf8.RuneStart(data[p]) {
				clean = false
			}
		}
	}
	nulls := a.NullN() > 0
	var empties []int
	for i := 0; i < nc.n; i++ {
		if nulls && a.IsNull(i) {
			if c.required {
				nc.reject(i, c.name, "", "required value is empty")
			}
			continue
		}
		size := int(offs[i+1] - offs[i])
		if size == 0 {
			empties = append(empties, i)
			if c.required {
				nc.reject(i, c.name, "", "required value is empty")
			}
			continue
		}
		if size > MaxCell {
			s := a.Value(i)
			nc.reject(i, c.name, shownValue(s), fmt.Sprintf("cell is %d bytes: at most %d are loaded", len(s), MaxCell))
			continue
		}
		if clean && text {
			continue
		}
		s := a.Value(i)
		if !clean {
			if strings.IndexByte(s, 0) >= 0 {
				nc.reject(i, c.name, shownValue(s), "contains a NUL byte (binary data, not text)")
				continue
			}
			if text && !utf8.ValidString(s) {
				nc.reject(i, c.name, s, "not valid UTF-8 (save the file as UTF-8, not GBK)")
				continue
			}
		}
		switch c.kind {
		case contract.Enum:
			if !slices.Contains(c.enum, s) {
				nc.reject(i, c.name, s, c.enumWant)
			}
		case contract.Month:
			if _, err := civil.ParseMonth(s); err != nil {
				nc.reject(i, c.name, s, "want YYYY-MM")
			}
		}
	}
	if len(empties) == 0 {
		return nil
	}
	// Make the empty cells null: a new validity bitmap (at the array's
	// offset) over the same offsets and bytes buffers.
	d := a.Data()
	off := d.Offset()
	bm := memory.NewResizableBuffer(mem)
	bm.Resize(int(bitutil.BytesForBits(int64(off + nc.n))))
	bits := bm.Bytes()
	if nulls {
		bitutil.CopyBitmap(d.Buffers()[0].Bytes(), off, nc.n, bits, off)
	} else {
		bitutil.SetBitsTo(bits, int64(off), int64(nc.n), true)
	}
	for _, i := range empties {
		bitutil.ClearBit(bits, off+i)
	}
	nd := array.NewData(d.DataType(), nc.n, []*memory.Buffer{bm, d.Buffers()[1], d.Buffers()[2]}, nil, a.NullN()+len(empties), off)
	bm.Release()
	out := array.MakeFromData(nd)
	nd.Release()
	return out
}

// checkKeys rejects each accepted row whose key repeats an earlier accepted
// row's, as commit/checkKey do: rows with a cell reject take no part, and
// the reject names the first row. A 64-bit hash indexes the keys; hits are
// verified against the values, and true collisions fall back to exact
// string keys.
func (nc *nativeCheck) checkKeys() {
	l := nc.l
	if len(l.keyCols) == 0 {
		return
	}
	var keys []*array.String
	for _, kc := range l.keyCols {
		for ci, c := range l.cols {
			if c == kc {
				keys = append(keys, nc.cols[ci].(*array.String))
			}
		}
	}
	// value is a key cell as the per-cell path stages it: "" when null.
	value := func(a *array.String, i int) string {
		if a.IsNull(i) {
			return ""
		}
		return a.Value(i)
	}
	// joinKey, keyValues and describeKey as in core.go, over the arrays.
	joinKey := func(i int) string {
		var sb strings.Builder
		for _, a := range keys {
			sb.WriteString(value(a, i))
			sb.WriteByte(0)
		}
		return sb.String()
	}
	keyValues := func(i int) string {
		vals := make([]string, len(keys))
		for j, a := range keys {
			vals[j] = value(a, i)
		}
		return strings.Join(vals, ",")
	}
	describeKey := func(i int) string {
		var sb strings.Builder
		for j, a := range keys {
			if j > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(l.keyCols[j].name)
			sb.WriteByte('=')
			sb.WriteString(value(a, i))
		}
		return sb.String()
	}
	set := newKeySet(nc.n)
	var overflow map[string]keyRef
	var mh maphash.Hash
	for i := 0; i < nc.n; i++ {
		if nc.bad[i] {
			continue
		}
		var h uint64
		if len(keys) == 1 {
			h = maphash.String(l.seed, value(keys[0], i))
		} else {
			mh.SetSeed(l.seed) // also resets
			for _, a := range keys {
				mh.WriteString(value(a, i))
				mh.WriteByte(0)
			}
			h = mh.Sum64()
		}
		ref := keyRef{row: uint32(i), line: uint32(min(i+1, math.MaxUint32))}
		prev, dup := set.lookup(h, ref)
		if dup {
			for _, a := range keys {
				if value(a, int(prev.row)) != value(a, i) {
					dup = false
					break
				}
			}
			if !dup { // a true hash collision
				if overflow == nil {
					overflow = map[string]keyRef{}
				}
				k := joinKey(i)
				if prev, dup = overflow[k]; !dup {
					overflow[k] = ref
				}
			}
		}
		if dup {
			nc.reject(i, strings.Join(l.spec.Key, ","), keyValues(i),
				fmt.Sprintf("duplicate key %s, first on %s %d", describeKey(i), l.lineWord, prev.line))
		}
	}
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
	n := d.Len()
	doffs := dict.ValueOffsets()
	dbytes := dict.ValueBytes()
	dbase := doffs[0]
	nulls := d.NullN() > 0

	offBuf := memory.NewResizableBuffer(mem)
	offBuf.Resize(arrow.Int32Traits.BytesRequired(n + 1))
	offs := arrow.Int32Traits.CastFromBytes(offBuf.Bytes())
	total := int64(0)
	offs[0] = 0
	for i := 0; i < n; i++ {
		if !(nulls && d.IsNull(i)) {
			k := d.GetValueIndex(i)
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
	for i := 0; i < n; i++ {
		if offs[i+1] > offs[i] {
			k := d.GetValueIndex(i)
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
