package engine

import (
	"strings"
	"testing"

	"github.com/neijiang/xiaowei/internal/rules"
)

// FuzzCompileWhen compiles arbitrary `when` expressions against a contract
// view: compile must return an error with a file position or a program,
// never panic (expr is compiled under recover for this reason).
func FuzzCompileWhen(f *testing.F) {
	for _, s := range []string{
		`amount > 5000 && account == "cash"`,
		`category in ["expense", "subsidy_payout"] and amount >= params.threshold`,
		`date - day("2024-01-01") > 3`,
		`has_approved_by && approved_by == handled_by`,
		`fen(amount * 0.005) > 100`,
		`now() > 1`,
		`let x = 1; x > 0`,
		`map(1..3, # * 2)[0] == 2`,
		`amount ?? 1`,
		`((((`,
		`"\u0000" + summary`,
		`1 / 0 > 1`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, when string) {
		if strings.ContainsAny(when, "\r") {
			return
		}
		r := &rules.Rule{ID: "FUZZ", Title: "t", Family: "cash", Severity: "low", On: "ledger",
			When:    rules.Expr{Src: when, Pos: rules.Pos{File: "f.yaml", Line: 7, Col: 11}},
			Subject: rules.Expr{Src: "entry:{{entry_id}}"}, Message: rules.Expr{Src: "m"},
			Params: []rules.Param{{Name: "threshold", Value: int64(1000)}}, Enabled: true}
		_, errs := compileRule(r, LookupView)
		for _, e := range errs {
			if e.Pos.File != "f.yaml" || e.Pos.Line < 7 {
				t.Fatalf("error not placed in the file: %v", e)
			}
		}
	})
}
