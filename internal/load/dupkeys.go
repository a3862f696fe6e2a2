package load

import (
	"bytes"
	"cmp"
	"hash/maphash"
	"math/bits"
	"slices"

	"github.com/apache/arrow-go/v18/arrow/bitutil"
)

// Duplicate keys are found once, after a table's rows are in their
// columns, instead of with a hash-table lookup per row: that lookup is a
// random access into tens of MB (about 230 ns a row at province scale).
// Two cache-friendly ways replace it:
//
//   - most exports are sorted by their id, at least within each village,
//     and runs of strictly increasing keys whose ranges do not overlap are
//     all distinct: one sequential pass comparing each key with the
//     previous one, and a sort of the runs' ends, prove it (disjointRuns);
//   - otherwise each row's (hash, row) pair is bucketed by the hash's top
//     bits (two sequential passes), each small bucket is sorted, and only
//     rows sharing a full 64-bit hash are compared by value, so a hash
//     collision never makes a good row a duplicate.
//
// The answer is the per-row check's: among the rows that take part (those
// without a cell reject), the first row of each key is kept and every later
// row with the same key is a duplicate of it.

// keyView is one key column as bytes and offsets: row i's cell is
// data[offs[i]-offs[0] : offs[i+1]-offs[0]], and "" when valid is set and
// its bit (at validOff+i) is clear.
type keyView struct {
	data     []byte
	offs     []int32
	valid    []byte
	validOff int
}

// cell is row i's key cell; it aliases data, so it must not outlive it.
func (v keyView) cell(i int) []byte {
	if v.valid != nil && !bitutil.BitIsSet(v.valid, v.validOff+i) {
		return nil
	}
	base := v.offs[0]
	return v.data[v.offs[i]-base : v.offs[i+1]-base]
}

// keyRows are the rows whose keys are checked: n rows of the key columns;
// rows with skip set take no part (skip nil: every row does).
type keyRows struct {
	cols []keyView
	n    int
	skip []bool
}

// duplicate is a row whose key repeats the earlier row first's.
type duplicate struct{ row, first int }

// keyHashMask is applied to every key hash; tests narrow it to force
// collisions between different keys. It keeps low bits only (2^k - 1):
// bucketByHash buckets by the top bits of that width.
var keyHashMask = ^uint64(0)

// findDuplicates returns the duplicate rows in row order.
func findDuplicates(k keyRows, seed maphash.Seed) []duplicate {
	if len(k.cols) == 0 || k.disjointRuns() {
		return nil
	}
	hr := bucketByHash(k.hashes(seed))
	var dups []duplicate
	var firsts []uint32 // distinct keys among the rows of one hash
	for lo := 0; lo < len(hr); {
		hi := lo + 1
		for hi < len(hr) && hr[hi].h == hr[lo].h {
			hi++
		}
		if hi-lo > 1 {
			firsts = firsts[:0]
			for _, e := range hr[lo:hi] { // rows ascending
				if f, ok := k.firstEqual(firsts, int(e.row)); ok {
					dups = append(dups, duplicate{row: int(e.row), first: f})
				} else {
					firsts = append(firsts, e.row)
				}
			}
		}
		lo = hi
	}
	slices.SortFunc(dups, func(a, b duplicate) int { return cmp.Compare(a.row, b.row) })
	return dups
}

// disjointRuns reports whether the keys of the rows that take part form
// runs of strictly increasing keys whose ranges do not overlap: then no two
// are equal. A sorted export is one run; an export sorted within each
// village (ids that start with the village's code, villages in any order)
// is one run per village. One sequential pass finds the runs; only their
// ends are sorted.
func (k keyRows) disjointRuns() bool {
	type run struct{ first, last int }
	var runs []run
	prev := -1
	for i := 0; i < k.n; i++ {
		if k.skip != nil && k.skip[i] {
			continue
		}
		if prev < 0 || k.compare(prev, i) >= 0 {
			// Many short runs: the keys are not sorted in any useful way.
			if len(runs) > 64 && len(runs) > i/64 {
				return false
			}
			runs = append(runs, run{first: i})
		}
		runs[len(runs)-1].last = i
		prev = i
	}
	slices.SortFunc(runs, func(a, b run) int { return k.compare(a.first, b.first) })
	for r := 1; r < len(runs); r++ {
		if k.compare(runs[r-1].last, runs[r].first) >= 0 {
			return false
		}
	}
	return true
}

func (k keyRows) compare(a, b int) int {
	for _, c := range k.cols {
		if r := bytes.Compare(c.cell(a), c.cell(b)); r != 0 {
			return r
		}
	}
	return 0
}

// firstEqual finds the row among firsts whose key equals row's.
func (k keyRows) firstEqual(firsts []uint32, row int) (int, bool) {
	for _, f := range firsts {
		if k.compare(int(f), row) == 0 {
			return int(f), true
		}
	}
	return 0, false
}

type hashRow struct {
	h   uint64
	row uint32
}

// hashes is (hash of the key, row) for every row that takes part, in row
// order. A multi-column key hashes each cell followed by a 0 byte, so
// ("a", "bc") and ("ab", "c") differ.
func (k keyRows) hashes(seed maphash.Seed) []hashRow {
	hr := make([]hashRow, 0, k.n)
	var mh maphash.Hash
	mh.SetSeed(seed)
	for i := 0; i < k.n; i++ {
		if k.skip != nil && k.skip[i] {
			continue
		}
		var h uint64
		if len(k.cols) == 1 {
			h = maphash.Bytes(seed, k.cols[0].cell(i))
		} else {
			mh.Reset()
			for _, c := range k.cols {
				mh.Write(c.cell(i))
				mh.WriteByte(0)
			}
			h = mh.Sum64()
		}
		hr = append(hr, hashRow{h: h & keyHashMask, row: uint32(i)})
	}
	return hr
}

// bucketByHash orders hr by (hash, row): a stable scatter by the hash's
// top bits into buckets of a few dozen entries (hr is in row order, so each
// bucket is too), then a sort of each bucket.
func bucketByHash(hr []hashRow) []hashRow {
	if len(hr) < 2 {
		return hr
	}
	// Spread the masked hashes (all of them when the mask is full) over
	// about one bucket per 32 entries.
	width := bits.Len64(keyHashMask)
	nb := min(max(bits.Len(uint(len(hr)/32)), 1), 20, width)
	shift := uint(width - nb)
	starts := make([]int, 1<<nb+1)
	for _, e := range hr {
		starts[e.h>>shift+1]++
	}
	for b := 1; b < len(starts); b++ {
		starts[b] += starts[b-1]
	}
	out := make([]hashRow, len(hr))
	next := slices.Clone(starts[:len(starts)-1])
	for _, e := range hr {
		b := e.h >> shift
		out[next[b]] = e
		next[b]++
	}
	for b := 0; b+1 < len(starts); b++ {
		sortByHash(out[starts[b]:starts[b+1]])
	}
	return out
}

// sortByHash is a stable insertion sort by hash, for the few dozen
// entries of a bucket (slices.SortStableFunc's calls through a comparison
// function took twice as long).
func sortByHash(b []hashRow) {
	for i := 1; i < len(b); i++ {
		e := b[i]
		j := i
		for j > 0 && b[j-1].h > e.h {
			b[j] = b[j-1]
			j--
		}
		b[j] = e
	}
}
