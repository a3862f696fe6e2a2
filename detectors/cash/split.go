package cash

import (
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/neijiang/xiaowei/internal/civil"
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
				c.splits = append(c.splits, r.newSplitRow(cs[i:j], total, vs))
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
	rows           []cand
	total, largest int64
	accounts       string // cash, bank or bank,cash
	vs             vset
}

// newSplitRow sums up a group.
func (r *replay) newSplitRow(rows []cand, total int64, vs vset) splitRow {
	s := splitRow{rows: rows, total: total, vs: vs}
	cash, bank := false, false
	for _, c := range rows {
		s.largest = max(s.largest, r.L.amount.Value(int(c.row)))
		if r.L.account.Value(int(c.row)) == "cash" {
			cash = true
		} else {
			bank = true
		}
	}
	s.accounts = "bank"
	switch {
	case cash && bank:
		s.accounts = "bank,cash"
	case cash:
		s.accounts = "cash"
	}
	return s
}
