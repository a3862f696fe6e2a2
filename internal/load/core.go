package load

import (
	"context"
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/money"
	"github.com/neijiang/xiaowei/internal/table"
)

// column is one output column: its contract description, a staging area for
// the current chunk, and the typed Arrow builder the chunk is flushed into.
type column struct {
	name     string
	kind     contract.Kind
	enum     []string
	enumWant string // reason for an enum miss, built once
	required bool
	check    func(money.Fen) string
	src      int // position in the CSV header / Parquet schema
	// absSum is the sum of |amount| of the column so far. Keeping it
	// within int64 makes every sum over any rows of this column (a
	// village's month, a case's payments) exact without checks in the
	// detectors: a row that would push it beyond is rejected.
	absSum money.Fen

	// staging for the current chunk, indexed by row in chunk
	str   []string
	i64   []int64
	d32   []arrow.Date32
	bl    []bool
	valid []bool
	bytes int // string bytes staged in the first chunk, for ReserveData

	sb *array.StringBuilder
	ib *array.Int64Builder
	db *array.Date32Builder
	bb *array.BooleanBuilder
}

// loader holds the state shared by the CSV and Parquet readers: they stage
// a chunk of rows (parsed values + a bad flag per row), then commit it.
type loader struct {
	spec     *contract.Table
	file     string
	lineWord string // "line" for CSV, "row" for Parquet
	cols     []*column
	keyCols  []*column
	schema   *arrow.Schema
	rb       *array.RecordBuilder

	seed     maphash.Seed
	keys     *keySet           // hash of the key -> first row
	overflow map[string]keyRef // keys whose hash collided with a different key

	n     int // rows staged in the chunk
	lines []int
	bad   []bool
	kept  []int // staging indices of the chunk's accepted rows
	base  int   // rows in the builders before this chunk

	read, loaded, rejected int
	rejects                []Reject
	committed              bool // first commit done (capacity estimated)
}

func newLoader(spec *contract.Table, file, lineWord string, extras []string, mem memory.Allocator) *loader {
	l := &loader{spec: spec, file: file, lineWord: lineWord, seed: maphash.MakeSeed()}
	tcols := table.ContractCols(spec)
	for _, c := range spec.Columns {
		col := &column{name: c.Name, kind: c.Kind, enum: c.Enum, required: c.Required}
		if c.Kind == contract.Enum {
			col.enumWant = "want one of: " + strings.Join(c.Enum, ", ")
		}
		for _, mc := range moneyChecks {
			if mc.table == spec.Name && mc.column == c.Name {
				col.check = mc.check
			}
		}
		l.cols = append(l.cols, col)
	}
	for _, name := range extras {
		l.cols = append(l.cols, &column{name: name, kind: contract.Text})
		tcols = append(tcols, table.Col{Name: name, Kind: contract.Text})
	}
	l.schema = table.Schema(tcols)
	l.rb = array.NewRecordBuilder(mem, l.schema)
	for i, c := range l.cols {
		switch b := l.rb.Field(i).(type) {
		case *array.StringBuilder:
			c.sb = b
		case *array.Int64Builder:
			c.ib = b
		case *array.Date32Builder:
			c.db = b
		case *array.BooleanBuilder:
			c.bb = b
		}
	}
	for _, k := range spec.Key {
		for _, c := range l.cols[:len(spec.Columns)] {
			if c.name == k {
				l.keyCols = append(l.keyCols, c)
			}
		}
	}
	return l
}

func (l *loader) tableCols() []table.Col {
	cols := make([]table.Col, len(l.cols))
	for i, c := range l.cols {
		cols[i] = table.Col{Name: c.name, Kind: c.kind}
	}
	return cols
}

// grow makes room to stage n rows.
func (l *loader) grow(n int) {
	if len(l.bad) >= n {
		return
	}
	l.lines = make([]int, n)
	l.bad = make([]bool, n)
	for _, c := range l.cols {
		c.valid = make([]bool, n)
		switch c.kind {
		case contract.Date:
			c.d32 = make([]arrow.Date32, n)
		case contract.Money, contract.Int:
			c.i64 = make([]int64, n)
		case contract.Bool:
			c.bl = make([]bool, n)
		default:
			c.str = make([]string, n)
		}
	}
}

// startRow stages a new row and returns its index in the chunk.
func (l *loader) startRow(line int) int {
	i := l.n
	l.n++
	l.read++
	l.lines[i] = line
	l.bad[i] = false
	return i
}

func (l *loader) reject(i int, col, value, reason string) {
	l.bad[i] = true
	// Clone: value may point into a CSV record or an Arrow buffer that is
	// about to be reused or released.
	l.rejects = append(l.rejects, Reject{Table: l.spec.Name, File: l.file, Line: l.lines[i],
		Column: col, Value: strings.Clone(value), Reason: reason})
}

// estimate reserves builder and key-map capacity for an expected row count,
// so a large file does not pay for repeated doubling and copying.
func (l *loader) estimate(rows int) {
	if rows <= 0 {
		return
	}
	l.rb.Reserve(rows)
	for _, c := range l.cols {
		if c.sb != nil && l.n > 0 && c.bytes > 0 {
			c.sb.ReserveData(int(float64(c.bytes) / float64(l.n) * float64(rows)))
		}
	}
	if len(l.keyCols) > 0 {
		l.keys = newKeySet(rows)
	}
}

// commit moves the staged chunk's good rows into the builders.
func (l *loader) commit(ctx context.Context, estimateRows func() int) error {
	if !l.committed {
		l.committed = true
		for _, c := range l.cols {
			if c.str != nil {
				for i := 0; i < l.n; i++ {
					c.bytes += len(c.str[i])
				}
			}
		}
		if estimateRows != nil {
			l.estimate(estimateRows())
		}
		if l.keys == nil && len(l.keyCols) > 0 {
			l.keys = newKeySet(0)
		}
	}
	l.kept = l.kept[:0]
	for i := 0; i < l.n; i++ {
		if !l.bad[i] && len(l.keyCols) > 0 {
			if first, dup := l.checkKey(i); dup {
				cell := l.keyCell(i)
				l.reject(i, strings.Join(l.spec.Key, ","), keyValues(l.keyCols, cell), fmt.Sprintf("duplicate key %s, first on %s %d", describeKey(l.keyCols, cell), l.lineWord, first.line))
			}
		}
		if l.bad[i] {
			l.rejected++
			continue
		}
		l.kept = append(l.kept, i)
	}
	k := len(l.kept)
	if k < l.n { // compact the staging so good rows are contiguous
		for _, c := range l.cols {
			for j, i := range l.kept {
				c.valid[j] = c.valid[i]
				switch {
				case c.str != nil:
					c.str[j] = c.str[i]
				case c.i64 != nil:
					c.i64[j] = c.i64[i]
				case c.d32 != nil:
					c.d32[j] = c.d32[i]
				case c.bl != nil:
					c.bl[j] = c.bl[i]
				}
			}
		}
	}
	for _, c := range l.cols {
		switch {
		case c.sb != nil:
			c.sb.AppendValues(c.str[:k], c.valid[:k])
		case c.ib != nil:
			c.ib.AppendValues(c.i64[:k], c.valid[:k])
		case c.db != nil:
			c.db.AppendValues(c.d32[:k], c.valid[:k])
		case c.bb != nil:
			c.bb.AppendValues(c.bl[:k], c.valid[:k])
		}
	}
	l.loaded += k
	l.base += k
	l.n = 0
	if l.base > math.MaxUint32 {
		return fmt.Errorf("%s: more than %d rows in one table", l.file, uint32(math.MaxUint32))
	}
	return ctx.Err()
}

// finish builds the table; rejects are sorted by line because duplicate-key
// rejects of a chunk are found after its cell rejects.
func (l *loader) finish() (*table.Table, []Reject) {
	rec := l.rb.NewRecordBatch()
	l.rb.Release()
	l.rb = nil
	slices.SortStableFunc(l.rejects, func(a, b Reject) int { return a.Line - b.Line })
	return table.New(l.spec.Name, l.tableCols(), rec), l.rejects
}

// abort frees the builders after an error.
func (l *loader) abort() {
	if l.rb != nil {
		l.rb.Release()
		l.rb = nil
	}
}

func (l *loader) stats(sum string) TableStats {
	return TableStats{Table: l.spec.Name, File: l.file, Read: l.read, Loaded: l.loaded, Rejected: l.rejected, SHA256: sum}
}
