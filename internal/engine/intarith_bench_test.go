package engine

import (
	"context"
	"fmt"
	"testing"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/table"
)

// BenchmarkIntArithmetic measures a rule with integer (date) arithmetic,
// which is overflow-checked on both paths.
func BenchmarkIntArithmetic(b *testing.B) {
	const n = 1_000_000
	rows := make([]ledgerRow, n)
	for i := range rows {
		rows[i] = ledgerRow{fmt.Sprintf("E%d", i), fmt.Sprintf("V%d", i/1000), "2024-03-01", "cash", "out", int64(i%1000) * 101}
	}
	tb := ledgerTable(rows)
	defer tb.Release()
	set, err := rulesFromString(b, "rules:\n"+sandboxRule("T-DAYS", "as_of - date > 400 && date * 2 - 1 > 0 && amount > 100800"))
	if err != nil {
		b.Fatal(err)
	}
	plan, errs := Compile(set, nil, Geography{})
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	views := map[string]*table.Table{"ledger": tb}
	for _, path := range []string{"vm", "columnar"} {
		b.Run("path="+path, func(b *testing.B) {
			opt := EvalOptions{AsOf: civil.MustParse("2025-06-30"), RowWise: path == "vm"}
			for i := 0; i < b.N; i++ {
				if _, err := Evaluate(context.Background(), plan, views, opt); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
		})
	}
}
