package disclosure

import (
	"fmt"
	"strings"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/table"
)

// obligationPos are the obligations view's column positions, resolved once
// per Build so the row loop indexes, not looks up by name.
type obligationPos struct {
	village, item, itemName, period, freq    int
	start, end, due, dueDays, jStart, basis  int
	notices, id, posted, removed, late, days int
}

func obligationPositions(tb *table.Builder) obligationPos {
	return obligationPos{
		village: tb.Col("village_id"), item: tb.Col("item"), itemName: tb.Col("item_name"), period: tb.Col("period"), freq: tb.Col("frequency"),
		start: tb.Col("period_start"), end: tb.Col("period_end"), due: tb.Col("due_on"), dueDays: tb.Col("due_days"),
		jStart: tb.Col("journal_start"), basis: tb.Col("start_basis"), notices: tb.Col("notices"), id: tb.Col("disclosure_id"),
		posted: tb.Col("posted_on"), removed: tb.Col("removed_on"), late: tb.Col("days_late"), days: tb.Col("days_posted"),
	}
}

// schedule is one periodic item as a village's settings define it.
type schedule struct {
	item, freq string
	months     int // period length: 1, 3 or 12
	dueDays    int64
}

// schedules reads village v's periodic items; a setting naming an unknown
// item or frequency is an error, since the village would silently owe
// nothing. The slice is reused from village to village (valid until the
// next call), so the schedule costs no allocation per village.
func (b *builder) schedules(v string) ([]schedule, error) {
	in := b.in
	out := b.sched[:0]
	for _, item := range in.Strings(v, setItems) {
		if !isItem(item) {
			return nil, fmt.Errorf("settings disclosure.items for village %s: %q is not a disclosure item (%s)", v, item, strings.Join(contract.Items, ", "))
		}
		freq := in.Str(v, item+sufFreq)
		months, ok := frequencyMonths(freq)
		if !ok {
			return nil, fmt.Errorf("settings disclosure.%s%s for village %s: %q is not quarterly, monthly or yearly", item, sufFreq, v, freq)
		}
		out = append(out, schedule{item: item, freq: freq, months: months, dueDays: in.Int(v, item+sufDue)})
	}
	b.sched = out
	return out, nil
}

func isItem(s string) bool { return itemIndex(s) >= 0 }

// obligations is one row per village, periodic item and period due by
// as_of (and ending inside the run window), with the earliest notice found.
func (b *builder) obligations() (*table.Table, error) {
	in := b.in
	tb := table.NewBuilder(in.Mem, viewObligations, obligationCols)
	c := obligationPositions(tb)
	labels := map[period]string{} // each period label formatted once
	for _, v := range b.villages {
		jstart, basis := b.books[v].start()
		from := jstart
		if in.From != 0 && in.From > from {
			from = in.From
		}
		items, err := b.schedules(v)
		if err != nil {
			tb.Finish().Release()
			return nil, err
		}
		for _, s := range items {
			for p := firstPeriodFrom(from, s.months); ; p = p.next() {
				end := p.end()
				due := end.AddDays(int(s.dueDays))
				if due > b.asOf || (in.To != 0 && end > in.To) {
					break
				}
				label, ok := labels[p]
				if !ok {
					label = p.label()
					labels[p] = label
				}
				tb.SetStr(c.village, v)
				tb.SetStr(c.item, s.item)
				tb.SetStr(c.itemName, contract.ItemLabels[s.item])
				tb.SetStr(c.period, label)
				tb.SetStr(c.freq, s.freq)
				tb.SetDate(c.start, p.start())
				tb.SetDate(c.end, end)
				tb.SetDate(c.due, due)
				tb.SetInt(c.dueDays, s.dueDays)
				tb.SetDate(c.jStart, jstart)
				tb.SetStr(c.basis, basis)
				b.setNotice(tb, c, noticeKey{v, s.item, label}, due)
				tb.Next()
			}
		}
	}
	return tb.Finish(), nil
}

// setNotice fills the notice columns of an obligation row from the
// earliest notice found for key (left null when none was posted).
func (b *builder) setNotice(tb *table.Builder, c obligationPos, key noticeKey, due civil.Date) {
	f, has := b.byKey[key]
	tb.SetInt(c.notices, int64(f.n))
	if !has {
		return
	}
	i := int(f.row)
	posted := civil.Date(b.d.posted.Value(i))
	tb.SetStr(c.id, b.d.id.Value(i))
	tb.SetDate(c.posted, posted)
	if r, ok := b.removed(i); ok {
		tb.SetDate(c.removed, r)
	}
	tb.SetInt(c.late, int64(posted-due))
	tb.SetInt(c.days, b.daysPosted(i))
}
