package cash

import (
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/neijiang/xiaowei/internal/civil"
)

var (
	cSplDate, cSplLast, cSplCP    = colIdx(splitsCols, "date"), colIdx(splitsCols, "last_date"), colIdx(splitsCols, "counterparty")
	cSplN, cSplTotal, cSplLargest = colIdx(splitsCols, "payments"), colIdx(splitsCols, "total"), colIdx(splitsCols, "largest")
	cSplTier, cSplWindow, cSplIDs = colIdx(splitsCols, "tier"), colIdx(splitsCols, "window_days"), colIdx(splitsCols, "entry_ids")
	cSplAccts, cSplBy, cSplName   = colIdx(splitsCols, "accounts"), colIdx(splitsCols, "handled_by"), colIdx(splitsCols, "handler_name")
	cSplAppr                      = colIdx(splitsCols, "approved_by")
)

// splitVillage finds one village's CASH-SPLIT groups (domain.md): per
// counterparty, the `expense` outflows of both accounts below the tier, in
// date order (journal order within a day); a group is a payment and every
// later one within window days of it (day N included); a group of two or
// more whose total reaches the tier is kept, and the search goes on after
// its last payment; otherwise it goes on from the next payment. cs are the
// village's candidates in ledger order; they are sorted in place.
func (r *replay) splitVillage(c *chunk, cs []cand) {
	if len(cs) < 2 {
		return
	}
	L := r.L
	dates, amounts := L.date.Date32Values(), L.amount.Int64Values()
	c.rankCounterparties(L.counterparty, cs)
	slices.SortFunc(cs, func(a, b cand) int {
		if a.cp != b.cp {
			return int(a.cp - b.cp)
		}
		if dates[a.row] != dates[b.row] {
			return int(dates[a.row]) - int(dates[b.row])
		}
		return int(a.row - b.row)
	})
	vs := r.sets[r.vid[L.village.Value(int(cs[0].row))]]
	for lo := 0; lo < len(cs); {
		hi := lo + 1
		for hi < len(cs) && cs[hi].cp == cs[lo].cp {
			hi++
		}
		for i := lo; i < hi; {
			end := civil.Date(dates[cs[i].row]) + civil.Date(vs.window)
			j, total := i, int64(0)
			for j < hi && civil.Date(dates[cs[j].row]) <= end {
				total += amounts[cs[j].row]
				j++
			}
			if j-i >= 2 && total >= vs.tier {
				c.splits = append(c.splits, splitRow{rows: cs[i:j], total: total, vs: vs})
				i = j
			} else {
				i++
			}
		}
		lo = hi
	}
}

// cand is a split candidate: a ledger row and the rank of its counterparty
// among the village's (set by rankCounterparties).
type cand struct{ cp, row int32 }

// counterparties ranks a village's counterparties by name, so that its
// candidates sort on integers: one map lookup per candidate instead of a
// string comparison per comparison. The chunk reuses its storage.
type counterparties struct {
	ids         map[string]int32
	names       []string
	order, rank []int32
}

func (cp *counterparties) rankCounterparties(a *array.String, cs []cand) {
	if cp.ids == nil {
		cp.ids = map[string]int32{}
	}
	clear(cp.ids)
	cp.names = cp.names[:0]
	for k := range cs {
		name := a.Value(int(cs[k].row))
		id, ok := cp.ids[name]
		if !ok {
			id = int32(len(cp.names))
			cp.ids[name] = id
			cp.names = append(cp.names, name)
		}
		cs[k].cp = id
	}
	cp.order = cp.order[:0]
	for id := range cp.names {
		cp.order = append(cp.order, int32(id))
	}
	slices.SortFunc(cp.order, func(x, y int32) int { return strings.Compare(cp.names[x], cp.names[y]) })
	cp.rank = slices.Grow(cp.rank[:0], len(cp.order))[:len(cp.order)]
	for k, id := range cp.order {
		cp.rank[id] = int32(k)
	}
	for k := range cs {
		cs[k].cp = cp.rank[cs[k].cp]
	}
}

// splitRow is a split_groups row: the group's candidates, in date order.
type splitRow struct {
	rows  []cand
	total int64
	vs    vset
}

func (r *replay) writeSplit(o out, s splitRow) {
	rows, total, vs := s.rows, s.total, s.vs
	L, b := r.L, o.b
	f := int(rows[0].row)
	var ids strings.Builder
	var largest int64
	cash, bank := false, false
	for k, c := range rows {
		i := int(c.row)
		if k > 0 {
			ids.WriteByte(',')
		}
		ids.WriteString(str(L.entry, i))
		largest = max(largest, L.amount.Value(i))
		if L.account.Value(i) == "cash" {
			cash = true
		} else {
			bank = true
		}
	}
	accts := "bank"
	switch {
	case cash && bank:
		accts = "bank,cash"
	case cash:
		accts = "cash"
	}
	b.SetStr(cVillage, L.village.Value(f))
	o.str(cEntry, L.entry, f)
	b.SetDate(cSplDate, civil.Date(L.date.Value(f)))
	b.SetDate(cSplLast, civil.Date(L.date.Value(int(rows[len(rows)-1].row))))
	o.str(cSplCP, L.counterparty, f)
	b.SetInt(cSplN, int64(len(rows)))
	b.SetInt(cSplTotal, total)
	b.SetInt(cSplLargest, largest)
	b.SetInt(cSplTier, vs.tier)
	b.SetInt(cSplWindow, int64(vs.window))
	b.SetStr(cSplIDs, ids.String())
	b.SetStr(cSplAccts, accts)
	o.str(cSplBy, L.handledBy, f)
	o.strOpt(cSplName, r.names[str(L.handledBy, f)])
	o.str(cSplAppr, L.approvedBy, f)
	b.Next()
}
