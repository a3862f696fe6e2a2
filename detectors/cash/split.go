package cash

import (
	"slices"
	"strings"

	"github.com/neijiang/xiaowei/internal/civil"
)

var (
	cSplDate, cSplLast, cSplCP    = colIdx(splitsCols, "date"), colIdx(splitsCols, "last_date"), colIdx(splitsCols, "counterparty")
	cSplN, cSplTotal, cSplLargest = colIdx(splitsCols, "payments"), colIdx(splitsCols, "total"), colIdx(splitsCols, "largest")
	cSplTier, cSplWindow, cSplIDs = colIdx(splitsCols, "tier"), colIdx(splitsCols, "window_days"), colIdx(splitsCols, "entry_ids")
	cSplAccts, cSplBy, cSplName   = colIdx(splitsCols, "accounts"), colIdx(splitsCols, "handled_by"), colIdx(splitsCols, "handler_name")
	cSplAppr                      = colIdx(splitsCols, "approved_by")
)

// splitGroups finds CASH-SPLIT groups (domain.md): per village and
// counterparty, the `expense` outflows of both accounts below the tier, in
// date order (journal order within a day); a group is a payment and every
// later one within window days of it (day N included); a group of two or
// more whose total reaches the tier is emitted, and the search goes on
// after its last payment; otherwise it goes on from the next payment.
func (r *replay) splitGroups() {
	L := r.L
	rank := r.ranks()
	cs := make([]cand, len(r.splitRows))
	for k, row := range r.splitRows {
		cs[k] = cand{rank[r.splitV[k]], row}
	}
	dates, amounts := L.date.Date32Values(), L.amount.Int64Values()
	slices.SortFunc(cs, func(a, b cand) int {
		if a.rank != b.rank {
			return int(a.rank - b.rank)
		}
		if c := strings.Compare(L.counterparty.Value(int(a.row)), L.counterparty.Value(int(b.row))); c != 0 {
			return c
		}
		if dates[a.row] != dates[b.row] {
			return int(dates[a.row]) - int(dates[b.row])
		}
		return int(a.row - b.row)
	})
	for lo := 0; lo < len(cs); {
		hi := lo + 1
		cp := L.counterparty.Value(int(cs[lo].row))
		for hi < len(cs) && cs[hi].rank == cs[lo].rank && L.counterparty.Value(int(cs[hi].row)) == cp {
			hi++
		}
		vs := r.sets[r.vid[L.village.Value(int(cs[lo].row))]]
		for i := lo; i < hi; {
			end := civil.Date(dates[cs[i].row]) + civil.Date(vs.window)
			j, total := i, int64(0)
			for j < hi && civil.Date(dates[cs[j].row]) <= end {
				total += amounts[cs[j].row]
				j++
			}
			if j-i >= 2 && total >= vs.tier {
				r.emitSplit(cs[i:j], total, vs)
				i = j
			} else {
				i++
			}
		}
		lo = hi
	}
}

// cand is a split candidate: a ledger row and its village's rank.
type cand struct{ rank, row int32 }

func (r *replay) emitSplit(rows []cand, total int64, vs vset) {
	L, o := r.L, r.split
	b := o.b
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
