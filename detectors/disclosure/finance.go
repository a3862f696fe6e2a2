package disclosure

import (
	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/table"
)

// financePos are the finance_totals view's column positions, resolved once.
type financePos struct {
	village, id, period, start, end        int
	posted, removed, jStart, complete      int
	hasTotal, notice, books, diff, absDiff int
}

func financePositions(tb *table.Builder) financePos {
	return financePos{
		village: tb.Col("village_id"), id: tb.Col("disclosure_id"), period: tb.Col("period"),
		start: tb.Col("period_start"), end: tb.Col("period_end"),
		posted: tb.Col("posted_on"), removed: tb.Col("removed_on"), jStart: tb.Col("journal_start"), complete: tb.Col("books_complete"),
		hasTotal: tb.Col("has_total"), notice: tb.Col("notice_total"), books: tb.Col("books_total"),
		diff: tb.Col("difference"), absDiff: tb.Col("abs_difference"),
	}
}

// finance is one row per finance notice posted by as_of, beside the books'
// expenditure for its period.
func (b *builder) finance() *table.Table {
	in := b.in
	d := &b.d
	tb := table.NewBuilder(in.Mem, viewFinance, financeCols)
	c := financePositions(tb)
	n := d.id.Len()
	for i := 0; i < n; i++ {
		if d.posted.IsNull(i) || d.item.Value(i) != "finance" {
			continue
		}
		v := d.village.Value(i)
		label := d.period.Value(i)
		tb.SetStr(c.village, v)
		tb.SetStr(c.id, d.id.Value(i))
		tb.SetStr(c.period, label)
		tb.SetDate(c.posted, civil.Date(d.posted.Value(i)))
		if r, ok := b.removed(i); ok {
			tb.SetDate(c.removed, r)
		}
		p, parsed := parsePeriod(label)
		if parsed {
			tb.SetDate(c.start, p.start())
			tb.SetDate(c.end, p.end())
		}
		complete, total := b.booksFor(tb, c, v, p, parsed)
		tb.SetBool(c.complete, complete)
		notice := int64(0)
		has := !d.amount.IsNull(i)
		if has {
			notice = d.amount.Value(i)
		}
		tb.SetBool(c.hasTotal, has)
		tb.SetInt(c.notice, notice)
		tb.SetInt(c.books, total)
		diff := notice - total
		tb.SetInt(c.diff, diff)
		if diff < 0 {
			diff = -diff
		}
		tb.SetInt(c.absDiff, diff)
		tb.Next()
	}
	return tb.Finish()
}

// booksFor sets village v's journal start on the row and returns whether
// its books cover period p wholly (by as_of) and their expenditure in it;
// a village without a ledger, or a label that is not a period, has
// neither.
func (b *builder) booksFor(tb *table.Builder, c financePos, v string, p period, parsed bool) (complete bool, total int64) {
	bk := b.books[v]
	if bk == nil {
		return false, 0
	}
	jstart, _ := bk.start()
	tb.SetDate(c.jStart, jstart)
	if !parsed {
		return false, 0
	}
	for m := p.first; m < p.first+civil.Month(p.n); m++ {
		total += bk.spend[m]
	}
	return p.start() >= jstart && p.end() <= b.asOf, total
}
