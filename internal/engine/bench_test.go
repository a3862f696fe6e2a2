package engine

import (
	"context"
	"fmt"
	"testing"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/table"
)

// BenchmarkThreeConditionRule evaluates one three-condition rule over 1M
// ledger rows through the expr VM (the fallback path for any rule).
func BenchmarkThreeConditionRule(b *testing.B) {
	const n = 1_000_000
	rows := make([]ledgerRow, n)
	for i := range rows {
		acct, dir := "cash", "out"
		if i%3 == 0 {
			acct = "bank"
		}
		if i%5 == 0 {
			dir = "in"
		}
		rows[i] = ledgerRow{fmt.Sprintf("E%d", i), fmt.Sprintf("V%d", i/1000), "2024-03-01", acct, dir, int64(i%1000) * 101}
	}
	tb := ledgerTable(rows)
	defer tb.Release()
	set, err := rulesFromString(b, largeRule)
	if err != nil {
		b.Fatal(err)
	}
	plan, errs := Compile(set, nil, Geography{})
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	views := map[string]*table.Table{"ledger": tb}
	opt := EvalOptions{AsOf: civil.MustParse("2025-06-30")}
	b.ReportAllocs()
	b.ResetTimer()
	fired := 0
	for i := 0; i < b.N; i++ {
		res, err := Evaluate(context.Background(), plan, views, opt)
		if err != nil {
			b.Fatal(err)
		}
		fired = len(res.Findings)
	}
	b.StopTimer()
	ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N*n)
	b.ReportMetric(ns, "ns/row")
	b.ReportMetric(1e9/ns, "rows/s")
	_ = fired
}
