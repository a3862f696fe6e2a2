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

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/money"
	"github.com/neijiang/xiaowei/internal/table"
)

// column is one output column: its contract description, a staging area for
// the current chunk, and the column's accepted rows (out).
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
	str []string
	i64 []int64
	d32 []arrow.Date32
	// lastDate is the last date cell parsed and accepted (zero bytes:
	// none yet), lastDay its value: an export's rows often share the date
	// of the row before, and comparing ten bytes is cheaper than parsing.
	lastDate [10]byte
	lastDay  arrow.Date32
	bl       []bool
	valid    []bool

	out colBuf
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
	seed     maphash.Seed

	// frac is the share of the input read so far (0 = unknown), from
	// which the columns' final sizes are projected; nil = unknown.
	frac func() float64

	// clean: the cells being staged are known to hold no NUL byte and
	// only valid UTF-8 (checked for the whole chunk), so setString skips
	// those checks.
	clean bool

	n      int // rows staged in the chunk
	lines  []int
	bad    []bool
	kept   []int    // staging indices of the chunk's accepted rows
	okLine []uint32 // line of each accepted row, for duplicate-key rejects

	read, loaded, rejected int
	rejects                []Reject
}

func newLoader(spec *contract.Table, file, lineWord string, extras []string) *loader {
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

// commit moves the staged chunk's good rows into the columns. Duplicate
// keys are found when the table is finished (dupkeys.go).
func (l *loader) commit(ctx context.Context) error {
	l.kept = l.kept[:0]
	for i := 0; i < l.n; i++ {
		if l.bad[i] {
			l.rejected++
			continue
		}
		l.kept = append(l.kept, i)
	}
	frac := 0.0
	if l.frac != nil {
		frac = l.frac()
	}
	l.okLine = grown(l.okLine, len(l.kept), frac)
	for _, i := range l.kept {
		l.okLine = append(l.okLine, uint32(min(l.lines[i], math.MaxUint32)))
	}
	for _, c := range l.cols {
		if err := c.out.appendColumn(c, l.kept, frac); err != nil {
			return fmt.Errorf("%s: %w", l.file, err)
		}
	}
	l.loaded += len(l.kept)
	l.n = 0
	if len(l.okLine) > math.MaxUint32 {
		return fmt.Errorf("%s: more than %d rows in one table", l.file, uint32(math.MaxUint32))
	}
	return ctx.Err()
}

// finish rejects the duplicate keys and builds the table; rejects are
// sorted by line because duplicate-key rejects are found after the cell
// rejects.
func (l *loader) finish() (*table.Table, []Reject) {
	l.rejectDuplicates()
	arrs := make([]arrow.Array, len(l.cols))
	for i, c := range l.cols {
		arrs[i] = c.out.array(l.schema.Field(i).Type)
		c.out = colBuf{}
	}
	rec := array.NewRecordBatch(l.schema, arrs, int64(l.loaded))
	for _, a := range arrs {
		a.Release()
	}
	slices.SortStableFunc(l.rejects, func(a, b Reject) int { return a.Line - b.Line })
	return table.New(l.spec.Name, l.tableCols(), rec), l.rejects
}

// rejectDuplicates finds the accepted rows whose key repeats an earlier
// one's, rejects them and drops them from the columns.
func (l *loader) rejectDuplicates() {
	if len(l.keyCols) == 0 {
		return
	}
	views := make([]keyView, len(l.keyCols))
	for j, c := range l.keyCols {
		views[j] = c.out.keyView()
	}
	dups := findDuplicates(keyRows{cols: views, n: len(l.okLine)}, l.seed)
	if len(dups) == 0 {
		return
	}
	rows := make([]int, len(dups))
	for k, d := range dups {
		rows[k] = d.row
		cell := func(j int) string { return string(views[j].cell(d.row)) }
		l.rejects = append(l.rejects, Reject{Table: l.spec.Name, File: l.file, Line: int(l.okLine[d.row]),
			Column: strings.Join(l.spec.Key, ","), Value: keyValues(l.keyCols, cell),
			Reason: fmt.Sprintf("duplicate key %s, first on %s %d", describeKey(l.keyCols, cell), l.lineWord, l.okLine[d.first])})
	}
	for _, c := range l.cols {
		c.out.drop(rows)
	}
	l.loaded -= len(dups)
	l.rejected += len(dups)
}

// abort frees the columns after an error.
func (l *loader) abort() {
	for _, c := range l.cols {
		c.out = colBuf{}
	}
}

func (l *loader) stats(sum string) TableStats {
	return TableStats{Table: l.spec.Name, File: l.file, Read: l.read, Loaded: l.loaded, Rejected: l.rejected, SHA256: sum}
}
