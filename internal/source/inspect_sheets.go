package source

import (
	"context"
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"

	"github.com/neijiang/xiaowei/internal/contract"
)

func listSheets(ctx context.Context, w io.Writer, file string, m *Mapping, tm *TableMap) error {
	f, err := openWorkbook(file)
	if err != nil {
		return err
	}
	defer f.Close()
	fmt.Fprintln(w, "sheets:")
	for i, s := range f.GetSheetList() {
		dim, err := sheetSize(ctx, f, s)
		if err != nil {
			return err
		}
		note := ""
		for _, t := range m.ForFile(file) {
			if t.Sheet == s || (t.Sheet == "" && i == 0) {
				note += "  ← " + t.Table
			}
		}
		if tm != nil && tm.Sheet == "" && i == 0 && note == "" {
			note = "  ← " + tm.Table
		}
		fmt.Fprintf(w, "  %d. %s  (%s)%s\n", i+1, s, dim, note)
	}
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil && *props.Date1904 {
		fmt.Fprintln(w, "date system: 1904 (saved by Mac Excel): serial dates are read from 1904-01-01")
	}
	return nil
}

// sheetSize counts a sheet's rows and its widest row. It stops on
// cancellation (SIGTERM) and at MaxXLSXCells: a sheet within the unpacked
// size limit can still take seconds to walk.
func sheetSize(ctx context.Context, f *excelize.File, sheet string) (string, error) {
	rows, err := f.Rows(sheet)
	if err != nil {
		return err.Error(), nil
	}
	defer rows.Close()
	n, cols, cells := 0, 0, 0
	for rows.Next() {
		n++
		if n%1024 == 0 && ctx.Err() != nil {
			return "", ctx.Err()
		}
		if c, err := rows.Columns(); err == nil {
			cols = max(cols, len(c))
			if cells += len(c); cells > MaxXLSXCells {
				return fmt.Sprintf("more than %d cells; at most that many are read", MaxXLSXCells), nil
			}
		}
	}
	return fmt.Sprintf("%d rows × %d columns", n, cols), nil
}

// guessTable picks the contract table whose columns the file's header
// names best (by share of its required columns found).
func guessTable(m *Mapping, file, sheet string) (string, float64, string) {
	best, bestScore, why := "", 0.0, ""
	for _, spec := range contract.All() {
		tm := &TableMap{Table: spec.Name, File: file, Sheet: sheet, Columns: map[string]*ColumnMap{}}
		p, _ := open(m, tm)
		if p == nil {
			continue
		}
		p.rr.close()
		req, found, all := 0, 0, 0
		for _, c := range p.convs {
			if c.col.Required {
				req++
			}
			if c.src >= 0 {
				all++
				if c.col.Required {
					found++
				}
			}
		}
		score := float64(found)/float64(req) + float64(all)/100
		if score > bestScore {
			best, bestScore = spec.Name, score
			why = fmt.Sprintf("%d of its %d required columns found", found, req)
		}
	}
	return best, bestScore, why
}
