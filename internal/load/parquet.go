package load

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
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

	total := int(pr.NumRows())
	if nativeParquet && nativeSchema(l, schema) && flatColumns(pr, l, schema) {
		// The file already holds the contract's Arrow types (as WriteParquet
		// writes them): read its columns as they are and validate them
		// column-wise.
		cols, err := l.readColumns(ctx, pr, total)
		if err != nil {
			return nil, l.stats(sum), nil, err
		}
		t, rejects, err = l.loadNative(ctx, cols, opts.mem())
		if err != nil {
			return nil, l.stats(sum), nil, err
		}
		return t, l.stats(sum), rejects, nil
	}
	rr, err := fr.GetRecordReader(ctx, nil, nil)
	if err != nil {
		l.abort()
		return nil, st, nil, fmt.Errorf("reading parquet %s: %w", path, err)
	}
	defer rr.Release()
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
