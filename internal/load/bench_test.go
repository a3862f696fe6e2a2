package load

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// writeBenchLedger writes a generated ledger.csv of rows rows, entry ids
// in increasing order or shuffled (the duplicate-key check differs).
func writeBenchLedger(b *testing.B, path string, rows int, shuffled bool) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, ledgerHeader)
	cats := []string{"income", "expense", "deposit", "withdrawal", "subsidy_payout"}
	for i := range rows {
		id := i
		if shuffled {
			id = (i * 7919) % rows // a permutation: rows is not a multiple of 7919
		}
		fmt.Fprintf(w, "E%08d,3201%08d,2024-%02d-%02d,P%06d,%s,%s,%d.%02d,%s,某某建材商店,购买办公用品,32010%013d,\n",
			id, i%500, i%12+1, i%28+1, i/3, []string{"cash", "bank"}[i%2], []string{"in", "out"}[i%2/1],
			i%100000+1, i%100, cats[i%len(cats)], i%997)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkLoadCSV loads a generated 200k-row ledger.csv from disk, and
// the same rows written as Parquet by WriteParquet.
func BenchmarkLoadCSV(b *testing.B) {
	const rows = 200_000
	s := spec(b, "ledger")
	ctx := context.Background()
	for _, shuffled := range []bool{false, true} {
		dir := b.TempDir()
		path := filepath.Join(dir, "ledger.csv")
		writeBenchLedger(b, path, rows, shuffled)
		pq := filepath.Join(dir, "ledger.parquet")
		tb, _, _, err := loadCSVFile(ctx, s, path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if err := WriteParquet(pq, tb); err != nil {
			b.Fatal(err)
		}
		tb.Release()
		for _, format := range []string{"csv", "parquet"} {
			b.Run(fmt.Sprintf("%s/shuffled=%v", format, shuffled), func(b *testing.B) {
				b.ReportAllocs()
				cpu := cpuTime()
				for b.Loop() {
					var st TableStats
					var rejects []Reject
					if format == "csv" {
						tb, st, rejects, err = loadCSVFile(ctx, s, path, Options{})
					} else {
						tb, st, rejects, err = loadParquetFile(ctx, s, pq, Options{})
					}
					if err != nil || len(rejects) > 0 || st.Loaded != rows {
						b.Fatalf("%v %d %+v", err, st.Loaded, rejects[:min(3, len(rejects))])
					}
					tb.Release()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rows*b.N), "ns/row")
				b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(rows*b.N), "cpu-ns/row")
			})
		}
	}
}

// BenchmarkLoadDir loads the generated S dataset (bench/data/v300/csv,
// made by bench/run.sh or xiaowei gen); skipped when it is absent.
func BenchmarkLoadDir(b *testing.B) {
	dir := filepath.Join("..", "..", "bench", "data", "v300", "csv")
	if _, err := os.Stat(filepath.Join(dir, "ledger.csv")); err != nil {
		b.Skip("no bench/data/v300/csv")
	}
	b.ReportAllocs()
	rows := 0
	for i := 0; i < b.N; i++ {
		d, err := Load(context.Background(), dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		rows = 0
		for _, s := range d.Stats {
			rows += s.Read
		}
		d.Release()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rows*b.N), "ns/row")
}
