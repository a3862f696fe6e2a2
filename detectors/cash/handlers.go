package cash

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/table"
)

// handlersView is cash_handlers being built: one row per cash entry, in
// replay order, so its row k is the cash row r.sorted[k]. A row depends
// only on its ledger entry, the village's settings and the handler's
// terms, never on the replay's balances.
type handlersView struct {
	village, entry, dir, cat, catCN, by, name, roles, rolesCN *strCol

	// per row, from handlerRoles
	masks    []uint16
	names    []string // handler_name ("" = null)
	cats     []category
	entitled []bool

	dates   []arrow.Date32
	amounts []int64
}

func newHandlersView(chunks, n int) *handlersView {
	h := &handlersView{masks: make([]uint16, n), names: make([]string, n), cats: make([]category, n),
		entitled: make([]bool, n), dates: make([]arrow.Date32, n), amounts: make([]int64, n)}
	for _, c := range []**strCol{&h.village, &h.entry, &h.dir, &h.cat, &h.catCN, &h.by, &h.name, &h.roles, &h.rolesCN} {
		*c = newStrCol(chunks)
	}
	return h
}

// handlerCache is a chunk's lookup of one village's handlers: a handler's
// terms in the village are looked up once per (village, handler), then each
// row only checks its date against those few terms. Role sets are
// formatted once per chunk and set.
type handlerCache struct {
	who       map[string]int32
	infos     []handlerInfo
	pool      []term // backing store of infos' terms, reused per village
	roleNames map[uint16]roleNames
}

type handlerInfo struct {
	name  string
	terms []term
}

func (hc *handlerCache) rolesOf(ri *roleIndex, mask uint16) roleNames {
	if hc.roleNames == nil {
		hc.roleNames = map[uint16]roleNames{}
	}
	n, ok := hc.roleNames[mask]
	if !ok {
		n = ri.names(mask)
		hc.roleNames[mask] = n
	}
	return n
}

// handlerRoles gives each cash row of one village (seg, rows at.. of the
// view) its handler's roles on the entry's day (a bit mask), whether one of
// them is entitled to handle cash in the village, the handler's name and
// the entry's category. Consecutive rows usually have the same handler.
// This is the family's hot loop: its per-village state stays in locals.
func (r *replay) handlerRoles(c *chunk, seg []int32, at int) {
	L, h, hc := r.L, r.hv, &c.handlerCache
	village := L.village.Value(int(seg[0]))
	ent := r.sets[r.vid[village]].entitled
	if hc.who == nil {
		hc.who = map[string]int32{}
	}
	clear(hc.who)
	hc.infos, hc.pool = hc.infos[:0], hc.pool[:0]
	last, lastWho := int32(-1), ""
	dates := L.date.Date32Values()
	for k, row := range seg {
		i := int(row)
		who := str(L.handledBy, i)
		hi := last
		if hi < 0 || who != lastWho {
			var ok bool
			if hi, ok = hc.who[who]; !ok {
				from := len(hc.pool)
				for _, t := range r.roles.terms[who] {
					if t.village == village {
						hc.pool = append(hc.pool, t)
					}
				}
				hi = int32(len(hc.infos))
				hc.infos = append(hc.infos, handlerInfo{name: r.names[who], terms: hc.pool[from:len(hc.pool):len(hc.pool)]})
				hc.who[who] = hi
			}
			last, lastWho = hi, who
		}
		d := civil.Date(dates[i])
		var m uint16
		for _, t := range hc.infos[hi].terms {
			if t.start <= d && d <= t.end {
				m |= t.bit
			}
		}
		p := at + k
		h.masks[p], h.entitled[p], h.names[p] = m, m&ent != 0, hc.infos[hi].name
		h.cats[p] = r.kinds[i].category()
	}
}

// size tells the view the bytes of chunk c's rows lo..hi-1.
func (h *handlersView) size(r *replay, c *chunk, lo, hi int) {
	rows, lb := r.sorted[lo:hi], &r.Lb
	h.village.setBytes(c.id, lb.village.size(rows))
	h.entry.setBytes(c.id, lb.entry.size(rows))
	h.dir.setBytes(c.id, lb.direction.size(rows))
	h.cat.setBytes(c.id, lb.category.size(rows))
	h.by.setBytes(c.id, lb.handledBy.size(rows))
	names, catCN, roles, rolesCN := 0, 0, 0, 0
	var lastMask uint16
	lastNames := c.rolesOf(r.roles, 0)
	for k := lo; k < hi; k++ {
		if m := h.masks[k]; m != lastMask {
			lastMask, lastNames = m, c.rolesOf(r.roles, m)
		}
		names += len(h.names[k])
		catCN += len(categoryCN[h.cats[k]])
		roles += len(lastNames.codes)
		rolesCN += len(lastNames.cn)
	}
	h.name.setBytes(c.id, names)
	h.catCN.setBytes(c.id, catCN)
	h.roles.setBytes(c.id, roles)
	h.rolesCN.setBytes(c.id, rolesCN)
}

// write writes chunk c's rows lo..hi-1.
func (h *handlersView) write(r *replay, c *chunk, lo, hi int) {
	rows, lb := r.sorted[lo:hi], &r.Lb
	for _, g := range []struct {
		col       *strCol
		src       strBytes
		emptyNull bool
	}{{h.village, lb.village, false}, {h.entry, lb.entry, false}, {h.dir, lb.direction, false},
		{h.cat, lb.category, false}, {h.by, lb.handledBy, true}} {
		w := g.col.writer(c.id, lo)
		w.gather(g.src, rows, g.emptyNull)
	}
	name, catCN := h.name.writer(c.id, lo), h.catCN.writer(c.id, lo)
	roles, rolesCN := h.roles.writer(c.id, lo), h.rolesCN.writer(c.id, lo)
	ldates, lamounts := r.L.date.Date32Values(), r.L.amount.Int64Values()
	var lastMask uint16
	lastNames := c.rolesOf(r.roles, 0)
	for k := lo; k < hi; k++ {
		if m := h.masks[k]; m != lastMask {
			lastMask, lastNames = m, c.rolesOf(r.roles, m)
		}
		name.addOpt(h.names[k])
		catCN.add(categoryCN[h.cats[k]])
		roles.add(lastNames.codes)
		rolesCN.add(lastNames.cn)
		row := rows[k-lo]
		h.dates[k], h.amounts[k] = ldates[row], lamounts[row]
	}
}

// table wraps the written columns as the view.
func (h *handlersView) table() *table.Table {
	n := len(h.masks)
	arrs := make([]arrow.Array, len(handlersCols))
	arrs[cVillage] = h.village.array()
	arrs[cEntry] = h.entry.array()
	arrs[cDate] = date32Array(h.dates, nil)
	arrs[cHandDir] = h.dir.array()
	arrs[cHandCat] = h.cat.array()
	arrs[cHandCatCN] = h.catCN.array()
	arrs[cHandAmt] = int64Array(h.amounts, nil)
	arrs[cHandBy] = h.by.array()
	arrs[cHandName] = h.name.array()
	arrs[cHandRoles] = h.roles.array()
	arrs[cHandCN] = h.rolesCN.array()
	arrs[cHandEntitl] = boolArray(h.entitled)
	return table.FromArrays(vHandlers, handlersCols, arrs, n)
}
