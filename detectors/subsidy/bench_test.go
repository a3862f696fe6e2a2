package subsidy_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/detectors/kinship"
	"github.com/neijiang/xiaowei/detectors/subsidy"
	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/table"
)

// synth builds a province-like slice: nPersons in households of four (head,
// spouse, two children) over villages of 1,000 persons, 10 cadres per
// village, one kinship row per 10 persons, one beneficiary per 20 persons
// and 12 payments per beneficiary.
func synth(nPersons int) map[string]*table.Table {
	mk := func(name string, n int, row func(b *table.Builder, i int)) *table.Table {
		spec, _ := contract.Lookup(name)
		b := table.NewBuilder(memory.DefaultAllocator, name, table.ContractCols(spec))
		b.Reserve(n)
		for i := 0; i < n; i++ {
			row(b, i)
			b.Next()
		}
		return b.Finish()
	}
	pid := func(i int) string { return fmt.Sprintf("51100219%010d", i) }
	vid := func(i int) string { return fmt.Sprintf("511002%06d", i/1000) }
	roles := []string{"head", "spouse", "child", "child"}
	day := civil.MustParse("2021-01-01")
	t := map[string]*table.Table{}
	t["villages"] = mk("villages", nPersons/1000, func(b *table.Builder, i int) {
		b.SetStr(0, vid(i*1000))
		b.SetStr(1, "村")
		b.SetStr(2, vid(i * 1000)[:9])
		b.SetStr(3, "镇")
		b.SetStr(4, "511002")
		b.SetStr(5, "市中区")
	})
	t["persons"] = mk("persons", nPersons, func(b *table.Builder, i int) {
		b.SetStr(0, pid(i))
		b.SetStr(1, "某")
		b.SetStr(2, "M")
		b.SetDate(3, day-20000)
		b.SetStr(4, fmt.Sprintf("H%d", i/4))
		b.SetStr(5, roles[i%4])
		b.SetStr(6, vid(i))
	})
	t["kinship"] = mk("kinship", nPersons/10, func(b *table.Builder, i int) {
		b.SetStr(0, pid(i*10))
		b.SetStr(1, pid(i*10+7))
		b.SetStr(2, "sibling")
	})
	t["cadres"] = mk("cadres", nPersons/100, func(b *table.Builder, i int) {
		b.SetStr(0, pid(i*100+1))
		b.SetStr(1, vid(i*100+1))
		b.SetStr(2, "committee_member")
		b.SetDate(3, day)
	})
	nb := nPersons / 20
	t["beneficiaries"] = mk("beneficiaries", nb, func(b *table.Builder, i int) {
		p := i*20 + 2 // a child of a household; a cadre's child every fifth
		b.SetStr(0, fmt.Sprintf("C%d", i))
		b.SetStr(1, "dibao")
		b.SetStr(2, pid(p))
		b.SetStr(3, vid(p))
		b.SetDate(4, day+100)
		b.SetDate(5, day+120)
		b.SetInt(7, 50000)
		b.SetStr(8, pid(p-1))
		b.SetBool(9, false)
	})
	t["payments"] = mk("payments", nb*12, func(b *table.Builder, i int) {
		c := i / 12
		p := c*20 + 2
		b.SetStr(0, fmt.Sprintf("Y%d", i))
		b.SetStr(1, fmt.Sprintf("C%d", c))
		b.SetStr(2, pid(p))
		b.SetStr(3, "dibao")
		b.SetStr(4, fmt.Sprintf("2024-%02d", i%12+1))
		b.SetInt(5, 50000)
		b.SetDate(6, civil.MonthOf(2024, 1).First()+civil.Date(30*(i%12)))
		b.SetStr(7, "A"+pid(p-2))
		b.SetStr(8, pid(p-2))
	})
	return t
}

const benchPersons = 1_000_000

// cpuTime is the process's user+system CPU time: on a shared, loaded
// machine wall time per op says more about the neighbours than about us.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// report adds ns/row (wall) and cpu-ns/row (CPU time of the process,
// including GC).
func report(b *testing.B, cpu0 time.Duration, rows int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(rows), "ns/row")
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N)/float64(rows), "cpu-ns/row")
}

// BenchmarkGraphBuild: the relation graph over 1M persons + 100k kinship
// rows; ns/row is per persons + kinship row.
func BenchmarkGraphBuild(b *testing.B) {
	for _, n := range []int{benchPersons / 10, benchPersons} {
		b.Run(fmt.Sprintf("persons=%d", n), func(b *testing.B) {
			tabs := synth(n)
			rows := tabs["persons"].Len() + tabs["kinship"].Len()
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				g := kinship.Build(tabs["persons"], tabs["kinship"], nil)
				if g.Len() != n {
					b.Fatal(g.Len())
				}
			}
			report(b, cpu0, rows)
		})
	}
}

// BenchmarkViews: the subsidy detector building every view (graph
// included) over 1M persons, 100k kinship rows, 10k cadres, 50k
// beneficiaries and 600k payments; ns/row is per input row of all tables.
func BenchmarkViews(b *testing.B) {
	for _, views := range [][]string{{subsidy.ViewLinks, subsidy.ViewHandlers}, {subsidy.ViewLinks, subsidy.ViewHandlers, subsidy.ViewPayments, subsidy.ViewEnrolments, subsidy.ViewIDChecks}} {
		b.Run(fmt.Sprintf("views=%d", len(views)), func(b *testing.B) {
			tabs := synth(benchPersons)
			rows := 0
			for _, t := range tabs {
				rows += t.Len()
			}
			set, err := rules.LoadDirs([]string{"../../rules"})
			if err != nil {
				b.Fatal(err)
			}
			geo := engine.GeographyOf(tabs["villages"])
			res, errs := engine.NewSettingsResolver(set, nil, geo)
			if len(errs) > 0 {
				b.Fatal(errs)
			}
			_, d, _ := engine.LookupView(subsidy.ViewLinks)
			want := map[string]bool{}
			for _, v := range views {
				want[v] = true
			}
			b.ReportAllocs()
			b.ResetTimer()
			var links int
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				in := engine.NewInput(d, tabs, civil.MustParse("2025-06-30"), 0, 0, want, memory.DefaultAllocator, res)
				out, err := d.Build(context.Background(), in)
				if err != nil {
					b.Fatal(err)
				}
				links = out[subsidy.ViewLinks].Len()
				for _, t := range out {
					t.Release()
				}
			}
			report(b, cpu0, rows)
			b.ReportMetric(float64(links), "links")
		})
	}
}
