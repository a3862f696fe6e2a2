package disclosure

import (
	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/table"
)

// noticePos are the notices view's column positions, resolved once.
type noticePos struct {
	village, id, item, itemName, period         int
	posted, removed, stillUp, days, min, amount int
}

func noticePositions(tb *table.Builder) noticePos {
	return noticePos{
		village: tb.Col("village_id"), id: tb.Col("disclosure_id"), item: tb.Col("item"), itemName: tb.Col("item_name"), period: tb.Col("period"),
		posted: tb.Col("posted_on"), removed: tb.Col("removed_on"), stillUp: tb.Col("still_up"), days: tb.Col("days_posted"),
		min: tb.Col("min_days_posted"), amount: tb.Col("amount_total"),
	}
}

// itemIndex places an item in contract.Items (-1 if unknown).
func itemIndex(s string) int {
	for i, it := range contract.Items {
		if it == s {
			return i
		}
	}
	return -1
}

// notices is one row per notice posted by as_of, with how long it stayed
// up and its item's minimum in its village.
func (b *builder) notices() *table.Table {
	in := b.in
	d := &b.d
	n := d.id.Len()
	tb := table.NewBuilder(in.Mem, viewNotices, noticeCols)
	tb.Reserve(n)
	c := noticePositions(tb)
	// minimum days per item, resolved once per village
	mins := map[string][]int64{}
	curV := "\x00"
	var cur []int64
	for i := 0; i < n; i++ {
		if d.posted.IsNull(i) {
			continue
		}
		v := d.village.Value(i)
		if v != curV {
			curV = v
			cur = mins[v]
			if cur == nil {
				cur = make([]int64, len(contract.Items))
				for k, it := range contract.Items {
					cur[k] = in.Int(v, it+sufMinPosts)
				}
				mins[v] = cur
			}
		}
		tb.SetStr(c.village, v)
		tb.SetStr(c.id, d.id.Value(i))
		item := d.item.Value(i)
		tb.SetStr(c.item, item)
		tb.SetStr(c.itemName, contract.ItemLabels[item])
		tb.SetStr(c.period, d.period.Value(i))
		tb.SetDate(c.posted, civil.Date(d.posted.Value(i)))
		r, gone := b.removed(i)
		if gone {
			tb.SetDate(c.removed, r)
		}
		tb.SetBool(c.stillUp, !gone)
		tb.SetInt(c.days, b.daysPosted(i))
		if k := itemIndex(item); k >= 0 {
			tb.SetInt(c.min, cur[k])
		} else {
			tb.SetInt(c.min, 0)
		}
		if !d.amount.IsNull(i) {
			tb.SetInt(c.amount, d.amount.Value(i))
		}
		tb.Next()
	}
	return tb.Finish()
}
