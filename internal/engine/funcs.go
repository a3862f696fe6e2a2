package engine

import (
	"encoding/json"
	"fmt"

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
