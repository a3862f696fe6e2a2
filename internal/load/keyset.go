package load

// keySet maps a key's 64-bit hash to its first accepted row, like a
// map[uint64]keyRef but with open addressing over one slice: a lookup
// touches one 16-byte slot (usually one cache line), where a Go map touches
// a control word and a slot in a 136-byte group. Key checks were the
// largest cost in committing a chunk (one random memory access per row).
//
// A slot's row is stored plus one, so a zero slot is empty (a table has
// fewer than 2^32-1 rows: commit stops at that).
type keySet struct {
	slots []keySlot
	n     int
}

type keySlot struct {
	h          uint64
	row1, line uint32 // row1 = keyRef.row + 1; 0 = empty
}

// newKeySet makes a set for about n keys without growing.
func newKeySet(n int) *keySet {
	size := 16
	for 3*size < 4*n {
		size *= 2
	}
	return &keySet{slots: make([]keySlot, size)}
}

// lookup returns h's row, or stores ref for h and returns ok = false.
func (s *keySet) lookup(h uint64, ref keyRef) (prev keyRef, ok bool) {
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		sl := &s.slots[i]
		if sl.row1 == 0 {
			*sl = keySlot{h: h, row1: ref.row + 1, line: ref.line}
			s.n++
			// At most 3/4 full: probes stay within a cache line or two,
			// and the table is no bigger than a Go map's (16 bytes a slot).
			if 4*s.n > 3*len(s.slots) {
				s.grow()
			}
			return ref, false
		}
		if sl.h == h {
			return keyRef{row: sl.row1 - 1, line: sl.line}, true
		}
	}
}

func (s *keySet) grow() {
	old := s.slots
	s.slots = make([]keySlot, 2*len(old))
	mask := uint64(len(s.slots) - 1)
	for _, sl := range old {
		if sl.row1 == 0 {
			continue
		}
		i := sl.h & mask
		for s.slots[i].row1 != 0 {
			i = (i + 1) & mask
		}
		s.slots[i] = sl
	}
}
