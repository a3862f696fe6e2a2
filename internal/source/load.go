package source

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/xuri/excelize/v2"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/table"
)

// headerScan is how many leading rows are searched for the header when the
// mapping does not state header_row (exports often start with a title).
const headerScan = 10

// colConv converts one contract column's source values.
type colConv struct {
	col    contract.Column
	src    int     // source column index, -1 = none (const or absent)
	header string  // source header as written
	how    string  // "mapping", "alias", "contract name", "value", "absent"
	konst  *string // value: from the mapping
	values map[string]string
	scale  int // 4 = 万元
	period bool
	sys    dateSystem // the workbook's serial date system
}

// plan is how one source sheet becomes one contract table.
type plan struct {
	tm        *TableMap
	spec      *contract.Table
	path      string
	sheet     string   // xlsx only
	sheets    []string // xlsx only
	sys       dateSystem
	encoding  string // CSV only
	headerRow int
	header    []string // source header as written
	convs     []*colConv
	unmapped  []int // source columns no contract column reads
	pending   [][]string
	lines     []int
	rr        rowReader
	// dateStyles caches isDateFormat per workbook style index
	dateStyles map[int]bool
}

// open reads a table's file up to and including its header row and works
// out which source column feeds each contract column.
func open(m *Mapping, tm *TableMap) (*plan, error) {
	spec, _ := contract.Lookup(tm.Table)
	p := &plan{tm: tm, spec: spec, path: m.FilePath(tm)}
	if err := checkFormat(p.path); err != nil {
		return nil, err
	}
	var err error
	switch {
	case isXLSX(p.path):
		var x *xlsxRows
		x, p.sheet, p.sheets, err = openXLSX(p.path, tm.Sheet)
		if x != nil {
			p.rr, p.sys = x, x.sys
		}
	default:
		var c *csvRows
		c, p.encoding, err = openCSV(p.path, tm.Encoding)
		p.rr = c
	}
	if err != nil {
		return nil, err
	}
	if err := p.findHeader(m); err != nil {
		p.rr.close()
		if p.header != nil {
			return p, err // the header was found: Inspect shows it with the error
		}
		return nil, err
	}
	return p, nil
}

// where names the file (and sheet) for messages.
func (p *plan) where() string {
	if p.sheet != "" {
		return fmt.Sprintf("%s sheet %s", p.path, p.sheet)
	}
	return p.path
}

func (p *plan) findHeader(m *Mapping) error {
	// read the candidate rows
	limit := headerScan
	if p.tm.HeaderRow > 0 {
		limit = p.tm.HeaderRow
	}
	for len(p.pending) < limit {
		line, cells, err := p.rr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: line %d: %w", p.where(), line, err)
		}
		p.pending = append(p.pending, cells)
		p.lines = append(p.lines, line)
	}
	if len(p.pending) == 0 {
		return fmt.Errorf("%s: empty: no header row", p.where())
	}
	pick := -1
	if p.tm.HeaderRow > 0 {
		for i, l := range p.lines {
			if l == p.tm.HeaderRow {
				pick = i
			}
		}
		if pick < 0 {
			return fmt.Errorf("%s: header_row %d: the file has only %d rows", p.where(), p.tm.HeaderRow, p.lines[len(p.lines)-1])
		}
	} else {
		best := 0
		for i, row := range p.pending {
			n := 0
			for _, c := range resolve(m, p.tm, p.spec, row) {
				if c.src >= 0 {
					n++
				}
			}
			if n > best {
				best, pick = n, i
			}
		}
		if pick < 0 {
			return fmt.Errorf("%s: no header row in the first %d rows names a column of %s (%s): state header_row: and map the columns under tables.%s.columns",
				p.where(), len(p.pending), p.spec.Name, columnNames(p.spec), p.spec.Name)
		}
	}
	p.headerRow = p.lines[pick]
	p.header = p.pending[pick]
	p.pending, p.lines = p.pending[pick+1:], p.lines[pick+1:]
	p.convs = resolve(m, p.tm, p.spec, p.header)
	for _, c := range p.convs {
		c.sys = p.sys
	}
	var problems []string
	used := map[int]bool{}
	for _, c := range p.convs {
		if c.src >= 0 {
			used[c.src] = true
		}
		if c.how == "missing" {
			problems = append(problems, fmt.Sprintf("the mapping says %s comes from %s, which is not in the header", c.col.Name, quoteList(p.tm.Columns[c.col.Name].From)))
		} else if c.how == "absent" && c.col.Required {
			problems = append(problems, fmt.Sprintf("no column for required %s (looked for %s): map it under tables.%s.columns.%s",
				c.col.Name, quoteList(candidates(m, p.tm, c.col.Name)), p.spec.Name, c.col.Name))
		}
	}
	for j, h := range p.header {
		if !used[j] && strings.TrimSpace(h) != "" {
			p.unmapped = append(p.unmapped, j)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s (header on row %d: %s): %s: %w", p.where(), p.headerRow, p.describeHeader(), strings.Join(problems, "; "), ErrMapping)
	}
	return nil
}

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = "“" + v + "”"
	}
	return strings.Join(q, ", ")
}

func (p *plan) describeHeader() string {
	var parts []string
	for j, h := range p.header {
		parts = append(parts, p.colName(j)+" "+h)
	}
	return strings.Join(parts, ", ")
}

// colName is a source column's position: A, B… for xlsx, 1, 2… for CSV.
func (p *plan) colName(j int) string {
	if p.sheet != "" {
		return colLetter(j)
	}
	return fmt.Sprint(j + 1)
}

// cellRef names a cell: 台账!C17 for xlsx, "line 17, column 3" for CSV.
func (p *plan) cellRef(j, line int) string {
	if p.sheet != "" {
		return fmt.Sprintf("%s!%s%d", p.sheet, colLetter(j), line)
	}
	return fmt.Sprintf("line %d column %d", line, j+1)
}

func candidates(m *Mapping, tm *TableMap, col string) []string {
	if cm := tm.Columns[col]; cm != nil && len(cm.From) > 0 {
		return cm.From
	}
	out := []string{col}
	out = append(out, m.Aliases[col]...)
	// A declared table's own aliases (its rule file names the headers its
	// exports use) come before the built-in ones.
	if spec, ok := contract.Lookup(tm.Table); ok {
		if c, ok := spec.Column(col); ok {
			out = append(out, c.Aliases...)
		}
	}
	return append(out, builtinAliases[col]...)
}

// resolve matches a header row against the table's columns: mapped
// columns first, then aliases in contract order, each source column used
// once.
func resolve(m *Mapping, tm *TableMap, spec *contract.Table, header []string) []*colConv {
	norm := make([]string, len(header))
	hunits := make([]string, len(header))
	for j, h := range header {
		norm[j], hunits[j] = normHeader(h)
	}
	used := map[int]bool{}
	find := func(names []string) int {
		for _, n := range names {
			nn, _ := normHeader(n)
			for j := range norm {
				if !used[j] && norm[j] == nn && nn != "" {
					return j
				}
			}
		}
		return -1
	}
	convs := make([]*colConv, len(spec.Columns))
	for k, c := range spec.Columns {
		cv := &colConv{col: c, src: -1, period: spec.Name == "disclosures" && c.Name == "period"}
		convs[k] = cv
		if c.Kind == contract.Enum || c.Kind == contract.Bool {
			cv.values = map[string]string{}
			for _, vm := range []map[string]string{builtinValues[c.Name], m.Values[c.Name]} {
				for a, b := range vm {
					cv.values[a] = b
				}
			}
		}
		cm := tm.Columns[c.Name]
		if cm == nil {
			continue
		}
		for a, b := range cm.Values {
			if cv.values == nil {
				cv.values = map[string]string{}
			}
			cv.values[a] = b
		}
		cv.scale = units[cm.Unit]
		switch {
		case cm.Const != nil:
			cv.konst, cv.how = cm.Const, "value"
		case len(cm.From) > 0:
			if j := find(cm.From); j >= 0 {
				cv.src, cv.how, cv.header = j, "mapping", header[j]
				used[j] = true
			} else {
				cv.how = "missing"
			}
		}
	}
	for _, cv := range convs {
		if cv.how != "" {
			continue
		}
		cands := candidates(m, tm, cv.col.Name)
		if j := find(cands); j >= 0 {
			cv.src, cv.header = j, header[j]
			cv.how = "alias"
			if n, _ := normHeader(header[j]); n == cv.col.Name {
				cv.how = "contract name"
			}
			used[j] = true
		} else {
			cv.how = "absent"
		}
	}
	for _, cv := range convs {
		if cv.src >= 0 && cv.col.Kind == contract.Money && (tm.Columns[cv.col.Name] == nil || tm.Columns[cv.col.Name].Unit == "") {
			cv.scale = units[hunits[cv.src]]
		}
	}
	return convs
}

// record converts one source row.
func (p *plan) record(line int, cells []string) load.Record {
	rec := load.Record{Line: line, Fields: make([]string, len(p.convs)), Raw: make([]string, len(p.convs))}
	for k, cv := range p.convs {
		var raw string
		switch {
		case cv.konst != nil:
			raw = *cv.konst
		case cv.src >= 0 && cv.src < len(cells):
			raw = cells[cv.src]
		}
		rec.Raw[k] = raw
		if cv.period && p.sheet != "" && reSerial.MatchString(strings.TrimSpace(raw)) && p.dateCell(cv.src, line) {
			// 2024年3月 typed into a period column: Excel stored the serial
			// of 2024-03-01 with a date format; the period is that month
			if d, err := serialDate(strings.TrimSpace(raw), p.sys); err == nil {
				rec.Fields[k] = d.Month().String()
				continue
			}
		}
		v, bad := cv.convert(raw)
		if bad != "" {
			rec.Bad = append(rec.Bad, load.CellError{Column: cv.col.Name, Value: raw, Reason: bad})
			continue
		}
		rec.Fields[k] = v
	}
	return rec
}

// dateCell says whether the workbook cell at source column j of row line
// has a date number format (a text column such as a disclosure period can
// hold a number that is either a reference or a date Excel stored as a
// serial; only the cell's format tells). Looked up only for numeric cells
// of such columns; the answer per style is cached.
func (p *plan) dateCell(j, line int) bool {
	x, ok := p.rr.(*xlsxRows)
	if !ok {
		return false
	}
	cell, err := excelize.CoordinatesToCellName(j+1, line)
	if err != nil {
		return false
	}
	idx, err := x.f.GetCellStyle(p.sheet, cell)
	if err != nil {
		return false
	}
	if v, ok := p.dateStyles[idx]; ok {
		return v
	}
	st, err := x.f.GetStyle(idx)
	v := err == nil && isDateFormat(st)
	if p.dateStyles == nil {
		p.dateStyles = map[int]bool{}
	}
	p.dateStyles[idx] = v
	return v
}

// isDateFormat says whether a number format shows a date: Excel's built-in
// date formats (14-22 with date-times, 27-36 and 50-58 the CJK ones such as
// 57 yyyy"年"m"月") or a custom format with a year or day token outside
// quoted text and brackets (yyyy"年"m"月", yyyy-mm, d/m/yy; not
// [DBNum1]G/通用格式).
func isDateFormat(st *excelize.Style) bool {
	switch id := st.NumFmt; {
	case id >= 14 && id <= 17, id == 22, id >= 27 && id <= 36, id >= 50 && id <= 58:
		return true
	}
	if st.CustomNumFmt == nil {
		return false
	}
	inQuote, inBracket, esc := false, false, false
	for _, r := range *st.CustomNumFmt {
		switch {
		case esc:
			esc = false
		case r == '"':
			inQuote = !inQuote
		case inQuote:
		case r == '[':
			inBracket = true // [$-804], [DBNum1], [Red]: not date tokens
		case r == ']':
			inBracket = false
		case inBracket:
		case r == '\\':
			esc = true
		case strings.ContainsRune("yYdD年日", r):
			return true
		}
	}
	return false
}

// skip says whether a data row is not data: blank, or a total row named
// in skip_rows (its first non-empty cell).
func (p *plan) skip(cells []string) bool {
	for _, c := range cells {
		if t := strings.TrimSpace(c); t != "" {
			return slices.Contains(p.tm.SkipRows, t)
		}
	}
	return true
}

// isHeader says whether a data row repeats the header (exports printed
// page by page often do).
func (p *plan) isHeader(cells []string) bool {
	n := 0
	for j, h := range p.header {
		c := ""
		if j < len(cells) {
			c = cells[j]
		}
		if strings.TrimSpace(c) != strings.TrimSpace(h) {
			return false
		}
		if c != "" {
			n++
		}
	}
	return n > 0
}

// rows yields the converted data rows.
func (p *plan) rows() func() (load.Record, bool, error) {
	return func() (load.Record, bool, error) {
		for {
			var line int
			var cells []string
			if len(p.pending) > 0 {
				line, cells = p.lines[0], p.pending[0]
				p.pending, p.lines = p.pending[1:], p.lines[1:]
			} else {
				var err error
				line, cells, err = p.rr.next()
				if errors.Is(err, io.EOF) {
					return load.Record{}, false, nil
				}
				if err != nil {
					var pe *csv.ParseError
					if errors.As(err, &pe) {
						return load.Record{Line: line, RowErr: "malformed CSV: " + pe.Err.Error()}, true, nil
					}
					return load.Record{}, false, fmt.Errorf("%s: %w", p.where(), err)
				}
			}
			if p.skip(cells) {
				continue
			}
			if p.isHeader(cells) {
				return load.Record{Line: line, RowErr: fmt.Sprintf("the header row (row %d) repeated: remove it", p.headerRow)}, true, nil
			}
			if p.sheet == "" && len(cells) > len(p.header) {
				for _, c := range cells[len(p.header):] {
					if strings.TrimSpace(c) != "" {
						return load.Record{Line: line, RowErr: fmt.Sprintf("found %d fields, want %d (as in the header)", len(cells), len(p.header))}, true, nil
					}
				}
			}
			return p.record(line, cells), true, nil
		}
	}
}

// describeColumn names a contract column in a reject by its source.
func (p *plan) describeColumn(col string, line int) string {
	var parts []string
	for _, name := range strings.Split(col, ",") {
		d := name
		for _, cv := range p.convs {
			if cv.col.Name != name {
				continue
			}
			switch {
			case cv.src >= 0:
				d = fmt.Sprintf("%s (%s, %s)", name, cv.header, p.cellRef(cv.src, line))
			case cv.konst != nil:
				d = fmt.Sprintf("%s (value: in the mapping)", name)
			}
		}
		parts = append(parts, d)
	}
	return strings.Join(parts, ", ")
}

// LoadTable loads one mapped table. Parquet files are read as contract
// Parquet; everything else goes through the mapping.
func LoadTable(ctx context.Context, m *Mapping, tm *TableMap, opts load.Options) (*table.Table, load.TableStats, []load.Reject, error) {
	spec, _ := contract.Lookup(tm.Table)
	path := m.FilePath(tm)
	if strings.EqualFold(filepath.Ext(path), ".parquet") {
		return load.File(ctx, spec, path, opts)
	}
	p, err := open(m, tm)
	if err != nil {
		return nil, load.TableStats{Table: tm.Table, File: path}, nil, fmt.Errorf("table %s: %w", tm.Table, err)
	}
	defer p.rr.close()
	header := make([]string, len(p.convs))
	for k, cv := range p.convs {
		header[k] = cv.col.Name
	}
	t, st, rejects, err := load.Records(ctx, spec, path, header, p.rows(), opts)
	if err != nil {
		return nil, st, nil, err
	}
	for i := range rejects {
		if rejects[i].Column != "" {
			rejects[i].Column = p.describeColumn(rejects[i].Column, rejects[i].Line)
		} else if p.sheet != "" {
			rejects[i].Column = fmt.Sprintf("(row %d of sheet %s)", rejects[i].Line, p.sheet)
		}
	}
	if st.SHA256, err = hashFile(path); err != nil {
		t.Release()
		return nil, st, nil, err
	}
	return t, st, rejects, nil
}

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Load reads every table the mapping names into a dataset, like load.Load
// does for a contract folder: tables load concurrently, results are in
// contract order, optional tables the mapping leaves out are Missing.
func Load(ctx context.Context, m *Mapping, opts load.Options) (*load.Dataset, error) {
	type result struct {
		t       *table.Table
		st      load.TableStats
		rejects []load.Reject
		err     error
	}
	d := &load.Dataset{Dir: m.Dir, Tables: map[string]*table.Table{}}
	var tms []*TableMap
	for _, spec := range contract.All() {
		if tm, ok := m.Tables[spec.Name]; ok {
			tms = append(tms, tm)
		} else if spec.Optional {
			d.Missing = append(d.Missing, spec.Name)
		} else {
			return nil, fmt.Errorf("%s: required table %s has no source: add tables.%s.file: %w", m.Path, spec.Name, spec.Name, ErrMapping)
		}
	}
	results := make([]result, len(tms))
	var wg sync.WaitGroup
	for i, tm := range tms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var r result
			r.t, r.st, r.rejects, r.err = LoadTable(ctx, m, tm, opts)
			results[i] = r
		}()
	}
	wg.Wait()
	var errs []error
	for _, r := range results {
		if r.err != nil {
			errs = append(errs, r.err)
		}
	}
	if len(errs) > 0 {
		for _, r := range results {
			r.t.Release()
		}
		return nil, errors.Join(errs...)
	}
	for _, r := range results {
		d.Tables[r.st.Table] = r.t
		d.Stats = append(d.Stats, r.st)
		d.Rejects = append(d.Rejects, r.rejects...)
	}
	return d, nil
}
