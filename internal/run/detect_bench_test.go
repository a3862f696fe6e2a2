package run

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/gen"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/rules"
)

// BenchmarkPipelineWorkers measures the pipeline (normalise, scope, the
// detectors, evaluate) with the shipped rules on one and on two workers:
// the detectors share the workers. XIAOWEI_BENCH_DATA=DIR (from `xiaowei
// gen`) names the data; otherwise a small dataset is generated. ns/row is
// per loaded row.
func BenchmarkPipelineWorkers(b *testing.B) {
	dir := os.Getenv("XIAOWEI_BENCH_DATA")
	if dir == "" {
		dir = filepath.Join(b.TempDir(), "data")
		cfg := gen.Config{Villages: 40, Seed: 3, PersonsPerVillage: 150, LedgerPerYear: 300, AnomalyRate: 0.2}
		if _, err := gen.Generate(context.Background(), cfg, dir); err != nil {
			b.Fatal(err)
		}
	}
	set, err := rules.LoadDirs([]string{filepath.Join("..", "..", "rules")})
	if err != nil {
		b.Fatal(err)
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
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			for b.Loop() {
				cfg := EvalConfig{Rules: set, Scope: Scope{AsOf: civil.MustParse("2025-06-30")}, Workers: workers}
				if _, err := Pipeline(context.Background(), ds.Tables, cfg); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(rows), "ns/row")
		})
	}
}
