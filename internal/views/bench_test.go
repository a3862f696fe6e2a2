package views_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/table"
)

// BenchmarkOperations measures each view operation over one million rows
// of a declared table (2,000 villages, 500 rows each: buyers, steps and
// days spread as in a year of village records), reported as ns/row of
// input. vb_lookup_large is the shape of contract payments looking up the
// ledger: a few input rows (here 1%) streaming a large table past their
// keys, which mostly miss. Run: go test ./internal/views -run XXX -bench Operations
func BenchmarkOperations(b *testing.B) {
	const villages, per = 2000, 500
	dir := b.TempDir()
	views := `
  - name: vb_filter
    from: vt_orders
    params: {min: 100}
    filter: amount >= params.min && step != "check"
  - name: vb_group
    from: vt_orders
    group: {by: [village_id, buyer], columns: {n: count(), total: sum(amount), last_day: max(day), steps: count_distinct(step)}}
  - name: vb_lookup
    from: vt_orders
    lookup: {from: vb_group, on: [village_id, buyer], columns: {total: total, n: n}}
  - name: vb_window
    from: vt_orders
    window: {by: [village_id, "buyer|buyer_name"], order: day, days: 30, best: total, columns: {total: sum(amount)}}
  - name: vb_sequence
    from: vt_orders
    sequence: {by: [village_id, buyer], order: day, step: step, steps: [ask, check, pay]}
  - name: vb_few
    from: vt_orders
    filter: amount < 60
  - name: vb_lookup_large
    from: vb_few
    lookup: {from: vt_orders, on: [order_id], columns: {qty_again: qty}}
`
	if err := os.WriteFile(filepath.Join(dir, "vb.yaml"), []byte(declTables+"views:"+views), 0o644); err != nil {
		b.Fatal(err)
	}
	set, err := rules.LoadDirs([]string{dir})
	if err != nil {
		b.Fatal(err)
	}
	plan, errs := engine.Compile(set, nil, engine.Geography{})
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	spec, _ := contract.Lookup("vt_orders")
	bld := table.NewBuilder(memory.DefaultAllocator, "vt_orders", table.ContractCols(spec))
	start := civil.MustParse("2025-01-01")
	steps := []string{"ask", "check", "pay"}
	for v := 0; v < villages; v++ {
		vid := fmt.Sprintf("5110021%05d", v)
		for i := 0; i < per; i++ {
			bld.SetStr(0, fmt.Sprintf("O%d-%d", v, i))
			bld.SetStr(1, vid)
			if i%50 != 0 {
				bld.SetStr(2, fmt.Sprintf("B%d", i%40))
			}
			bld.SetStr(3, fmt.Sprintf("商户%d", i%40))
			bld.SetStr(4, steps[(i/40)%3])
			bld.SetDate(5, start+civil.Date((i*7)%365))
			bld.SetInt(6, int64(1000+(i*7919)%500000))
			bld.SetInt(7, int64(i%9))
			bld.Next()
		}
	}
	tb := bld.Finish()
	defer tb.Release()
	rows := float64(tb.Len())
	d := plan.Declared[0]
	for _, name := range []string{"vb_filter", "vb_group", "vb_lookup", "vb_window", "vb_sequence", "vb_lookup_large"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				in := engine.NewInput(d, map[string]*table.Table{"vt_orders": tb}, civil.MustParse("2025-12-31"), 0, 0, map[string]bool{name: true}, memory.DefaultAllocator, plan.Settings)
				out, err := d.Build(context.Background(), in)
				if err != nil {
					b.Fatal(err)
				}
				out[name].Release()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/rows, "ns/row")
		})
	}
}
