// Package bench holds the benchmarks that need a generated dataset: run
// bench/run.sh once (it generates bench/data/v300), then
//
//	go test -run XXX -bench . -benchtime 3x ./bench/
//
// They skip when the data is absent. BENCH_DATA=bench/data/v2000 picks
// another size.
package bench

import (
	"bufio"
	"context"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	_ "github.com/neijiang/xiaowei/detectors/all"
	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/partition"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/run"
)

func dataDir(b *testing.B) string {
	d := os.Getenv("BENCH_DATA")
	if d == "" {
		d = "data/v300"
	}
	if _, err := os.Stat(filepath.Join(d, "csv", ".done")); err != nil {
		b.Skipf("no generated data in %s: run bench/run.sh first", d)
	}
	return d
}

var asOf = civil.MustParse("2025-06-30")

func rowsOf(ds *load.Dataset) int {
	n := 0
	for _, s := range ds.Stats {
		n += s.Read
	}
	return n
}

// BenchmarkLoad: the whole dataset, CSV and Parquet, ns and allocs per row.
func BenchmarkLoad(b *testing.B) {
	d := dataDir(b)
	for _, format := range []string{"csv", "parquet"} {
		b.Run(format, func(b *testing.B) {
			b.ReportAllocs()
			rows := 0
			for i := 0; i < b.N; i++ {
				ds, err := load.Load(context.Background(), filepath.Join(d, format), load.Options{AsOf: asOf})
				if err != nil {
					b.Fatal(err)
				}
				rows = rowsOf(ds)
				ds.Release()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
			b.ReportMetric(float64(rows), "rows")
		})
	}
}

// BenchmarkRules evaluates each shipped rule alone (detectors build only the
// rule's view); ns/row is the evaluate stage over the rows the rule read,
// ns/op includes building the view.
func BenchmarkRules(b *testing.B) {
	d := dataDir(b)
	ds, err := load.Load(context.Background(), filepath.Join(d, "csv"), load.Options{AsOf: asOf})
	if err != nil {
		b.Fatal(err)
	}
	defer ds.Release()
	set, err := rules.LoadDirs([]string{"../rules"})
	if err != nil {
		b.Fatal(err)
	}
	var ids []string
	for _, r := range set.Rules() {
		ids = append(ids, r.ID)
	}
	sort.Strings(ids)
	plan, _ := engine.Compile(set, nil, engine.Geography{})
	colWise := map[string]float64{}
	for _, c := range plan.Rules {
		if c.ColumnWise() {
			colWise[c.Rule.ID] = 1
		}
	}
	for _, id := range ids {
		b.Run(id, func(b *testing.B) {
			var eval time.Duration
			rows := 0
			for i := 0; i < b.N; i++ {
				ev, err := run.Pipeline(context.Background(), ds.Tables, run.EvalConfig{Rules: set, Only: map[string]bool{id: true}, Scope: run.Scope{AsOf: asOf}})
				if err != nil {
					b.Fatal(err)
				}
				eval += time.Duration(ev.Stages["evaluate"] * 1e9)
				rows = 0
				for _, s := range ev.Result.Stats {
					rows += s.Rows
				}
			}
			if rows > 0 {
				b.ReportMetric(float64(eval.Nanoseconds())/float64(b.N*rows), "eval-ns/row")
			}
			b.ReportMetric(float64(rows), "rows")
			b.ReportMetric(colWise[id], "columnwise")
		})
	}
}

// BenchmarkFloor is the physical floor of loading the CSV dataset: reading
// the bytes (page cache) and splitting them into records with encoding/csv,
// with no type conversion, validation or Arrow building.
func BenchmarkFloor(b *testing.B) {
	d := filepath.Join(dataDir(b), "csv")
	files, _ := filepath.Glob(filepath.Join(d, "*.csv"))
	b.Run("read", func(b *testing.B) {
		var n int64
		for i := 0; i < b.N; i++ {
			n = 0
			for _, f := range files {
				data, err := os.ReadFile(f)
				if err != nil {
					b.Fatal(err)
				}
				n += int64(len(data))
			}
		}
		b.SetBytes(n)
	})
	b.Run("split", func(b *testing.B) {
		rows, bytes := 0, int64(0)
		for i := 0; i < b.N; i++ {
			rows, bytes = 0, 0
			for _, f := range files {
				fh, err := os.Open(f)
				if err != nil {
					b.Fatal(err)
				}
				st, _ := fh.Stat()
				bytes += st.Size()
				r := csv.NewReader(bufio.NewReaderSize(fh, 1<<20))
				r.ReuseRecord = true
				r.FieldsPerRecord = -1
				for {
					if _, err := r.Read(); err == io.EOF {
						break
					} else if err != nil {
						b.Fatal(err)
					}
					rows++
				}
				fh.Close()
			}
		}
		b.SetBytes(bytes)
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
	})
}

// BenchmarkSplit: the county split of a partitioned run (one pass over the
// CSV: records, key columns, byte ranges, SHA-256), ns per row.
func BenchmarkSplit(b *testing.B) {
	d := filepath.Join(dataDir(b), "csv")
	rows := 0
	for i := 0; i < b.N; i++ {
		plan, err := partition.SplitCSV(context.Background(), d)
		if err != nil {
			b.Fatal(err)
		}
		rows = 0
		for _, n := range plan.Rows {
			rows += n
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
	b.ReportMetric(float64(rows), "rows")
}
