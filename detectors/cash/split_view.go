package cash

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/neijiang/xiaowei/internal/table"
)

var (
	cSplDate, cSplLast, cSplCP    = colIdx(splitsCols, "date"), colIdx(splitsCols, "last_date"), colIdx(splitsCols, "counterparty")
	cSplN, cSplTotal, cSplLargest = colIdx(splitsCols, "payments"), colIdx(splitsCols, "total"), colIdx(splitsCols, "largest")
	cSplTier, cSplWindow, cSplIDs = colIdx(splitsCols, "tier"), colIdx(splitsCols, "window_days"), colIdx(splitsCols, "entry_ids")
	cSplAccts, cSplBy, cSplName   = colIdx(splitsCols, "accounts"), colIdx(splitsCols, "handled_by"), colIdx(splitsCols, "handler_name")
	cSplAppr                      = colIdx(splitsCols, "approved_by")
)

// splitView is split_groups being built, a row per group (splitRow); the
// entry, counterparty and people are the group's first payment's. Chunks
// write their groups in place like the other column-wise views: a province
// can have many groups.
type splitView struct {
	village, entry, cp, ids, accts, by, name, appr *strCol
	dates, last                                    []arrow.Date32
	n, total, largest, tier, window                []int64
	firsts                                         [][]int32 // per chunk: each group's first row
	lo                                             []int     // per chunk: its first row
}

func newSplitView(chunks int) *splitView {
	v := &splitView{firsts: make([][]int32, chunks), lo: make([]int, chunks)}
	for _, c := range v.strCols() {
		*c = newStrCol(chunks)
	}
	return v
}

func (v *splitView) strCols() []**strCol {
	return []**strCol{&v.village, &v.entry, &v.cp, &v.ids, &v.accts, &v.by, &v.name, &v.appr}
}

func (v *splitView) gathered(lb *ledgerBytes) []gatherCol {
	return []gatherCol{{v.village, lb.village}, {v.entry, lb.entry}, {v.cp, lb.counterparty}, {v.by, lb.handledBy}, {v.appr, lb.approvedBy}}
}

// size tells the view the bytes of chunk c's groups.
func (v *splitView) size(r *replay, c *chunk) {
	firsts := make([]int32, len(c.splits))
	ids, accts, entry := 0, 0, r.Lb.entry
	for k, s := range c.splits {
		firsts[k] = s.rows[0].row
		ids += len(s.rows) - 1 // commas
		for _, cd := range s.rows {
			ids += int(entry.offs[cd.row+1] - entry.offs[cd.row])
		}
		accts += len(s.accounts)
	}
	v.firsts[c.id] = firsts
	for _, g := range v.gathered(&r.Lb) {
		g.col.setBytes(c.id, g.src.size(firsts))
	}
	v.name.setBytes(c.id, r.handlerNameBytes(firsts))
	v.ids.setBytes(c.id, ids)
	v.accts.setBytes(c.id, accts)
}

// alloc places the chunks' groups one after the other.
func (v *splitView) alloc(cs []*chunk) {
	n := 0
	for _, c := range cs {
		v.lo[c.id] = n
		n += len(c.splits)
	}
	for _, c := range v.strCols() {
		(*c).alloc(n)
	}
	v.dates, v.last = make([]arrow.Date32, n), make([]arrow.Date32, n)
	for _, s := range []*[]int64{&v.n, &v.total, &v.largest, &v.tier, &v.window} {
		*s = make([]int64, n)
	}
}

func (v *splitView) write(r *replay, c *chunk) {
	lo, firsts := v.lo[c.id], v.firsts[c.id]
	for _, g := range v.gathered(&r.Lb) {
		w := g.col.writer(c.id, lo)
		w.gather(g.src, firsts, false)
	}
	name := v.name.writer(c.id, lo)
	r.eachHandlerName(firsts, name.addOpt)
	ids, accts := v.ids.writer(c.id, lo), v.accts.writer(c.id, lo)
	dates := r.L.date.Date32Values()
	for k, s := range c.splits {
		i := lo + k
		v.dates[i], v.last[i] = dates[s.rows[0].row], dates[s.rows[len(s.rows)-1].row]
		v.n[i], v.total[i], v.largest[i] = int64(len(s.rows)), s.total, s.largest
		v.tier[i], v.window[i] = s.vs.tier, int64(s.vs.window)
		ids.joinEntries(r.Lb.entry, s.rows)
		accts.add(s.accounts)
	}
}

// joinEntries writes the entries of rows as one cell, comma separated (a
// null entry as empty).
func (w *strWriter) joinEntries(entry strBytes, rows []cand) {
	for k, c := range rows {
		if k > 0 {
			w.c.data[w.pos] = ','
			w.pos++
		}
		w.pos += int32(copy(w.c.data[w.pos:], entry.data[entry.offs[c.row]:entry.offs[c.row+1]]))
	}
	w.row++
	w.c.offs[w.row] = w.pos
}

func (v *splitView) table() *table.Table {
	n := len(v.n)
	arrs := make([]arrow.Array, len(splitsCols))
	arrs[cVillage] = v.village.array()
	arrs[cEntry] = v.entry.array()
	arrs[cSplDate] = date32Array(v.dates, nil)
	arrs[cSplLast] = date32Array(v.last, nil)
	arrs[cSplCP] = v.cp.array()
	arrs[cSplN] = int64Array(v.n, nil)
	arrs[cSplTotal] = int64Array(v.total, nil)
	arrs[cSplLargest] = int64Array(v.largest, nil)
	arrs[cSplTier] = int64Array(v.tier, nil)
	arrs[cSplWindow] = int64Array(v.window, nil)
	arrs[cSplIDs] = v.ids.array()
	arrs[cSplAccts] = v.accts.array()
	arrs[cSplBy] = v.by.array()
	arrs[cSplName] = v.name.array()
	arrs[cSplAppr] = v.appr.array()
	return table.FromArrays(vSplits, splitsCols, arrs, n)
}
