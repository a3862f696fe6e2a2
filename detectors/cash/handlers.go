package cash

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/table"
)

// buildHandlers derives cash_handlers: one row per cash entry, in replay
// order (segs: each village's cash rows, villages in village_id order). A
// row depends only on its ledger entry, the village's settings and the
// handler's terms, never on the replay's balances, so the view is built
// column by column (columns.go) instead of cell by cell during the replay.
func (r *replay) buildHandlers(segs [][]int32) *table.Table {
	L := r.L
	n := 0
	for _, seg := range segs {
		n += len(seg)
	}
	rows := make([]int32, 0, n)
	for _, seg := range segs {
		rows = append(rows, seg...)
	}
	masks, entitled, names := r.handlerRoles(segs, n)
	roles, rolesCN := r.roleColumns(masks)

	nameBytes, catBytes := 0, 0
	cats := make([]category, n)
	for k, row := range rows {
		cats[k] = categoryOf(L.category.Value(int(row)))
		nameBytes += len(names[k])
		catBytes += len(categoryCN[cats[k]])
	}
	nameCol, catCN := newStrCol(n, nameBytes), newStrCol(n, catBytes)
	dates := make([]arrow.Date32, n)
	amounts := make([]int64, n)
	ldates, lamounts := L.date.Date32Values(), L.amount.Int64Values()
	for k, row := range rows {
		nameCol.addOpt(names[k])
		catCN.add(categoryCN[cats[k]])
		dates[k], amounts[k] = ldates[row], lamounts[row]
	}

	arrs := make([]arrow.Array, len(handlersCols))
	arrs[cVillage] = gatherStr(L.village, rows, false)
	arrs[cEntry] = gatherStr(L.entry, rows, false)
	arrs[cDate] = date32Array(dates)
	arrs[cHandDir] = gatherStr(L.direction, rows, false)
	arrs[cHandCat] = gatherStr(L.category, rows, false)
	arrs[cHandCatCN] = catCN.array()
	arrs[cHandAmt] = int64Array(amounts)
	arrs[cHandBy] = gatherStr(L.handledBy, rows, true)
	arrs[cHandName] = nameCol.array()
	arrs[cHandRoles] = roles.array()
	arrs[cHandCN] = rolesCN.array()
	arrs[cHandEntitl] = boolArray(entitled, n)
	return newView(vHandlers, handlersCols, arrs, n)
}

// handlerRoles gives each of the n cash rows (segs in order) its handler's
// roles on the entry's day (a bit mask), whether one of them is entitled to
// handle cash in the village (a bitmap), and the handler's name ("" =
// null). A handler's terms in the village are looked up once per (village,
// handler), then each row only checks its date against those few terms.
// Consecutive rows usually have the same handler. This is the family's hot
// loop: its per-village cache stays in locals.
func (r *replay) handlerRoles(segs [][]int32, n int) (masks []uint16, entitled []byte, names []string) {
	L := r.L
	masks = make([]uint16, n)
	entitled = make([]byte, bitutil.BytesForBits(int64(n)))
	names = make([]string, n) // handler_name ("" = null)
	type hinfo struct {
		name  string
		terms []term
	}
	var (
		cache = map[string]int32{}
		infos []hinfo
		pool  []term // backing store of infos' terms, reused per village
	)
	k := 0
	for _, seg := range segs {
		village := L.village.Value(int(seg[0]))
		ent := r.sets[r.vid[village]].entitled
		clear(cache)
		infos, pool = infos[:0], pool[:0]
		last, lastWho := int32(-1), ""
		for _, row := range seg {
			i := int(row)
			who := str(L.handledBy, i)
			h := last
			if h < 0 || who != lastWho {
				var ok bool
				if h, ok = cache[who]; !ok {
					from := len(pool)
					for _, t := range r.roles.terms[who] {
						if t.village == village {
							pool = append(pool, t)
						}
					}
					h = int32(len(infos))
					infos = append(infos, hinfo{name: r.names[who], terms: pool[from:len(pool):len(pool)]})
					cache[who] = h
				}
				last, lastWho = h, who
			}
			d := civil.Date(L.date.Value(i))
			var m uint16
			for _, t := range infos[h].terms {
				if t.start <= d && d <= t.end {
					m |= t.bit
				}
			}
			masks[k] = m
			if m&ent != 0 {
				bitutil.SetBit(entitled, k)
			}
			names[k] = infos[h].name
			k++
		}
	}
	return masks, entitled, names
}

// roleColumns are roles and roles_cn: a handful of distinct role sets,
// formatted once; a first pass sizes the columns' bytes.
func (r *replay) roleColumns(masks []uint16) (roles, rolesCN *strCol) {
	n := len(masks)
	rolesBytes, cnBytes := 0, 0
	var lastMask uint16
	lastNames := r.roles.names(0)
	for _, m := range masks {
		if m != lastMask {
			lastMask, lastNames = m, r.roles.names(m)
		}
		rolesBytes += len(lastNames.codes)
		cnBytes += len(lastNames.cn)
	}
	roles, rolesCN = newStrCol(n, rolesBytes), newStrCol(n, cnBytes)
	lastMask, lastNames = 0, r.roles.names(0)
	for _, m := range masks {
		if m != lastMask {
			lastMask, lastNames = m, r.roles.names(m)
		}
		roles.add(lastNames.codes)
		rolesCN.add(lastNames.cn)
	}
	return roles, rolesCN
}
