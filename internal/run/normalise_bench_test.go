package run

import (
	"context"
	"maps"
	"os"
	"testing"

	"github.com/neijiang/xiaowei/internal/load"
)

// BenchmarkNormaliseTables measures the normalise stage on a generated
// dataset: XIAOWEI_BENCH_DATA=DIR (from `xiaowei gen`), skipped otherwise.
func BenchmarkNormaliseTables(b *testing.B) {
	dir := os.Getenv("XIAOWEI_BENCH_DATA")
	if dir == "" {
		b.Skip("set XIAOWEI_BENCH_DATA to a generated dataset folder")
	}
	ds, err := load.Load(context.Background(), dir, load.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer ds.Release()
	rows := 0
	for _, st := range ds.Stats {
		rows += st.Loaded
	}
	b.ResetTimer()
	for b.Loop() {
		normal := maps.Clone(ds.Tables)
		changes, err := normaliseTables(normal, ds.Tables, nil)
		if err != nil {
			b.Fatal(err)
		}
		if len(changes) != 0 {
			b.Fatalf("%d changes in generated data", len(changes))
		}
		releaseNew(normal, ds.Tables)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(rows), "ns/row")
}
