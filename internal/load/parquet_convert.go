package load

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/money"
)

// The converter path: each Parquet column is staged cell by cell into the
// loader's columns through a converter chosen for its type, with the same
// checks and rejects as CSV.

// converter stages n rows of one Arrow column into a loader column.
type converter func(l *loader, c *column, arr arrow.Array, n int)

// stringer gives uniform access to the Arrow string array flavours.
type stringer interface {
	arrow.Array
	Value(int) string
}

func isStringType(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
		return true
	}
	return false
}

// cells is the loop every converter shares: a null cell is staged as null,
// any other is handed to set.
func cells[A arrow.Array](set func(l *loader, c *column, a A, i int)) converter {
	return func(l *loader, c *column, arr arrow.Array, n int) {
		a := arr.(A)
		for i := 0; i < n; i++ {
			if a.IsNull(i) {
				l.setNull(c, i)
			} else {
				set(l, c, a, i)
			}
		}
	}
}

var convString = cells(func(l *loader, c *column, a stringer, i int) { l.setString(c, i, a.Value(i)) })

// converterFor picks how a Parquet column becomes the contract kind; a type
// that cannot carry the kind exactly is a whole-file error. It is the
// table of (Parquet type, contract kind) pairs as one switch (over 80
// lines), so which pairs are accepted is read in one place.
func converterFor(c *column, f arrow.Field, extra bool) (converter, error) {
	dt := f.Type
	if isStringType(dt) {
		return convString, nil
	}
	if extra {
		// Extra columns are kept as text whatever their type.
		return cells(func(l *loader, c *column, a arrow.Array, i int) { l.setString(c, i, a.ValueStr(i)) }), nil
	}
	bad := fmt.Errorf("column %s (%s) has Parquet/Arrow type %s: %w", c.name, c.kind, dt, ErrSchema)
	switch c.kind {
	case contract.Date:
		if cv := dateConverter(dt); cv != nil {
			return cv, nil
		}
	case contract.Money:
		if cv, err := moneyConverter(c, f); cv != nil || err != nil {
			return cv, err
		}
	case contract.Int:
		if dt.ID() == arrow.INT64 {
			return cells(func(l *loader, c *column, a *array.Int64, i int) {
				c.valid[i] = true
				c.i64[i] = a.Value(i)
			}), nil
		}
	case contract.Bool:
		if dt.ID() == arrow.BOOL {
			return cells(func(l *loader, c *column, a *array.Boolean, i int) { l.setBool(c, i, a.Value(i)) }), nil
		}
	}
	return nil, bad
}

// dateConverter converts a date, date64 or timestamp column (timestamps
// and date64 as their Asia/Shanghai calendar date); nil for another type.
func dateConverter(dt arrow.DataType) converter {
	switch t := dt.(type) {
	case *arrow.Date32Type:
		return cells(func(l *loader, c *column, a *array.Date32, i int) { l.setDate(c, i, civil.Date(a.Value(i))) })
	case *arrow.Date64Type:
		return cells(func(l *loader, c *column, a *array.Date64, i int) {
			l.setDate(c, i, civil.FromTime(a.Value(i).ToTime().In(civil.Shanghai)))
		})
	case *arrow.TimestampType:
		unit := t.Unit
		return cells(func(l *loader, c *column, a *array.Timestamp, i int) {
			l.setDate(c, i, civil.FromTime(a.Value(i).ToTime(unit).In(civil.Shanghai)))
		})
	}
	return nil
}

// moneyConverter converts an int64 column of fen (only with field metadata
// kind=money: a bare int64 could be yuan) or a decimal with at most two
// decimals; nil, nil for another type.
func moneyConverter(c *column, f arrow.Field) (converter, error) {
	dt := f.Type
	switch t := dt.(type) {
	case *arrow.Int64Type:
		if k, ok := f.Metadata.GetValue("kind"); !ok || k != contract.Money.String() {
			return nil, fmt.Errorf("column %s is int64 without field metadata kind=money, so its unit (yuan or fen) is unknown: %w", c.name, ErrSchema)
		}
		return cells(func(l *loader, c *column, a *array.Int64, i int) { l.setMoney(c, i, a.Value(i), "") }), nil
	case *arrow.Decimal128Type:
		if t.Scale < 0 || t.Scale > 2 {
			return nil, fmt.Errorf("column %s is decimal with scale %d; money has at most two decimals: %w", c.name, t.Scale, ErrSchema)
		}
		mul := int64(1)
		for range 2 - t.Scale {
			mul *= 10
		}
		scale := t.Scale
		return cells(func(l *loader, c *column, a *array.Decimal128, i int) {
			v := a.Value(i)
			hi, lo := v.HighBits(), v.LowBits()
			fits := (hi == 0 && lo>>63 == 0) || (hi == -1 && lo>>63 == 1)
			x := int64(lo)
			if !fits || x > math.MaxInt64/mul || x < math.MinInt64/mul {
				l.reject(i, c.name, v.ToString(scale), "amount too large")
				return
			}
			l.setMoney(c, i, money.Fen(x*mul), "")
		}), nil
	}
	return nil, nil
}
