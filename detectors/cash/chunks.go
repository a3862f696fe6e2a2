package cash

import (
	"context"
	"errors"
	"slices"
	"sync"
)

// Villages are independent: the detector cuts them, in village_id order,
// into chunks of about equal cash rows, one per core. Each chunk replays
// its villages and writes its rows of the views in place (columns.go), so
// the views are the same rows in the same order whatever the cut; the cut
// depends only on the core count.

// minChunkRows is the fewest cash rows worth a chunk of their own (a
// variable so that tests can cut small ledgers).
var minChunkRows = 1 << 15

// forceChunks, when positive, is the number of chunks whatever the ledger
// and the cores (tests); there are never more chunks than villages.
var forceChunks = 0

// chunk is a run of villages (ranks lo..hi-1) and what their replay made.
type chunk struct {
	id     int
	lo, hi int32
	box    // the replay's running state (replay.go)

	colls  []collState // collections in replay order
	pays   []payState
	days   []dayRow
	issues []issueRow
	splits []splitRow

	// filled before writing: where its cash_collections and cash_payments
	// rows start
	cLo, pLo int

	handlerCache
	counterparties
}

// chunks cuts the villages into at most workers chunks of about equal cash
// rows: a chunk ends before the village whose middle row passes its share
// of them, so one big village is not dragged into the chunk before it.
func (r *replay) chunks(workers int) []*chunk {
	nv, total := int32(len(r.vnames)), int64(len(r.sorted))
	k := max(1, min(workers, int(total)/minChunkRows))
	if forceChunks > 0 {
		k = forceChunks
	}
	k = max(1, min(k, int(nv)))
	cs := make([]*chunk, 0, k)
	lo := int32(0)
	for rk := int32(1); rk < nv && len(cs) < k-1; rk++ {
		before, size := int64(r.start[rk]), int64(r.start[rk+1]-r.start[rk])
		if (2*before+size)*int64(k) >= 2*total*int64(len(cs)+1) {
			cs = append(cs, &chunk{id: len(cs), lo: lo, hi: rk})
			lo = rk
		}
	}
	return append(cs, &chunk{id: len(cs), lo: lo, hi: nv})
}

// parallel runs f for 0..n-1, each on a goroutine of its own.
func parallel(n int, f func(k int)) {
	var wg sync.WaitGroup
	for k := range n {
		wg.Go(func() { f(k) })
	}
	wg.Wait()
}

// run replays the chunks side by side, then, once every chunk has said how
// many rows and bytes it has, writes their rows side by side.
func (r *replay) run(ctx context.Context, cs []*chunk) error {
	r.newViews(len(cs))
	errs := make([]error, len(cs))
	parallel(len(cs), func(k int) { errs[k] = r.replayChunk(ctx, cs[k]) })
	if err := errors.Join(errs...); err != nil {
		return err
	}
	r.allocViews(cs)
	parallel(len(cs), func(k int) { r.writeChunk(cs[k]) })
	return nil
}

// replayChunk orders each village's cash rows by date (journal order within
// a day: a stable sort, skipped when the journal is already in date order,
// the usual case), replays them and searches the split groups, then sizes
// the chunk's rows of the views.
func (r *replay) replayChunk(ctx context.Context, c *chunk) error {
	dates := r.L.date.Date32Values()
	byDate := func(a, b int32) int { return int(dates[a]) - int(dates[b]) }
	var n vcount
	for _, id := range r.order[c.lo:c.hi] {
		n.colls += r.vcounts[id].colls
		n.pays += r.vcounts[id].pays
	}
	c.colls = make([]collState, 0, n.colls)
	if r.want[vPayments] {
		c.pays = make([]payState, 0, n.pays)
	}
	for rk := c.lo; rk < c.hi; rk++ {
		if (rk-c.lo)&63 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		lo, hi := r.start[rk], r.start[rk+1]
		if seg := r.sorted[lo:hi]; len(seg) > 0 {
			if !slices.IsSortedFunc(seg, byDate) {
				slices.SortStableFunc(seg, byDate)
			}
			if r.hv != nil {
				r.handlerRoles(c, seg, int(lo))
			}
			r.replayVillage(c, seg)
		}
		if r.want[vSplits] {
			r.splitVillage(c, r.cands[r.cstart[rk]:r.cstart[rk+1]])
		}
	}
	r.sizeViews(c)
	return nil
}
