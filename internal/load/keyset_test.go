package load

import (
	"math/rand/v2"
	"testing"
)

// TestKeySetMatchesMap drives a keySet and a map[uint64]keyRef with the
// same lookups (few distinct hashes, so repeats are common, and zero
// hashes, rows and lines) and requires the same answers, across growth.
func TestKeySetMatchesMap(t *testing.T) {
	for _, hint := range []int{0, 10, 5000} {
		r := rand.New(rand.NewPCG(1, uint64(hint)))
		s := newKeySet(hint)
		m := map[uint64]keyRef{}
		for row := range 20000 {
			h := r.Uint64N(12000)
			if row%7 == 0 {
				h = r.Uint64() // spread over the whole range too
			}
			ref := keyRef{row: uint32(row), line: uint32(r.IntN(3))}
			gotRef, gotOK := s.lookup(h, ref)
			wantRef, wantOK := m[h]
			if !wantOK {
				m[h] = ref
				wantRef = ref
			}
			if gotRef != wantRef || gotOK != wantOK {
				t.Fatalf("hint %d row %d hash %d: got %+v %v, want %+v %v", hint, row, h, gotRef, gotOK, wantRef, wantOK)
			}
		}
		if s.n != len(m) {
			t.Fatalf("%d keys, map has %d", s.n, len(m))
		}
	}
}
