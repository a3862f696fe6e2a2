package subsidy_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/detectors/subsidy"
	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/table"
)

// mixedPayments replaces synth's payments (one account per case) with
// rows that share accounts across households and months, come back to an
// account after others, lack an account, a holder or a period, name
// persons or cases unknown, and fall on every chunk boundary the test
// tries.
func mixedPayments(tabs map[string]*table.Table) {
	spec, _ := contract.Lookup("payments")
	b := table.NewBuilder(memory.DefaultAllocator, "payments", table.ContractCols(spec))
	pid := func(i int) string { return fmt.Sprintf("51100219%010d", i) }
	nb := tabs["beneficiaries"].Len()
	for i := 0; i < 12*nb+3; i++ { // not a multiple of 8; the last rows' case is unknown
		c := i / 12
		p := pid(c*20 + 2)
		if c%17 == 5 {
			p = pid(900_000_000 + c) // not in the register
		}
		b.SetStr(0, fmt.Sprintf("Y%d", i))
		b.SetStr(1, fmt.Sprintf("C%d", c))
		b.SetStr(2, p)
		b.SetStr(3, "dibao")
		if i%31 != 0 { // a null period makes the view copy the column
			b.SetStr(4, fmt.Sprintf("2024-%02d", i%12+1))
		}
		b.SetInt(5, 50000)
		b.SetDate(6, civil.MonthOf(2024, 1).First()+civil.Date(30*(i%12)))
		if i%23 != 0 {
			b.SetStr(7, fmt.Sprintf("A%d", (c*7)%41)) // shared by several cases
		}
		if i%29 != 0 {
			b.SetStr(8, pid(c*20+(i%3)))
		}
		b.Next()
	}
	tabs["payments"].Release()
	tabs["payments"] = b.Finish()
}

// TestPaymentChunks: payment_checks is the same table whether its rows are
// written in one chunk or cut into several, wherever the cuts fall.
func TestPaymentChunks(t *testing.T) {
	tabs := synth(40000)
	mixedPayments(tabs)
	set, err := rules.LoadDirs([]string{"../../rules"})
	if err != nil {
		t.Fatal(err)
	}
	res, errs := engine.NewSettingsResolver(set, nil, engine.GeographyOf(tabs["villages"]))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	_, d, _ := engine.LookupView(subsidy.ViewPayments)
	build := func(rows, chunks int) *table.Table {
		defer subsidy.SetPaymentChunks(rows, chunks)()
		in := engine.NewInput(d, tabs, civil.MustParse("2025-06-30"), 0, 0, map[string]bool{subsidy.ViewPayments: true}, memory.DefaultAllocator, res)
		out, err := d.Build(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		return out[subsidy.ViewPayments]
	}
	one := build(1<<30, 1)
	defer one.Release()
	if one.Len() != tabs["payments"].Len() {
		t.Fatalf("%d rows, want %d", one.Len(), tabs["payments"].Len())
	}
	shared, nulls := 0, 0
	sh := one.Int("shared_households")
	for i := 0; i < sh.Len(); i++ {
		if sh.IsNull(i) {
			nulls++
		} else if sh.Value(i) > 1 {
			shared++
		}
	}
	if shared == 0 || nulls == 0 {
		t.Fatalf("the data should share accounts (%d rows) and lack some (%d rows)", shared, nulls)
	}
	for _, c := range []struct{ rows, chunks int }{{1000, 2}, {1000, 7}, {1, 13}} {
		many := build(c.rows, c.chunks)
		for k, col := range one.Cols {
			if !array.Equal(one.Rec.Column(k), many.Rec.Column(k)) {
				t.Errorf("%d-row chunks (at most %d): column %s differs", c.rows, c.chunks, col.Name)
			}
		}
		many.Release()
	}
}
