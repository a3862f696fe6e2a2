package engine

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/expr-lang/expr"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/money"
)

func moneyJSON(fen int64) json.Number { return json.Number(money.Format(fen)) }

// exprOptions are the functions and limits every rule compiles with. No
// function reads the clock or the environment: as_of is a variable, so a
// rerun on the same data gives the same findings.
func exprOptions() []expr.Option {
	return []expr.Option{
		expr.DisableBuiltin("now"),
		expr.DisableBuiltin("date"),
		expr.DisableBuiltin("timezone"),
		expr.DisableBuiltin("duration"),
		expr.MaxNodes(2000),
		// Integer + - * are overflow-checked: Go's int arithmetic wraps
		// silently, and a wrapped day count or total would decide a
		// finding. An overflow is a row error (in summary.json), like any
		// other runtime error. The column-wise evaluator checks the same.
		expr.Function(fnAdd, func(args ...any) (any, error) { return checkedInt('+', args[0].(int), args[1].(int)) }, new(func(int, int) int)),
		expr.Function(fnSub, func(args ...any) (any, error) { return checkedInt('-', args[0].(int), args[1].(int)) }, new(func(int, int) int)),
		expr.Function(fnMul, func(args ...any) (any, error) { return checkedInt('*', args[0].(int), args[1].(int)) }, new(func(int, int) int)),
		expr.Operator("+", fnAdd),
		expr.Operator("-", fnSub),
		expr.Operator("*", fnMul),
		// day("2024-03-05") is a date literal as rules see dates: days
		// since 1970-01-01.
		expr.Function("day", func(args ...any) (any, error) {
			s, ok := args[0].(string)
			if !ok {
				return nil, fmt.Errorf("day: want a YYYY-MM-DD string")
			}
			d, err := civil.Parse(s)
			if err != nil {
				return nil, err
			}
			return int(d), nil
		}, new(func(string) int)),
		// month_of(date) is the date's month as YYYY-MM.
		expr.Function("month_of", func(args ...any) (any, error) {
			return civil.Date(args[0].(int)).Month().String(), nil
		}, new(func(int) string)),
		// date_str(date) formats a date as YYYY-MM-DD.
		expr.Function("date_str", func(args ...any) (any, error) {
			return civil.Date(args[0].(int)).String(), nil
		}, new(func(int) string)),
		// fen(x) rounds yuan to the fen, for thresholds computed from
		// ratios (0.5 % of a total) so boundaries compare exactly.
		expr.Function("fen", func(args ...any) (any, error) {
			f, err := money.FromYuanChecked(args[0].(float64))
			if err != nil {
				return nil, fmt.Errorf("fen: %w", err)
			}
			return money.Yuan(f), nil
		}, new(func(float64) float64)),
	}
}

// The checked integer operators' function names (see exprOptions).
const (
	fnAdd = "int_add"
	fnSub = "int_sub"
	fnMul = "int_mul"
)

// checkedOp applies op to a and b, reporting whether the result
// overflowed int.
func checkedOp(op byte, a, b int) (int, bool) {
	switch op {
	case '+':
		c := a + b
		return c, (b > 0 && c < a) || (b < 0 && c > a)
	case '-':
		c := a - b
		return c, (b < 0 && c < a) || (b > 0 && c > a)
	default:
		if a == 0 || b == 0 {
			return 0, false
		}
		c := a * b
		return c, c/b != a || (a == -1 && b == math.MinInt) || (b == -1 && a == math.MinInt)
	}
}

func checkedInt(op byte, a, b int) (any, error) {
	c, over := checkedOp(op, a, b)
	if over {
		return nil, fmt.Errorf("integer overflow: %d %c %d does not fit in 64 bits", a, op, b)
	}
	return c, nil
}
