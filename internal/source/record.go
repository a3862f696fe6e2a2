package source

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/neijiang/xiaowei/internal/load"
)

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
