package source

import (
	"context"
	"testing"

	"github.com/neijiang/xiaowei/internal/load"
)

// BenchmarkLoadTable loads each table of the mapped fixture (ns per source
// row is reported as ns/row).
func BenchmarkLoadTable(b *testing.B) {
	m, err := ReadMapping(exportFixture + "/sources.yaml")
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"persons", "payments", "ledger", "disclosures"} {
		b.Run(name, func(b *testing.B) {
			rows := 0
			for b.Loop() {
				t, st, _, err := LoadTable(context.Background(), m, m.Tables[name], load.Options{})
				if err != nil {
					b.Fatal(err)
				}
				t.Release()
				rows = st.Read
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(rows), "ns/row")
		})
	}
}
