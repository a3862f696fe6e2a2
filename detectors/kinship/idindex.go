package kinship

import "hash/maphash"

// idIndex maps person_id to node (and household_id to ordinal): open addressing (linear probing) over a
// power-of-two array of node+1 (0 = empty), the keys read back from the
// graph's ids. Against a map[string]int32 of millions of persons it is
// pointer-free (the GC does not scan it), half the size, and a lookup or an
// insert is one probe sequence.
type idIndex struct {
	seed  maphash.Seed
	slots []int32
	n     int
}

func newIDIndex(capacity int) idIndex {
	x := idIndex{seed: maphash.MakeSeed()}
	x.resize(capacity)
	return x
}

// resize makes room for capacity keys at a load of at most one half.
func (x *idIndex) resize(capacity int) {
	size := 16
	for size < 2*capacity {
		size <<= 1
	}
	x.slots = make([]int32, size)
}

// find returns id's node, or -1 and the slot where it goes.
func (x *idIndex) find(ids []string, id string) (node int32, slot int) {
	mask := uint64(len(x.slots) - 1)
	i := maphash.String(x.seed, id) & mask
	for {
		s := x.slots[i]
		if s == 0 {
			return -1, int(i)
		}
		if ids[s-1] == id {
			return s - 1, int(i)
		}
		i = (i + 1) & mask
	}
}

// add stores the last of ids (node len(ids)-1) at the slot find returned
// for it, growing the table when it is half full.
func (x *idIndex) add(ids []string, slot int) {
	x.slots[slot] = int32(len(ids))
	x.n++
	if 2*x.n <= len(x.slots) {
		return
	}
	x.resize(2 * x.n)
	for node, id := range ids {
		_, s := x.find(ids[:node], id)
		x.slots[s] = int32(node + 1)
	}
}
