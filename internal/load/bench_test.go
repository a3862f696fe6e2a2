package load

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkLoadCSV loads a generated 200k-row ledger.csv from disk.
func BenchmarkLoadCSV(b *testing.B) {
	const rows = 200_000
	path := filepath.Join(b.TempDir(), "ledger.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, ledgerHeader)
	cats := []string{"income", "expense", "deposit", "withdrawal", "subsidy_payout"}
	for i := range rows {
		fmt.Fprintf(w, "E%08d,3201%08d,2024-%02d-%02d,P%06d,%s,%s,%d.%02d,%s,某某建材商店,购买办公用品,32010%013d,\n",
			i, i%500, i%12+1, i%28+1, i/3, []string{"cash", "bank"}[i%2], []string{"in", "out"}[i%2/1],
			i%100000+1, i%100, cats[i%len(cats)], i%997)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	s := spec(b, "ledger")
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tb, st, rejects, err := loadCSVFile(ctx, s, path, Options{})
		if err != nil || len(rejects) > 0 || st.Loaded != rows {
			b.Fatalf("%v %d %+v", err, st.Loaded, rejects[:min(3, len(rejects))])
		}
		tb.Release()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rows*b.N), "ns/row")
}
