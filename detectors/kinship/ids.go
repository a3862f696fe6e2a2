package kinship

import (
	"hash/maphash"
	"runtime"
	"sync"

	"github.com/apache/arrow-go/v18/arrow/array"
)

// minKeysPerWorker: fewer keys than this per core are hashed and indexed
// on one.
const minKeysPerWorker = 1 << 14

// addIDs indexes the register's ids on every core, taking them to be
// unique (the loader rejects a duplicate person_id): node k is the k-th
// row with an id. The ids go in shard by shard (see shardOrder), each
// shard by one goroutine, so that a shard's slots stay in cache while its
// ids go in. It reports false when an id is listed twice; the index is
// then of no use and addIDsInOrder applies the first-row rule.
func (g *Graph) addIDs(pid *array.String) bool {
	for i := 0; i < pid.Len(); i++ {
		if pid.IsValid(i) {
			g.ids = append(g.ids, pid.Value(i))
			g.row = append(g.row, int32(i))
		}
	}
	workers := workersFor(len(g.ids))
	order, start := shardOrder(g.index.seed, g.ids, workers)
	dup := make([]bool, workers)
	onWorkers(workers, func(w int) {
		for s := w; s < len(g.index.shards); s += workers {
			x := &g.index.shards[s]
			for _, e := range order[start[s]:start[s+1]] {
				node, p := x.findKey(g.ids, e.k, e.h)
				if node >= 0 {
					dup[w] = true
					return
				}
				x.addNode(g.ids, p, e.k)
			}
		}
	})
	for _, d := range dup {
		if d {
			return false
		}
	}
	return true
}

// firstOf says, for each of keys, the first k with the same key: the same
// sharded pass as addIDs, with indexes that live only while it runs.
func firstOf(keys []string) []int32 {
	workers := workersFor(len(keys))
	seed := maphash.MakeSeed()
	order, start := shardOrder(seed, keys, workers)
	first := make([]int32, len(keys))
	onWorkers(workers, func(w int) {
		for s := w; s < len(start)-1; s += workers {
			es := order[start[s]:start[s+1]]
			x := idIndex{seed: seed} // sized for every key: it never grows
			x.resize(len(es))
			for _, e := range es { // in key order: the first one of a key is met first
				if node, p := x.findKey(keys, e.k, e.h); node >= 0 {
					first[e.k] = node
				} else {
					first[e.k] = e.k
					x.addNode(keys, p, e.k)
				}
			}
		}
	})
	return first
}

// keyHash is a key (its position) and its hash.
type keyHash struct {
	h uint64
	k int32
}

// shardOrder hashes keys (a share per core) and orders them by shard, in
// key order within a shard: shard s's keys are order[start[s]:start[s+1]].
// Walking a shard's keys then reads order in sequence, not the keys and
// hashes at random. Each core hashes its share twice, once to count its
// keys per shard and once to place them, rather than keep every hash in
// between (8 bytes a key, 19 MB for a province's register).
func shardOrder(seed maphash.Seed, keys []string, workers int) (order []keyHash, start []int32) {
	n := len(keys)
	shards := 1 << shardBits
	next := make([][]int32, workers) // per worker and shard: where its next key goes
	onWorkers(workers, func(w int) {
		count := make([]int32, shards)
		for k := n * w / workers; k < n*(w+1)/workers; k++ {
			count[shardOf(maphash.String(seed, keys[k]))]++
		}
		next[w] = count
	})
	start = make([]int32, shards+1)
	for s := range shards { // shard s: worker 0's keys, then worker 1's, …
		at := start[s]
		for w := range workers {
			at, next[w][s] = at+next[w][s], at
		}
		start[s+1] = at
	}
	order = make([]keyHash, n)
	onWorkers(workers, func(w int) {
		at := next[w]
		for k := n * w / workers; k < n*(w+1)/workers; k++ {
			h := maphash.String(seed, keys[k])
			s := shardOf(h)
			order[at[s]] = keyHash{h: h, k: int32(k)}
			at[s]++
		}
	})
	return order, start
}

// workersFor is how many cores n keys are worth.
func workersFor(n int) int { return max(1, min(runtime.GOMAXPROCS(0), n/minKeysPerWorker)) }

// onWorkers runs f(0) … f(workers-1) side by side and waits for them.
func onWorkers(workers int, f func(w int)) {
	if workers == 1 {
		f(0)
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { f(w) })
	}
	wg.Wait()
}
