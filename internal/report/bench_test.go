package report

import (
	"io"
	"os"
	"testing"
)

// BenchmarkRender renders the report of the run in $XIAOWEI_BENCH_RUN
// (e.g. a run over generated data).
func BenchmarkRender(b *testing.B) {
	dir := os.Getenv("XIAOWEI_BENCH_RUN")
	if dir == "" {
		b.Skip("set XIAOWEI_BENCH_RUN to a run's output folder")
	}
	d, err := LoadRun(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := RenderHTML(io.Discard, d, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
