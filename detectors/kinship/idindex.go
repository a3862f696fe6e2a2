package kinship

import "hash/maphash"

// idIndex maps person_id to node (one shard of a shardedIndex; or, while a
// graph is built, household_id to its first run, see firstOf): open
// addressing (linear probing) over a power-of-two array of slots, the keys
// read back from the graph's ids. Against a map[string]int32 of millions of
// persons it is pointer-free (the GC does not scan it) and a lookup or an
// insert is one probe sequence.
//
// A slot holds node+1 (0 = empty) in its low 32 bits and the top 32 bits
// of the key's hash (its tag) in its high 32 bits. A probe compares tags
// first and reads a key back (ids[node]: its string header, then its
// bytes, two cache misses in a table of millions) only when the tags
// agree, which for a key not in the index is almost never: building the
// index of 2.4M persons, where nearly every id is new, was 90% such key
// reads before the tags.
type idIndex struct {
	seed  maphash.Seed
	slots []uint64
	n     int
}

// probe is where find stopped: the slot a missing key goes to, and its tag.
type probe struct {
	slot int
	tag  uint32
}

// maxLoad is the share of slots in use at which the index grows (5/8):
// with tags a long probe sequence is a few adjacent words of one or two
// cache lines, so the index can be fuller than one of bare node numbers and
// take no more memory (8-byte slots at 5/8 against 4-byte slots at 1/2).
const maxLoadNum, maxLoadDen = 5, 8

// resize makes room for capacity keys at a load of at most maxLoad.
func (x *idIndex) resize(capacity int) {
	size := 16
	for size*maxLoadNum < capacity*maxLoadDen {
		size <<= 1
	}
	x.slots = make([]uint64, size)
}

// hash is the hash findHashed and findKey take.
func (x *idIndex) hash(id string) uint64 { return maphash.String(x.seed, id) }

// findKey is findHashed for the key ids[k], read only when a slot's tag
// agrees: a caller going through ids out of order does not miss the cache
// on every key's string header.
func (x *idIndex) findKey(ids []string, k int32, h uint64) (node int32, p probe) {
	tag := uint32(h >> 32)
	mask := uint64(len(x.slots) - 1)
	i := h & mask
	for {
		s := x.slots[i]
		if s == 0 {
			return -1, probe{slot: int(i), tag: tag}
		}
		if uint32(s>>32) == tag && ids[uint32(s)-1] == ids[k] {
			return int32(uint32(s) - 1), probe{slot: int(i), tag: tag}
		}
		i = (i + 1) & mask
	}
}

// findHashed is find for an id whose hash is h.
func (x *idIndex) findHashed(ids []string, id string, h uint64) (node int32, p probe) {
	tag := uint32(h >> 32)
	mask := uint64(len(x.slots) - 1)
	i := h & mask
	for {
		s := x.slots[i]
		if s == 0 {
			return -1, probe{slot: int(i), tag: tag}
		}
		if uint32(s>>32) == tag && ids[uint32(s)-1] == id {
			return int32(uint32(s) - 1), probe{slot: int(i), tag: tag}
		}
		i = (i + 1) & mask
	}
}

// add stores the last of ids (node len(ids)-1) where find said it goes,
// growing the index when it is full (at maxLoad).
func (x *idIndex) add(ids []string, p probe) { x.addNode(ids, p, int32(len(ids)-1)) }

// addNode stores node (its key is ids[node]) where find said it goes.
func (x *idIndex) addNode(ids []string, p probe, node int32) {
	x.put(p, node)
	if x.n*maxLoadDen > len(x.slots)*maxLoadNum {
		x.grow(ids)
	}
}

// put stores node where find said its key goes.
func (x *idIndex) put(p probe, node int32) {
	x.slots[p.slot] = uint64(p.tag)<<32 | uint64(node+1)
	x.n++
}

// grow doubles the slots and moves the keys over (from the old slots, so
// that an index holding some of ids, a shard, moves only its own).
func (x *idIndex) grow(ids []string) {
	old := x.slots
	x.slots = make([]uint64, 2*len(old))
	mask := uint64(len(x.slots) - 1)
	for _, s := range old {
		if s == 0 {
			continue
		}
		i := x.hash(ids[uint32(s)-1]) & mask
		for x.slots[i] != 0 { // keys are distinct: the first free slot
			i = (i + 1) & mask
		}
		x.slots[i] = s
	}
}

// shardBits: the sharded index has 1<<shardBits shards.
const shardBits = 8

// shardedIndex is an idIndex cut in shards by the top bits of the hash.
// A register's ids can then be indexed shard by shard, each shard's slots
// (1/256 of the index) staying in cache while its keys go in, and shards
// on different cores at once (see Graph.addIDs); a lookup costs what it
// costs in one idIndex.
type shardedIndex struct {
	seed   maphash.Seed
	shards []idIndex
}

func newShardedIndex(capacity int) shardedIndex {
	x := shardedIndex{seed: maphash.MakeSeed(), shards: make([]idIndex, 1<<shardBits)}
	for k := range x.shards {
		x.shards[k] = idIndex{seed: x.seed}
		// the mean share: maxLoad leaves the slack for shards that
		// fill more (a shard that overfills grows alone)
		x.shards[k].resize(capacity >> shardBits)
	}
	return x
}

func (x *shardedIndex) hash(id string) uint64 { return maphash.String(x.seed, id) }

// shardOf is the shard of a key of hash h.
func shardOf(h uint64) int { return int(h >> (64 - shardBits)) }

// find returns id's node, or -1, its shard and the probe add takes to
// insert it.
func (x *shardedIndex) find(ids []string, id string) (node int32, shard int, p probe) {
	h := x.hash(id)
	shard = shardOf(h)
	node, p = x.shards[shard].findHashed(ids, id, h)
	return node, shard, p
}

// add stores the last of ids where find said it goes.
func (x *shardedIndex) add(ids []string, shard int, p probe) { x.shards[shard].add(ids, p) }
