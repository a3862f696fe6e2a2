package load

import (
	"context"
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/money"
	"github.com/neijiang/xiaowei/internal/table"
)

// moneyChecks are the per-column value checks the contract states beyond
// the type: only these amounts must be positive; others (balances, totals)
// may legitimately be zero or negative.
var moneyChecks = []struct {
	table, column string
	check         func(money.Fen) string // "" = ok, else the reason
}{
	{"ledger", "amount", positive},
	{"payments", "amount", positive},
}

func positive(f money.Fen) string {
	if f <= 0 {
		return "amount must be positive"
	}
	return ""
}

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

type keyRef struct{ row, line uint32 }

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

func (l *loader) setNull(c *column, i int) {
	c.valid[i] = false
	if c.str != nil {
		c.str[i] = "" // so the builder does not copy a stale value into a null slot
	}
	if c.required {
		l.reject(i, c.name, "", "required value is empty")
	}
}

// MaxCell is the longest cell, in bytes, the loader accepts. A village
// export has no legitimate cell near this size; a bigger one is a broken
// export (a runaway quote, a pasted document) and would bloat every finding
// that quotes it as evidence.
const MaxCell = 64 << 10

// minDate is the earliest date the loader accepts: anything before it is a
// typing or conversion error (Excel's day 0, a two-digit year), not a
// village's record.
var minDate = civil.New(1900, 1, 1)

// shownValue shortens a rejected value for the report: a huge cell is cut
// to its first 32 characters and a NUL byte is shown as \x00, so
// rejected.csv stays small and printable.
func shownValue(s string) string {
	if len(s) > MaxCell {
		n := 0
		for j := range s {
			if n == 32 {
				s = s[:j] + "…"
				break
			}
			n++
		}
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", `\x00`)
	}
	return s
}

// setString parses a text cell by the column's kind; "" is null.
func (l *loader) setString(c *column, i int, s string) {
	if s == "" {
		l.setNull(c, i)
		return
	}
	c.valid[i] = true
	if len(s) > MaxCell {
		c.valid[i] = false
		if c.str != nil {
			c.str[i] = ""
		}
		l.reject(i, c.name, shownValue(s), fmt.Sprintf("cell is %d bytes: at most %d are loaded", len(s), MaxCell))
		return
	}
	if strings.IndexByte(s, 0) >= 0 {
		// NUL is never text: a binary file or a broken converter.
		c.valid[i] = false
		if c.str != nil {
			c.str[i] = ""
		}
		l.reject(i, c.name, shownValue(s), "contains a NUL byte (binary data, not text)")
		return
	}
	switch c.kind {
	case contract.ID, contract.Text:
		c.str[i] = s
		// encoding/csv does not check encodings; a GBK export (common from
		// Excel in China) would otherwise load as silent mojibake.
		if !utf8.ValidString(s) {
			l.reject(i, c.name, s, "not valid UTF-8 (save the file as UTF-8, not GBK)")
		}
	case contract.Enum:
		c.str[i] = s
		if !slices.Contains(c.enum, s) {
			l.reject(i, c.name, s, c.enumWant)
		}
	case contract.Month:
		c.str[i] = s
		if _, err := civil.ParseMonth(s); err != nil {
			l.reject(i, c.name, s, "want YYYY-MM")
		}
	case contract.Date:
		d, err := civil.Parse(s)
		if err != nil {
			if len(s) == 10 && s[4] == '-' && s[7] == '-' {
				l.reject(i, c.name, s, "not a calendar date: want YYYY-MM-DD")
			} else {
				l.reject(i, c.name, s, "want YYYY-MM-DD")
			}
			return
		}
		c.d32[i] = arrow.Date32(d)
		if d < minDate {
			l.reject(i, c.name, s, "date before 1900-01-01")
		}
	case contract.Money:
		f, err := money.Parse(s)
		if err != nil {
			l.reject(i, c.name, s, err.Error())
			return
		}
		l.setMoney(c, i, f, s)
	case contract.Int:
		// Declared tables only (counts such as a vote's attendance): a
		// whole number in decimal, no separators.
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			l.reject(i, c.name, s, "want a whole number")
			return
		}
		c.valid[i] = true
		c.i64[i] = v
	case contract.Bool:
		switch s {
		case "true":
			c.bl[i] = true
		case "false":
			c.bl[i] = false
		default:
			l.reject(i, c.name, s, "want true or false")
		}
	default:
		l.reject(i, c.name, s, fmt.Sprintf("column kind %s cannot be loaded", c.kind))
	}
}

// setMoney stores fen; raw is the value as read, for the reject ("" = format f).
func (l *loader) setMoney(c *column, i int, f money.Fen, raw string) {
	c.valid[i] = true
	c.i64[i] = f
	if !money.InRange(f) {
		if raw == "" {
			raw = money.Format(f)
		}
		l.reject(i, c.name, raw, money.RangeError(raw).Error())
		return
	}
	if reason := c.addAbs(f); reason != "" {
		if raw == "" {
			raw = money.Format(f)
		}
		l.reject(i, c.name, raw, reason)
		return
	}
	if c.check != nil {
		if reason := c.check(f); reason != "" {
			if raw == "" {
				raw = money.Format(f)
			}
			l.reject(i, c.name, raw, reason)
		}
	}
}

// addAbs adds |f| to the column's absolute total; "" = ok, else the
// reason the row is rejected.
func (c *column) addAbs(f money.Fen) string {
	if f < 0 {
		f = -f
	}
	s, err := money.Add(c.absSum, f)
	if err != nil {
		return "the column's amounts add up beyond 92,233,720,368,547,758.07 yuan: sums over them would not be exact"
	}
	c.absSum = s
	return ""
}

func (l *loader) setDate(c *column, i int, d civil.Date) {
	c.valid[i] = true
	c.d32[i] = arrow.Date32(d)
	if d < minDate {
		l.reject(i, c.name, d.String(), "date before 1900-01-01")
	}
}

func (l *loader) setBool(c *column, i int, v bool) {
	c.valid[i] = true
	c.bl[i] = v
}

// keyValue returns a key column's value for an accepted row (global index).
func (l *loader) keyValue(c *column, row int) string {
	if row < l.base {
		return c.sb.Value(row)
	}
	return c.str[l.kept[row-l.base]]
}

// checkKey reports whether staged row i repeats an accepted key, and if
// not, records it as the key's first row. A 64-bit hash indexes the keys;
// hits are verified against the stored values so a collision can never
// reject a good row.
func (l *loader) checkKey(i int) (first keyRef, dup bool) {
	var h uint64
	if len(l.keyCols) == 1 {
		h = maphash.String(l.seed, l.keyCols[0].str[i])
	} else {
		var mh maphash.Hash
		mh.SetSeed(l.seed)
		for _, c := range l.keyCols {
			mh.WriteString(c.str[i])
			mh.WriteByte(0)
		}
		h = mh.Sum64()
	}
	ref := keyRef{row: uint32(l.base + len(l.kept)), line: uint32(min(l.lines[i], math.MaxUint32))}
	prev, ok := l.keys.lookup(h, ref)
	if !ok {
		return ref, false
	}
	same := true
	for _, c := range l.keyCols {
		if l.keyValue(c, int(prev.row)) != c.str[i] {
			same = false
			break
		}
	}
	if same {
		return prev, true
	}
	// A true hash collision: fall back to exact string keys for this hash.
	if l.overflow == nil {
		l.overflow = map[string]keyRef{}
	}
	k := l.joinKey(i)
	if prev, ok := l.overflow[k]; ok {
		return prev, true
	}
	l.overflow[k] = ref
	return ref, false
}

func (l *loader) joinKey(i int) string {
	var sb strings.Builder
	for _, c := range l.keyCols {
		sb.WriteString(c.str[i])
		sb.WriteByte(0)
	}
	return sb.String()
}

func (l *loader) keyValues(i int) string {
	vals := make([]string, len(l.keyCols))
	for j, c := range l.keyCols {
		vals[j] = c.str[i]
	}
	return strings.Join(vals, ",")
}

func (l *loader) describeKey(i int) string {
	var sb strings.Builder
	for j, c := range l.keyCols {
		if j > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(c.name)
		sb.WriteByte('=')
		sb.WriteString(c.str[i])
	}
	return sb.String()
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
				l.reject(i, strings.Join(l.spec.Key, ","), l.keyValues(i), fmt.Sprintf("duplicate key %s, first on %s %d", l.describeKey(i), l.lineWord, first.line))
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
