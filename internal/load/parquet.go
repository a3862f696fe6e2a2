package load

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
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

	rr, err := fr.GetRecordReader(ctx, nil, nil)
	if err != nil {
		l.abort()
		return nil, st, nil, fmt.Errorf("reading parquet %s: %w", path, err)
	}
	defer rr.Release()
	total := int(pr.NumRows())
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
