package load

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/table"
)

// The native path. A file written by WriteParquet (or any tool writing the
// contract's Arrow types) needs no conversion: its columns are read as
// they are (readColumns, one array per column) and checked column-wise with
// the same rules, reasons and row numbers as the per-cell path (setString,
// setMoney, setDate, setNull, and the duplicate-key search). Rows with a
// reject are dropped with one filter at the end. Copying every cell through
// the staging slices cost more than decoding the file.

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
		case contract.Int:
			ok = f.Type.ID() == arrow.INT64
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

// loadNative validates the columns read by readColumns (one array each,
// by l.cols position; it takes them over) and filters out the rejected
// rows. Errors name the file like the per-cell path's.
func (l *loader) loadNative(ctx context.Context, cols []arrow.Array, mem memory.Allocator) (*table.Table, []Reject, error) {
	nc := &nativeCheck{l: l, cols: cols, bad: make([]bool, l.read), n: l.read}
	nc.checkAll(mem)
	freeCols := func() {
		for _, a := range nc.cols {
			if a != nil {
				a.Release()
			}
		}
	}

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

// checkAll checks every column by its type, then the primary key.
func (nc *nativeCheck) checkAll(mem memory.Allocator) {
	l := nc.l
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
}
