package cash

import (
	"context"
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/table"
)

// synthLedger builds a ledger of about n rows over villages of perVillage
// rows each: an opening, then days of collections, income, deposits,
// withdrawals, cash and bank expenses (some late deposits, some 坐支, some
// split payments), with cadres and persons for the handlers.
func synthLedger(n, perVillage int) map[string]*table.Table {
	mem := memory.NewGoAllocator()
	spec, _ := contract.Lookup("ledger")
	lb := table.NewBuilder(mem, "ledger", table.ContractCols(spec))
	lb.Reserve(n)
	cspec, _ := contract.Lookup("cadres")
	cb := table.NewBuilder(mem, "cadres", table.ContractCols(cspec))
	pspec, _ := contract.Lookup("persons")
	pb := table.NewBuilder(mem, "persons", table.ContractCols(pspec))
	col := func(b *table.Builder, name string) int { return b.Col(name) }
	cEntry, cVil, cDate, cVch := col(lb, "entry_id"), col(lb, "village_id"), col(lb, "date"), col(lb, "voucher_no")
	cAcct, cDir, cAmt, cCat := col(lb, "account"), col(lb, "direction"), col(lb, "amount"), col(lb, "category")
	cCP, cSum, cBy, cAppr := col(lb, "counterparty"), col(lb, "summary"), col(lb, "handled_by"), col(lb, "approved_by")
	r := rand.New(rand.NewPCG(1, 2))
	start := civil.MustParse("2024-01-01")
	row := 0
	for v := 0; row < n; v++ {
		vid := fmt.Sprintf("5110021%05d", v)
		cashier, acct, dir := vid+"C", vid+"A", vid+"D"
		for _, c := range [][2]string{{cashier, "cashier"}, {acct, "accountant"}, {dir, "director"}} {
			cb.SetStr(0, c[0])
			cb.SetStr(1, vid)
			cb.SetStr(2, c[1])
			cb.SetDate(3, civil.MustParse("2021-01-01"))
			cb.Next()
			pb.SetStr(0, c[0])
			pb.SetStr(1, "张"+c[1])
			pb.SetStr(col(pb, "village_id"), vid)
			pb.Next()
		}
		add := func(d civil.Date, account, direction string, amt int64, cat, cp, by string) {
			lb.SetStr(cEntry, fmt.Sprintf("L%s%06d", vid, row))
			lb.SetStr(cVil, vid)
			lb.SetDate(cDate, d)
			lb.SetStr(cVch, "V")
			lb.SetStr(cAcct, account)
			lb.SetStr(cDir, direction)
			lb.SetInt(cAmt, amt)
			lb.SetStr(cCat, cat)
			if cp != "" {
				lb.SetStr(cCP, cp)
			}
			lb.SetStr(cSum, "摘要")
			lb.SetStr(cBy, by)
			lb.SetStr(cAppr, dir)
			lb.Next()
			row++
		}
		add(start, "cash", "in", 200000, "opening", "", "")
		d := start
		for k := 1; k < perVillage && row < n; {
			d++
			amt := int64(10000 + r.IntN(400000))
			switch r.IntN(6) {
			case 0: // collection, banked within 1..5 days
				h := cashier
				if r.IntN(20) == 0 {
					h = dir
				}
				add(d, "cash", "in", amt, "collection", "区医保局", h)
				add(d+civil.Date(1+r.IntN(5)), "cash", "out", amt, "deposit", "", cashier)
				k += 2
			case 1: // income, partly spent on the spot now and then
				add(d, "cash", "in", amt, "income", "摊位户", cashier)
				if r.IntN(4) == 0 {
					add(d, "cash", "out", amt/2, "expense", "临时工", cashier)
					add(d+1, "cash", "out", amt-amt/2, "deposit", "", cashier)
				} else {
					add(d+1, "cash", "out", amt, "deposit", "", cashier)
				}
				k += 2
			case 2: // withdrawal and a cash expense
				add(d, "cash", "in", amt, "withdrawal", "", cashier)
				add(d, "cash", "out", amt, "expense", fmt.Sprintf("供应商%d", r.IntN(8)), cashier)
				k += 2
			default: // bank expense, some split-looking
				add(d, "bank", "out", amt, "expense", fmt.Sprintf("供应商%d", r.IntN(8)), acct)
				k++
			}
		}
	}
	return map[string]*table.Table{"ledger": lb.Finish(), "cadres": cb.Finish(), "persons": pb.Finish()}
}

// BenchmarkBuild measures the detector over 1M ledger rows (1,000 villages
// of 1,000 rows): index, per-village replay and split search, emitting the
// views, on every core and (one-chunk) on one. ns/row is per ledger row.
func BenchmarkBuild(b *testing.B) {
	const n = 1_000_000
	tables := synthLedger(n, 1000)
	res, _ := engine.NewSettingsResolver(nil, nil, engine.Geography{})
	all := map[string]bool{}
	for _, v := range (detector{}).Views() {
		all[v.Name] = true
	}
	noHandlers := map[string]bool{}
	for k := range all {
		noHandlers[k] = k != vHandlers
	}
	for _, bc := range []struct {
		name   string
		want   map[string]bool
		chunks int // forceChunks: 1 = on one core, 0 = on every core
	}{{"all-views", all, 0}, {"all-views-one-chunk", all, 1}, {"without-handlers", noHandlers, 0},
		{"collections-only", map[string]bool{vCollections: true}, 0}} {
		b.Run(bc.name, func(b *testing.B) {
			defer func(force int) { forceChunks = force }(forceChunks)
			forceChunks = bc.chunks
			mem := memory.NewGoAllocator()
			in := engine.NewInput(detector{}, tables, civil.MustParse("2025-06-30"), 0, 0, bc.want, mem, res)
			b.ReportAllocs()
			cpu0 := cpuTime()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				out, err := detector{}.Build(context.Background(), in)
				if err != nil {
					b.Fatal(err)
				}
				for _, t := range out {
					t.Release()
				}
			}
			b.StopTimer()
			rows := float64(b.N) * float64(tables["ledger"].Len())
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/rows, "ns/row")
			// CPU time of the process (detector + GC) per row: the honest
			// figure on a shared, overloaded machine where wall time waits.
			b.ReportMetric(float64(cpuTime()-cpu0)/rows, "cpu-ns/row")
		})
	}
}

// cpuTime is the process's user+system CPU time in ns.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
