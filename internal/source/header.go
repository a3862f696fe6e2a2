package source

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// headerScan is how many leading rows are searched for the header when the
// mapping does not state header_row (exports often start with a title).
const headerScan = 10

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
