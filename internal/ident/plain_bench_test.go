package ident

import (
	"fmt"
	"testing"
	"unicode/utf8"
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

// BenchmarkNamesColumn reports ns per value of the run's check of a
// register's names column (a million names of two to four characters, all
// normal): one PlainColumn pass, or the values one by one as the run does
// when that pass says no.
func BenchmarkNamesColumn(b *testing.B) {
	const n = 1 << 20
	chars := []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗建国芳静强明")
	var buf []byte
	offsets := make([]int32, 0, n+1)
	offsets = append(offsets, 0)
	for i := 0; i < n; i++ {
		for j := 0; j < 2+i%3; j++ {
			buf = utf8.AppendRune(buf, chars[(i*7+j*13)%len(chars)])
		}
		offsets = append(offsets, int32(len(buf)))
	}
	b.Run("column", func(b *testing.B) {
		for b.Loop() {
			if !PlainColumn(buf, offsets, Name) {
				b.Fatal("not plain")
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/row")
	})
	b.Run("values", func(b *testing.B) {
		for b.Loop() {
			for i := 1; i < len(offsets); i++ {
				if _, changed := Normalize(string(buf[offsets[i-1]:offsets[i]]), Name); changed {
					b.Fatal("changed")
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/row")
	})
}
