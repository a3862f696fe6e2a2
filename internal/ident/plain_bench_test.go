package ident

import (
	"fmt"
	"testing"
)

// BenchmarkPlainColumn reports ns per value of the run's check of a whole
// id column (a million 18-digit person ids, all plain).
func BenchmarkPlainColumn(b *testing.B) {
	const n = 1 << 20
	var buf []byte
	offsets := make([]int32, 0, n+1)
	offsets = append(offsets, 0)
	for i := 0; i < n; i++ {
		buf = fmt.Appendf(buf, "5110021970%08d", i)
		offsets = append(offsets, int32(len(buf)))
	}
	for b.Loop() {
		if !PlainColumn(buf, offsets, Person) {
			b.Fatal("not plain")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/row")
}
