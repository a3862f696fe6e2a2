package store

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/money"
	"github.com/neijiang/xiaowei/internal/table"
)

// readTable reads one contract table into Arrow, in _row order, with
// the rows of the filter f (all rows when nil); a row that breaks the
// contract becomes a Reject.
func (s *Store) readTable(ctx context.Context, spec *contract.Table, mem memory.Allocator, f *load.RowFilter) (*table.Table, load.TableStats, []load.Reject, error) {
	st := load.TableStats{Table: spec.Name, File: "postgres:" + s.Data + "." + spec.Name}
	sel, args := s.readTableSQL(spec, f)
	rows, err := s.pool.Query(ctx, sel, args...)
	if err != nil {
		return nil, st, nil, fmt.Errorf("reading %s: %w", spec.Name, err)
	}
	defer rows.Close()

	cols := table.ContractCols(spec)
	rb := array.NewRecordBuilder(mem, table.Schema(cols))
	defer rb.Release()
	sc := newRowScan(spec)
	var rejects []load.Reject
	for rows.Next() {
		st.Read++
		if err := rows.Scan(sc.dest...); err != nil {
			return nil, st, nil, fmt.Errorf("reading %s row %d: %w", spec.Name, st.Read, err)
		}
		if reason, col, val := sc.check(spec); reason != "" {
			st.Rejected++
			rejects = append(rejects, load.Reject{Table: spec.Name, File: st.File, Line: int(sc.rowNo), Column: col, Value: val, Reason: reason})
			continue
		}
		sc.appendTo(rb, spec)
		st.Loaded++
	}
	if err := rows.Err(); err != nil {
		return nil, st, nil, fmt.Errorf("reading %s: %w", spec.Name, err)
	}
	return table.New(spec.Name, cols, rb.NewRecordBatch()), st, rejects, nil
}

// readTableSQL selects a table's contract columns (money as integer fen)
// in _row order, with the filter's where clause.
func (s *Store) readTableSQL(spec *contract.Table, f *load.RowFilter) (string, []any) {
	sel := "select _row"
	for _, c := range spec.Columns {
		id := pgx.Identifier{c.Name}.Sanitize()
		if c.Kind == contract.Money {
			sel += ", (" + id + " * 100)::bigint"
		} else {
			sel += ", " + id
		}
	}
	sel += " from " + s.D(spec.Name)
	var args []any
	if f != nil {
		col := pgx.Identifier{f.Column}.Sanitize()
		if f.Negate {
			sel += " where " + col + " is null or not (" + col + " = any($1))"
		} else {
			// A value outside printable ASCII may normalise to one of
			// Values (a zero-width space in an id): read it too.
			sel += " where " + col + " = any($1) or " + col + " !~ '^[!-~]+$'"
		}
		vals := f.Values
		if vals == nil {
			vals = []string{}
		}
		args = append(args, vals)
	}
	sel += " order by _row"
	return sel, args
}

// rowScan holds one reusable destination per column, so scanning a row
// allocates nothing.
type rowScan struct {
	texts []pgtype.Text
	dates []pgtype.Date
	ints  []pgtype.Int8
	bools []pgtype.Bool
	rowNo int64
	dest  []any
	enums []map[string]bool
}

func newRowScan(spec *contract.Table) *rowScan {
	sc := &rowScan{}
	n := len(spec.Columns)
	sc.texts = make([]pgtype.Text, n)
	sc.dates = make([]pgtype.Date, n)
	sc.ints = make([]pgtype.Int8, n)
	sc.bools = make([]pgtype.Bool, n)
	sc.dest = []any{&sc.rowNo}
	sc.enums = make([]map[string]bool, n)
	for j, c := range spec.Columns {
		switch c.Kind {
		case contract.Date:
			sc.dest = append(sc.dest, &sc.dates[j])
		case contract.Money, contract.Int:
			sc.dest = append(sc.dest, &sc.ints[j])
		case contract.Bool:
			sc.dest = append(sc.dest, &sc.bools[j])
		default:
			sc.dest = append(sc.dest, &sc.texts[j])
		}
		if c.Kind == contract.Enum {
			sc.enums[j] = map[string]bool{}
			for _, v := range c.Enum {
				sc.enums[j][v] = true
			}
		}
	}
	return sc
}

// check returns why the scanned row breaks the contract (reason, column,
// value), or an empty reason when it keeps it.
func (sc *rowScan) check(spec *contract.Table) (reason, col, val string) {
	texts, dates, ints, bools, enums := sc.texts, sc.dates, sc.ints, sc.bools, sc.enums
	for j, c := range spec.Columns {
		valid := false
		switch c.Kind {
		case contract.Date:
			valid = dates[j].Valid
		case contract.Int:
			valid = ints[j].Valid
		case contract.Money:
			valid = ints[j].Valid
			if valid && (spec.Name == "ledger" || spec.Name == "payments") && c.Name == "amount" && ints[j].Int64 <= 0 {
				reason, col, val = "amount must be positive", c.Name, money.Format(ints[j].Int64)
			}
		case contract.Bool:
			valid = bools[j].Valid
		default:
			valid = texts[j].Valid && texts[j].String != ""
			if valid && enums[j] != nil && !enums[j][texts[j].String] {
				reason, col, val = fmt.Sprintf("%q is not a valid %s", texts[j].String, c.Name), c.Name, texts[j].String
			}
			if valid && c.Kind == contract.Month && !monthRe.MatchString(texts[j].String) {
				reason, col, val = "want a month YYYY-MM", c.Name, texts[j].String
			}
		}
		if !valid && c.Required && reason == "" {
			reason, col = "required value is empty", c.Name
		}
	}
	return reason, col, val
}

// appendTo appends the scanned row to the record builder.
func (sc *rowScan) appendTo(rb *array.RecordBuilder, spec *contract.Table) {
	texts, dates, ints, bools := sc.texts, sc.dates, sc.ints, sc.bools
	for j, c := range spec.Columns {
		f := rb.Field(j)
		switch c.Kind {
		case contract.Date:
			if dates[j].Valid {
				f.(*array.Date32Builder).Append(arrow.Date32(civil.FromTime(dates[j].Time)))
			} else {
				f.AppendNull()
			}
		case contract.Money, contract.Int:
			if ints[j].Valid {
				f.(*array.Int64Builder).Append(ints[j].Int64)
			} else {
				f.AppendNull()
			}
		case contract.Bool:
			if bools[j].Valid {
				f.(*array.BooleanBuilder).Append(bools[j].Bool)
			} else {
				f.AppendNull()
			}
		default:
			if texts[j].Valid && texts[j].String != "" {
				f.(*array.StringBuilder).Append(texts[j].String)
			} else {
				f.AppendNull()
			}
		}
	}
}
