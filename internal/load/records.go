package load

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/table"
)

// Record is one row from a source that is not a contract CSV (an Excel
// sheet, a re-encoded or re-mapped export), already converted to contract
// text: Records validates it with the same per-cell rules, rejects and
// row accounting as a contract CSV.
type Record struct {
	// Line is the source's own row or line number, reported in rejects.
	Line int
	// Fields holds one UTF-8 value per header column.
	Fields []string
	// Raw, when not nil, holds the values as found in the source (before
	// conversion); a reject then shows the raw value rather than the
	// converted one.
	Raw []string
	// Bad lists cells the source could not convert: each is a reject on its
	// column and the row is not loaded (Value, Reason as given).
	Bad []CellError
	// RowErr, when not "", rejects the whole row.
	RowErr string
}

// CellError is a value a source could not convert to contract text.
type CellError struct {
	Column, Value, Reason string
}

// Records reads one table from already-decoded records. header names
// the columns of every Record's Fields (contract names; others are kept as
// extra text columns, as Table does). next returns false when there are
// no more records. Read = Loaded + Rejected holds as for Table; the
// stats carry no SHA256 (the caller hashes its source).
func Records(ctx context.Context, spec *contract.Table, path string, header []string, next func() (Record, bool, error), opts Options) (*table.Table, TableStats, []Reject, error) {
	none := TableStats{Table: spec.Name, File: path}
	extras, err := matchHeader(spec, path, header)
	if err != nil {
		return nil, none, nil, err
	}
	l := newLoader(spec, path, "line", extras)
	for _, c := range l.cols {
		for j, name := range header {
			if strings.TrimSpace(name) == c.name {
				c.src = j
			}
		}
	}
	l.grow(csvChunk)
	skip := make([]bool, len(l.cols))
	fail := func(err error) (*table.Table, TableStats, []Reject, error) {
		l.abort()
		return nil, l.stats(""), nil, fmt.Errorf("loading %s: %w", path, err)
	}
	for {
		rec, ok, err := next()
		if err != nil {
			return fail(err)
		}
		if !ok {
			break
		}
		i := l.startRow(rec.Line)
		switch {
		case rec.RowErr != "":
			l.reject(i, "", "", rec.RowErr)
		case len(rec.Fields) != len(header):
			l.reject(i, "", "", fmt.Sprintf("found %d fields, want %d (as in the header)", len(rec.Fields), len(header)))
		default:
			for k := range skip {
				skip[k] = false
			}
			for _, b := range rec.Bad {
				l.reject(i, b.Column, b.Value, b.Reason)
				for k, c := range l.cols {
					if c.name == b.Column {
						skip[k] = true
					}
				}
			}
			before := len(l.rejects)
			for k, c := range l.cols {
				if skip[k] {
					c.valid[i] = false
					if c.str != nil {
						c.str[i] = ""
					}
					continue
				}
				l.setString(c, i, rec.Fields[c.src])
			}
			if rec.Raw != nil {
				for r := before; r < len(l.rejects); r++ {
					for _, c := range l.cols {
						if c.name == l.rejects[r].Column && c.src < len(rec.Raw) {
							l.rejects[r].Value = strings.Clone(rec.Raw[c.src])
						}
					}
				}
			}
		}
		if l.n == csvChunk {
			if err := l.commit(ctx); err != nil {
				return fail(err)
			}
		}
	}
	if err := l.commit(ctx); err != nil {
		return fail(err)
	}
	t, rejects := l.finish()
	return t, l.stats(""), rejects, nil
}

// File reads one contract table from a contract file: <x>.parquet as
// Parquet, anything else as contract CSV.
func File(ctx context.Context, spec *contract.Table, path string, opts Options) (*table.Table, TableStats, []Reject, error) {
	if strings.EqualFold(filepath.Ext(path), ".parquet") {
		return loadParquetFile(ctx, spec, path, opts)
	}
	return loadCSVFile(ctx, spec, path, opts)
}
