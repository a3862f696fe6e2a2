package disclosure

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/table"
)

// synth builds contract tables for n ledger rows: 500 rows per village over
// 18 months (2024-01-01 .. 2025-06-30), each village with its periodic
// notices, 10 cases (2 persons each) with their notices, and a few others.
func synth(n int) map[string]*table.Table {
	mem := memory.DefaultAllocator
	spec := func(name string) []table.Col { t, _ := contract.Lookup(name); return table.ContractCols(t) }
	start, end := civil.MustParse("2024-01-01"), civil.MustParse("2025-06-30")
	span := int(end - start + 1)
	const perVillage = 500
	villages := (n + perVillage - 1) / perVillage
	vids := make([]string, villages)
	for v := range vids {
		vids[v] = fmt.Sprintf("5110%08d", v)
	}
	cats := []string{"expense", "income", "deposit", "withdrawal", "subsidy_payout", "collection", "remit"}

	lb := table.NewBuilder(mem, "ledger", spec("ledger"))
	lb.Reserve(n)
	cID, cV, cDate, cAcc, cDir, cAmt, cCat := lb.Col("entry_id"), lb.Col("village_id"), lb.Col("date"), lb.Col("account"), lb.Col("direction"), lb.Col("amount"), lb.Col("category")
	for i := 0; i < n; i++ {
		v, k := i/perVillage, i%perVillage
		lb.SetStr(cID, fmt.Sprintf("L%d", i))
		lb.SetStr(cV, vids[v])
		if k == 0 {
			lb.SetDate(cDate, start)
			lb.SetStr(cAcc, "cash")
			lb.SetStr(cDir, "in")
			lb.SetStr(cCat, "opening")
		} else {
			lb.SetDate(cDate, start+civil.Date(k*span/perVillage))
			lb.SetStr(cAcc, []string{"cash", "bank"}[k%2])
			lb.SetStr(cDir, []string{"in", "out"}[k%3%2])
			lb.SetStr(cCat, cats[k%len(cats)])
		}
		lb.SetInt(cAmt, int64(10000+k*37%90000))
		lb.Next()
	}

	db := table.NewBuilder(mem, "disclosures", spec("disclosures"))
	bb := table.NewBuilder(mem, "beneficiaries", spec("beneficiaries"))
	dID, dV, dItem, dPeriod, dPosted, dRemoved, dAmt := db.Col("disclosure_id"), db.Col("village_id"), db.Col("item"), db.Col("period"), db.Col("posted_on"), db.Col("removed_on"), db.Col("amount_total")
	bCase, bProg, bP, bV, bAppr, bAmt, bHB, bRel := bb.Col("case_id"), bb.Col("program"), bb.Col("person_id"), bb.Col("village_id"), bb.Col("approved_on"), bb.Col("monthly_amount"), bb.Col("handled_by"), bb.Col("relative_filed")
	quarters := []string{"2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4", "2025-Q1"}
	d := 0
	notice := func(v int, item, period string, posted civil.Date, amt int64) {
		db.SetStr(dID, fmt.Sprintf("D%d", d))
		d++
		db.SetStr(dV, vids[v])
		db.SetStr(dItem, item)
		db.SetStr(dPeriod, period)
		db.SetDate(dPosted, posted)
		if d%3 != 0 {
			db.SetDate(dRemoved, posted+60)
		}
		if amt > 0 {
			db.SetInt(dAmt, amt)
		}
		db.Next()
	}
	for v := range vids {
		for q, label := range quarters {
			posted := civil.MonthOf(2024, 4).First() + civil.Date(q*91+5)
			notice(v, "finance", label, posted, 123456)
			notice(v, "dibao_roster", label, posted, 0)
		}
		for c := 0; c < 10; c++ {
			id := fmt.Sprintf("C%d-%d", v, c)
			appr := start + civil.Date(30+c*45)
			for p := 0; p < 2; p++ {
				bb.SetStr(bCase, id)
				bb.SetStr(bProg, "dibao")
				bb.SetStr(bP, fmt.Sprintf("P%d-%d-%d", v, c, p))
				bb.SetStr(bV, vids[v])
				bb.SetDate(bAppr, appr)
				bb.SetInt(bAmt, 50000)
				bb.SetStr(bHB, "H")
				bb.SetBool(bRel, false)
				bb.Next()
			}
			notice(v, "dibao_notice", id, appr-10, 0)
		}
		notice(v, "major_decision", "JC202401", start+100, 0)
		notice(v, "project", "XM202401", start+120, 5000000)
	}
	return map[string]*table.Table{"ledger": lb.Finish(), "disclosures": db.Finish(), "beneficiaries": bb.Finish()}
}

// BenchmarkBuild times the view build at 250k and 1M ledger rows, per view
// and all at once, reporting ns per ledger row, per disclosure and per
// obligation (a flat figure across sizes means the build is linear), and
// the process CPU time per ledger row (cpu-ns/ledger_row, GC included), which
// stays meaningful when other work shares the machine.
func BenchmarkBuild(b *testing.B) {
	asOf := civil.MustParse("2025-06-30")
	res, errs := engine.NewSettingsResolver(&rules.Set{}, nil, nil)
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	for _, n := range []int{250_000, 1_000_000} {
		tables := synth(n)
		nLedger, nDiscl := tables["ledger"].Len(), tables["disclosures"].Len()
		for _, views := range [][]string{{viewObligations}, {viewNotices}, {viewCases}, {viewFinance}, {viewObligations, viewNotices, viewCases, viewFinance}} {
			want := map[string]bool{}
			name := views[0]
			if len(views) > 1 {
				name = "all"
			}
			for _, v := range views {
				want[v] = true
			}
			b.Run(fmt.Sprintf("ledger=%d/%s", n, name), func(b *testing.B) {
				rows := map[string]int{}
				b.ReportAllocs()
				cpu0 := cpuTime()
				for b.Loop() {
					out, err := detector{}.Build(context.Background(), engine.NewInput(detector{}, tables, asOf, 0, 0, want, memory.DefaultAllocator, res))
					if err != nil {
						b.Fatal(err)
					}
					for k, t := range out {
						rows[k] = t.Len()
						t.Release()
					}
				}
				cpu := float64(cpuTime()-cpu0) / float64(b.N)
				per := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
				b.ReportMetric(per/float64(nLedger), "ns/ledger_row")
				b.ReportMetric(per/float64(nDiscl), "ns/disclosure")
				if cpu > 0 {
					b.ReportMetric(cpu/float64(nLedger), "cpu-ns/ledger_row")
				}
				if o := rows[viewObligations]; o > 0 {
					b.ReportMetric(per/float64(o), "ns/obligation")
				}
			})
		}
		for _, t := range tables {
			t.Release()
		}
	}
}
