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

func (s *Store) readTable(ctx context.Context, spec *contract.Table, mem memory.Allocator, f *load.RowFilter) (*table.Table, load.TableStats, []load.Reject, error) {
	st := load.TableStats{Table: spec.Name, File: "postgres:" + s.Data + "." + spec.Name}
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
	rows, err := s.pool.Query(ctx, sel, args...)
	if err != nil {
		return nil, st, nil, fmt.Errorf("reading %s: %w", spec.Name, err)
	}
	defer rows.Close()

	cols := table.ContractCols(spec)
	rb := array.NewRecordBuilder(mem, table.Schema(cols))
	defer rb.Release()
	n := len(spec.Columns)
	texts := make([]pgtype.Text, n)
	dates := make([]pgtype.Date, n)
	ints := make([]pgtype.Int8, n)
	bools := make([]pgtype.Bool, n)
	var rowNo int64
	dest := []any{&rowNo}
	enums := make([]map[string]bool, n)
	for j, c := range spec.Columns {
		switch c.Kind {
		case contract.Date:
			dest = append(dest, &dates[j])
		case contract.Money, contract.Int:
			dest = append(dest, &ints[j])
		case contract.Bool:
			dest = append(dest, &bools[j])
		default:
			dest = append(dest, &texts[j])
		}
		if c.Kind == contract.Enum {
			enums[j] = map[string]bool{}
			for _, v := range c.Enum {
				enums[j][v] = true
			}
		}
	}
	var rejects []load.Reject
	for rows.Next() {
		st.Read++
		if err := rows.Scan(dest...); err != nil {
			return nil, st, nil, fmt.Errorf("reading %s row %d: %w", spec.Name, st.Read, err)
		}
		reason, col, val := "", "", ""
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
		if reason != "" {
			st.Rejected++
			rejects = append(rejects, load.Reject{Table: spec.Name, File: st.File, Line: int(rowNo), Column: col, Value: val, Reason: reason})
			continue
		}
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
		st.Loaded++
	}
	if err := rows.Err(); err != nil {
		return nil, st, nil, fmt.Errorf("reading %s: %w", spec.Name, err)
	}
	return table.New(spec.Name, cols, rb.NewRecordBatch()), st, rejects, nil
}
