package ident

import (
	"fmt"
	"testing"
)

func TestSieve(t *testing.T) {
	cases := []struct {
		name string
		keys []string
	}{
		{"empty set", nil},
		{"short keys", []string{"", "a", "ab", "1234567"}},
		{"ID numbers", []string{"511002195912060011", "511002195801090007", "51100219800101123X"}},
		{"ledger entries", []string{"L511002101204000217", "L511002101204000228", "L511002101205000217"}},
		{"long keys", []string{"village 511002101204 / matter M-2024-000001 / step resolve"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := NewSieve(len(c.keys))
			for _, k := range c.keys {
				s.Add(k)
			}
			for _, k := range c.keys {
				if !s.Has(k) || !s.HasBytes([]byte(k)) {
					t.Errorf("Has(%q) = false for an added key", k)
				}
			}
		})
	}
}

// TestSieveRulesOut checks that the sieve turns away most keys not in it,
// on keys shaped as the ledger's: 1,000 members among 100,000 entries of
// 100 villages that share their sequence numbers.
func TestSieveRulesOut(t *testing.T) {
	s := NewSieve(1000)
	in := map[string]bool{}
	for i := 0; i < 100_000; i += 100 {
		k := entryID(i)
		s.Add(k)
		in[k] = true
	}
	passed := 0
	for i := 0; i < 100_000; i++ {
		k := entryID(i)
		if s.Has(k) && !in[k] {
			passed++
		}
	}
	if passed > 5000 { // 1 in 64 expected (about 1,550); 1 in 20 would be a broken hash
		t.Errorf("%d of 99,000 absent keys passed the sieve", passed)
	}
	if !s.HasBytes([]byte(entryID(200))) {
		t.Error("HasBytes false for an added key")
	}
}

func entryID(i int) string { return fmt.Sprintf("L511002101%03d%06d", i%100, i/100) }

// BenchmarkSieve reports ns per probe of a string that is mostly absent.
func BenchmarkSieve(b *testing.B) {
	const n = 1 << 16
	keys := make([]string, n)
	s := NewSieve(n / 256)
	for i := range keys {
		keys[i] = entryID(i)
		if i%256 == 0 {
			s.Add(keys[i])
		}
	}
	hits := 0
	for b.Loop() {
		for _, k := range keys {
			if s.Has(k) {
				hits++
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/probe")
}
