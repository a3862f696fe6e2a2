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
// hashes at random.
func shardOrder(seed maphash.Seed, keys []string, workers int) (order []keyHash, start []int32) {
	n := len(keys)
	hashes := make([]uint64, n)
	onWorkers(workers, func(w int) {
		for k := n * w / workers; k < n*(w+1)/workers; k++ {
			hashes[k] = maphash.String(seed, keys[k])
		}
	})
	shards := 1 << shardBits
	start = make([]int32, shards+1)
	for _, h := range hashes {
		start[shardOf(h)+1]++
	}
	for s := range shards {
		start[s+1] += start[s]
	}
	order = make([]keyHash, n)
	fill := append([]int32(nil), start[:shards]...)
	for k, h := range hashes {
		s := shardOf(h)
		order[fill[s]] = keyHash{h: h, k: int32(k)}
		fill[s]++
	}
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
