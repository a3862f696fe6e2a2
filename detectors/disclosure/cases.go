package disclosure

import (
	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/table"
)

// caseAgg is one subsidy case gathered from its beneficiary rows.
type caseAgg struct {
	village, id, program, handledBy string
	approved                        civil.Date
	persons                         int64
	monthly                         int64
}

// casePos are the case_notices view's column positions, resolved once.
type casePos struct {
	village, id, program, programName, approved, month, handledBy int
	persons, monthly, jStart, notices, noticeID                   int
	posted, removed, before                                       int
}

func casePositions(tb *table.Builder) casePos {
	return casePos{
		village: tb.Col("village_id"), id: tb.Col("case_id"), program: tb.Col("program"), programName: tb.Col("program_name"),
		approved: tb.Col("approved_on"), month: tb.Col("approved_month"), handledBy: tb.Col("handled_by"),
		persons: tb.Col("persons"), monthly: tb.Col("monthly_total"), jStart: tb.Col("journal_start"),
		notices: tb.Col("notices"), noticeID: tb.Col("disclosure_id"),
		posted: tb.Col("notice_posted_on"), removed: tb.Col("notice_removed_on"), before: tb.Col("days_before"),
	}
}

// gatherCases folds the beneficiary rows into cases, in order of first
// appearance: earliest approval, first non-empty handler, persons and the
// sum of their monthly amounts. Rows without an approval date are not a
// case's evidence and are skipped.
func gatherCases(t *table.Table) []caseAgg {
	n := t.Len()
	if n == 0 {
		return nil
	}
	var list []caseAgg
	cid, prog, vid, appr, amt, hb := t.Str("case_id"), t.Str("program"), t.Str("village_id"), t.Date("approved_on"), t.Money("monthly_amount"), t.Str("handled_by")
	idx := make(map[string]int, n)
	for i := 0; i < n; i++ {
		if appr.IsNull(i) {
			continue
		}
		id := cid.Value(i)
		k, ok := idx[id]
		if !ok {
			k = len(list)
			idx[id] = k
			list = append(list, caseAgg{village: vid.Value(i), id: id, program: prog.Value(i), approved: civil.Date(appr.Value(i))})
		}
		c := &list[k]
		if d := civil.Date(appr.Value(i)); d < c.approved {
			c.approved = d
		}
		if c.handledBy == "" && !hb.IsNull(i) {
			c.handledBy = hb.Value(i)
		}
		c.persons++
		if !amt.IsNull(i) {
			c.monthly += amt.Value(i)
		}
	}
	return list
}

// cases is one row per subsidy case approved inside the run window and on
// or after its village's journal start, beside its earliest public notice.
func (b *builder) cases(t *table.Table) *table.Table {
	in := b.in
	tb := table.NewBuilder(in.Mem, viewCases, caseCols)
	list := gatherCases(t)
	c := casePositions(tb)
	months := map[civil.Month]string{} // each month label formatted once
	for k := range list {
		cs := &list[k]
		if (in.From != 0 && cs.approved < in.From) || (in.To != 0 && cs.approved > in.To) {
			continue
		}
		bk := b.books[cs.village]
		if bk == nil {
			continue // no journal: nothing shows the data covers the case
		}
		jstart, _ := bk.start()
		if cs.approved < jstart {
			continue // predates the data
		}
		tb.SetStr(c.village, cs.village)
		tb.SetStr(c.id, cs.id)
		tb.SetStr(c.program, cs.program)
		tb.SetStr(c.programName, contract.ProgramLabels[cs.program])
		tb.SetDate(c.approved, cs.approved)
		m := cs.approved.Month()
		ms, ok := months[m]
		if !ok {
			ms = m.String()
			months[m] = ms
		}
		tb.SetStr(c.month, ms)
		if cs.handledBy != "" {
			tb.SetStr(c.handledBy, cs.handledBy)
		}
		tb.SetInt(c.persons, cs.persons)
		tb.SetInt(c.monthly, cs.monthly)
		tb.SetDate(c.jStart, jstart)
		f, has := b.byCase[cs.id]
		tb.SetInt(c.notices, int64(f.n))
		if has {
			i := int(f.row)
			posted := civil.Date(b.d.posted.Value(i))
			tb.SetStr(c.noticeID, b.d.id.Value(i))
			tb.SetDate(c.posted, posted)
			if r, ok := b.removed(i); ok {
				tb.SetDate(c.removed, r)
			}
			tb.SetInt(c.before, int64(cs.approved-posted))
		}
		tb.Next()
	}
	return tb.Finish()
}
