package views

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/neijiang/xiaowei/internal/ident"
	"github.com/neijiang/xiaowei/internal/table"
)

// lookupOp joins the rows of right.
type lookupOp struct {
	right     source
	left      [][]int
	rightKeys [][]int
	inner     bool
	expand    bool
	take      []int // expanded: right columns to take
	aggs      []agg // otherwise: aggregates per match group
}

func (b *builder) lookup(v *view, t *table.Table) ([]arrow.Array, error) {
	op := v.lookup
	r, err := b.source(op.right)
	if err != nil {
		return nil, err
	}
	m := matchSlots(t, r, op)
	if op.expand {
		return b.expandLookup(op, t, r, m), nil
	}
	return b.aggregateLookup(op, t, r, m), nil
}

// lookupMatch says which input rows and looked-up rows share a key: slots
// number the input's distinct keys.
type lookupMatch struct {
	match  []int32 // per input row: its slot, -1 = no key or no looked-up row
	rslot  []int32 // per looked-up row: its slot, -1 = no input row wants it
	hits   []int32 // per slot: looked-up rows
	nslots int
}

// matchSlots indexes the input's keys (slots), then streams the looked-up
// rows past the index: the map holds only the input's distinct keys, and a
// right row costs one key encoding and one probe, with no allocation,
// however large the looked-up table (a ledger) is. The probe goes through
// a sieve of the input's keys first: a ledger of millions of entries
// looked up by a few thousand contract payments mostly misses, and a miss
// the sieve rules out costs a third of a map probe.
func matchSlots(t, r *table.Table, op *lookupOp) lookupMatch {
	match, first, slotOf := keySlots(t, op.left)
	nslots := len(first)
	rk := newKeyer(r, op.rightKeys)
	rslot := make([]int32, r.Len())
	hits := make([]int32, nslots)
	// A key of one string column (an id) is sieved as the string itself,
	// before any encoding; other keys as their encoding.
	col, oneString := rk.oneString()
	sieve := ident.NewSieve(nslots)
	for k := range slotOf {
		if oneString {
			k = stringOfKey(k)
		}
		sieve.Add(k)
	}
	for i := range rslot {
		rslot[i] = -1
		if oneString && (col.IsNull(i) || !sieve.Has(col.Value(i))) {
			continue
		}
		if kb, ok := rk.key(i); ok && (oneString || sieve.HasBytes(kb)) {
			if s, ok := slotOf[string(kb)]; ok {
				rslot[i] = s
				hits[s]++
			}
		}
	}
	for i, s := range match {
		if s >= 0 && hits[s] == 0 {
			match[i] = -1 // no row to look up: a left row without a match
		}
	}
	return lookupMatch{match: match, rslot: rslot, hits: hits, nslots: nslots}
}

// expandLookup makes a row per (input row, matching looked-up row), and
// one per unmatched input row unless the lookup is inner.
func (b *builder) expandLookup(op *lookupOp, t, r *table.Table, m lookupMatch) []arrow.Array {
	match, rslot, hits, nslots := m.match, m.rslot, m.hits, m.nslots
	n := t.Len()
	var leftRows []int32 // rows of t in the output, in order
	var out []arrow.Array
	// Rows of each slot, in right order (CSR).
	start := make([]int32, nslots+1)
	for s := 0; s < nslots; s++ {
		start[s+1] = start[s] + hits[s]
	}
	rows := make([]int32, start[nslots])
	fill := append([]int32(nil), start[:nslots]...)
	for i, s := range rslot {
		if s >= 0 {
			rows[fill[s]] = int32(i)
			fill[s]++
		}
	}
	var rightRows []int32
	for i := 0; i < n; i++ {
		s := match[i]
		if s < 0 {
			if !op.inner {
				leftRows = append(leftRows, int32(i))
				rightRows = append(rightRows, -1)
			}
			continue
		}
		for _, rr := range rows[start[s]:start[s+1]] {
			leftRows = append(leftRows, int32(i))
			rightRows = append(rightRows, rr)
		}
	}
	for i := range t.Cols {
		out = append(out, take(b.mem, t.Rec.Column(i), leftRows))
	}
	for _, c := range op.take {
		out = append(out, take(b.mem, r.Rec.Column(c), rightRows))
	}
	return out
}

// aggregateLookup keeps the input rows (only the matched ones when inner)
// and adds the aggregates of their looked-up rows.
func (b *builder) aggregateLookup(op *lookupOp, t, r *table.Table, m lookupMatch) []arrow.Array {
	match, rslot, nslots := m.match, m.rslot, m.nslots
	n := t.Len()
	var leftRows []int32 // rows of t in the output, in order
	var out []arrow.Array
	accs := make([]*accum, len(op.aggs))
	for k, a := range op.aggs {
		accs[k] = newAccum(a, r, nslots)
		for i, s := range rslot {
			if s >= 0 {
				accs[k].add(s, i)
			}
		}
	}
	at := match
	if op.inner {
		at = at[:0:0]
		for i := 0; i < n; i++ {
			if match[i] >= 0 {
				leftRows = append(leftRows, int32(i))
				at = append(at, match[i])
			}
		}
		for i := range t.Cols {
			out = append(out, take(b.mem, t.Rec.Column(i), leftRows))
		}
	} else {
		out = retainedCols(t)
	}
	for _, x := range accs {
		out = append(out, x.emit(b.mem, at))
	}
	return out
}
