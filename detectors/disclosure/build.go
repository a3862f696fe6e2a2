package disclosure

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/table"
)

// books is what the ledger says about one village.
type books struct {
	opening    civil.Date // earliest opening entry
	hasOpening bool
	first      civil.Date // earliest entry of any category
	spend      map[civil.Month]int64
}

// start is the village's journal start and what it rests on.
func (b *books) start() (civil.Date, string) {
	if b.hasOpening {
		return b.opening, "opening"
	}
	return b.first, "first_entry"
}

// noticeKey finds the notices of one village, item and period.
type noticeKey struct{ village, item, period string }

// found is the earliest notice (row index) posted for a key, and how many.
type found struct {
	row int32
	n   int32
}

// builder holds what every view is built from; strings point into the
// Arrow tables, which outlive Build.
type builder struct {
	in   *engine.Input
	asOf civil.Date

	villages []string // in villages-table order, then ledger-only villages sorted
	books    map[string]*books

	// disclosures
	dVillage, dID, dItem, dPeriod *array.String
	dPosted, dRemoved             *array.Date32
	dAmount                       *array.Int64
	byKey                         map[noticeKey]found
	byCase                        map[string]found
}

func (d detector) Build(ctx context.Context, in *engine.Input) (map[string]*table.Table, error) {
	b := &builder{in: in, asOf: in.AsOf}
	needSpend := in.Want[viewFinance]
	b.readLedger(in.Tables["ledger"], needSpend)
	b.orderVillages(in.Tables["villages"])
	b.readDisclosures(in.Tables["disclosures"])
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	out := map[string]*table.Table{}
	release := func() {
		for _, t := range out {
			t.Release()
		}
	}
	if in.Want[viewObligations] {
		t, err := b.obligations()
		if err != nil {
			release()
			return nil, err
		}
		out[viewObligations] = t
	}
	if in.Want[viewNotices] {
		out[viewNotices] = b.notices()
	}
	if in.Want[viewCases] {
		out[viewCases] = b.cases(in.Tables["beneficiaries"])
	}
	if in.Want[viewFinance] {
		out[viewFinance] = b.finance()
	}
	if err := ctx.Err(); err != nil {
		release()
		return nil, err
	}
	return out, nil
}

// readLedger finds each village's journal start and, when asked, its
// expenditure per month (out movements except deposit and withdrawal).
// One pass; rows of one village and month are usually adjacent, so the
// last village and month are cached.
func (b *builder) readLedger(t *table.Table, spend bool) {
	b.books = map[string]*books{}
	n := t.Len()
	if n == 0 {
		return
	}
	vid, date, dir, amt, cat := t.Str("village_id"), t.Date("date"), t.Str("direction"), t.Money("amount"), t.Str("category")
	var cur *books
	curV := ""
	var curM civil.Month
	var acc int64
	accOpen := false
	flush := func() {
		if accOpen {
			cur.spend[curM] += acc
			accOpen = false
		}
	}
	for i := 0; i < n; i++ {
		if date.IsNull(i) || vid.IsNull(i) {
			continue
		}
		v := vid.Value(i)
		if cur == nil || v != curV {
			flush()
			cur = b.books[v]
			if cur == nil {
				cur = &books{first: civil.Date(date.Value(i))}
				if spend {
					cur.spend = map[civil.Month]int64{}
				}
				b.books[v] = cur
			}
			curV = v
		}
		d := civil.Date(date.Value(i))
		if d < cur.first {
			cur.first = d
		}
		c := cat.Value(i)
		if c == "opening" && (!cur.hasOpening || d < cur.opening) {
			cur.opening, cur.hasOpening = d, true
		}
		if !spend || dir.Value(i) != "out" || c == "deposit" || c == "withdrawal" || amt.IsNull(i) {
			continue
		}
		m := d.Month()
		if !accOpen || m != curM {
			flush()
			curM, acc, accOpen = m, 0, true
		}
		acc += amt.Value(i)
	}
	flush()
}

// orderVillages fixes the village order of the obligations view: the
// villages table's order, then villages found only in the ledger, sorted.
func (b *builder) orderVillages(t *table.Table) {
	seen := make(map[string]bool, len(b.books))
	if t != nil && t.Len() > 0 {
		vid := t.Str("village_id")
		for i := 0; i < t.Len(); i++ {
			v := vid.Value(i)
			if _, ok := b.books[v]; ok && !seen[v] {
				seen[v] = true
				b.villages = append(b.villages, v)
			}
		}
	}
	var rest []string
	for v := range b.books {
		if !seen[v] {
			rest = append(rest, v)
		}
	}
	sort.Strings(rest)
	b.villages = append(b.villages, rest...)
}

// readDisclosures indexes the notices: per village, item and period, and
// the dibao_notice notices per case id; the earliest posted wins (ties:
// the first in the table).
func (b *builder) readDisclosures(t *table.Table) {
	b.dVillage, b.dID, b.dItem, b.dPeriod = t.Str("village_id"), t.Str("disclosure_id"), t.Str("item"), t.Str("period")
	b.dPosted, b.dRemoved, b.dAmount = t.Date("posted_on"), t.Date("removed_on"), t.Money("amount_total")
	n := t.Len()
	b.byKey = make(map[noticeKey]found, n)
	b.byCase = map[string]found{}
	// keep returns the entry for key after seeing notice i.
	keep := func(f found, seen bool, i int) found {
		if !seen {
			return found{int32(i), 1}
		}
		f.n++
		if b.dPosted.Value(i) < b.dPosted.Value(int(f.row)) {
			f.row = int32(i)
		}
		return f
	}
	for i := 0; i < n; i++ {
		if b.dPosted.IsNull(i) {
			continue
		}
		if item := b.dItem.Value(i); item == "dibao_notice" {
			k := b.dPeriod.Value(i)
			f, seen := b.byCase[k]
			b.byCase[k] = keep(f, seen, i)
		} else {
			k := noticeKey{b.dVillage.Value(i), item, b.dPeriod.Value(i)}
			f, seen := b.byKey[k]
			b.byKey[k] = keep(f, seen, i)
		}
	}
}

// removed is a notice's removal as known on as_of: false while still up
// (no removal, or one dated after as_of, which is not read).
func (b *builder) removed(i int) (civil.Date, bool) {
	if b.dRemoved.IsNull(i) {
		return 0, false
	}
	r := civil.Date(b.dRemoved.Value(i))
	if r > b.asOf {
		return 0, false
	}
	return r, true
}

// daysPosted is how long notice i was up: to its removal, or to as_of.
func (b *builder) daysPosted(i int) int64 {
	end := b.asOf
	if r, ok := b.removed(i); ok {
		end = r
	}
	return int64(end - civil.Date(b.dPosted.Value(i)))
}

func isItem(s string) bool {
	for _, it := range contract.Items {
		if it == s {
			return true
		}
	}
	return false
}

func (b *builder) obligations() (*table.Table, error) {
	in := b.in
	tb := table.NewBuilder(in.Mem, viewObligations, obligationCols)
	cV, cItem, cItemName, cPeriod, cFreq := tb.Col("village_id"), tb.Col("item"), tb.Col("item_name"), tb.Col("period"), tb.Col("frequency")
	cStart, cEnd, cDue, cDueDays := tb.Col("period_start"), tb.Col("period_end"), tb.Col("due_on"), tb.Col("due_days")
	cJStart, cBasis, cN, cID := tb.Col("journal_start"), tb.Col("start_basis"), tb.Col("notices"), tb.Col("disclosure_id")
	cPosted, cRemoved, cLate, cDays := tb.Col("posted_on"), tb.Col("removed_on"), tb.Col("days_late"), tb.Col("days_posted")
	labels := map[period]string{}
	for _, v := range b.villages {
		jstart, basis := b.books[v].start()
		from := jstart
		if in.From != 0 && in.From > from {
			from = in.From
		}
		for _, item := range in.Strings(v, setItems) {
			if !isItem(item) {
				tb.Finish().Release()
				return nil, fmt.Errorf("settings disclosure.items for village %s: %q is not a disclosure item (%s)", v, item, strings.Join(contract.Items, ", "))
			}
			freq := in.Str(v, item+sufFreq)
			months, ok := frequencyMonths(freq)
			if !ok {
				tb.Finish().Release()
				return nil, fmt.Errorf("settings disclosure.%s%s for village %s: %q is not quarterly, monthly or yearly", item, sufFreq, v, freq)
			}
			dueDays := in.Int(v, item+sufDue)
			for p := firstPeriodFrom(from, months); ; p = p.next() {
				end := p.end()
				due := end.AddDays(int(dueDays))
				if due > b.asOf || (in.To != 0 && end > in.To) {
					break
				}
				label, ok := labels[p]
				if !ok {
					label = p.label()
					labels[p] = label
				}
				tb.SetStr(cV, v)
				tb.SetStr(cItem, item)
				tb.SetStr(cItemName, itemNames[item])
				tb.SetStr(cPeriod, label)
				tb.SetStr(cFreq, freq)
				tb.SetDate(cStart, p.start())
				tb.SetDate(cEnd, end)
				tb.SetDate(cDue, due)
				tb.SetInt(cDueDays, dueDays)
				tb.SetDate(cJStart, jstart)
				tb.SetStr(cBasis, basis)
				f, has := b.byKey[noticeKey{v, item, label}]
				tb.SetInt(cN, int64(f.n))
				if has {
					i := int(f.row)
					posted := civil.Date(b.dPosted.Value(i))
					tb.SetStr(cID, b.dID.Value(i))
					tb.SetDate(cPosted, posted)
					if r, ok := b.removed(i); ok {
						tb.SetDate(cRemoved, r)
					}
					tb.SetInt(cLate, int64(posted-due))
					tb.SetInt(cDays, b.daysPosted(i))
				}
				tb.Next()
			}
		}
	}
	return tb.Finish(), nil
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

func (b *builder) notices() *table.Table {
	in := b.in
	n := b.dID.Len()
	tb := table.NewBuilder(in.Mem, viewNotices, noticeCols)
	tb.Reserve(n)
	cV, cID, cItem, cItemName, cPeriod := tb.Col("village_id"), tb.Col("disclosure_id"), tb.Col("item"), tb.Col("item_name"), tb.Col("period")
	cPosted, cRemoved, cUp, cDays, cMin, cAmt := tb.Col("posted_on"), tb.Col("removed_on"), tb.Col("still_up"), tb.Col("days_posted"), tb.Col("min_days_posted"), tb.Col("amount_total")
	// minimum days per item, resolved once per village
	mins := map[string][]int64{}
	curV := "\x00"
	var cur []int64
	for i := 0; i < n; i++ {
		if b.dPosted.IsNull(i) {
			continue
		}
		v := b.dVillage.Value(i)
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
		tb.SetStr(cV, v)
		tb.SetStr(cID, b.dID.Value(i))
		item := b.dItem.Value(i)
		tb.SetStr(cItem, item)
		tb.SetStr(cItemName, itemNames[item])
		tb.SetStr(cPeriod, b.dPeriod.Value(i))
		tb.SetDate(cPosted, civil.Date(b.dPosted.Value(i)))
		r, gone := b.removed(i)
		if gone {
			tb.SetDate(cRemoved, r)
		}
		tb.SetBool(cUp, !gone)
		tb.SetInt(cDays, b.daysPosted(i))
		if k := itemIndex(item); k >= 0 {
			tb.SetInt(cMin, cur[k])
		} else {
			tb.SetInt(cMin, 0)
		}
		if !b.dAmount.IsNull(i) {
			tb.SetInt(cAmt, b.dAmount.Value(i))
		}
		tb.Next()
	}
	return tb.Finish()
}

// caseAgg is one subsidy case gathered from its beneficiary rows.
type caseAgg struct {
	village, id, program, handledBy string
	approved                        civil.Date
	persons                         int64
	monthly                         int64
}

func (b *builder) cases(t *table.Table) *table.Table {
	in := b.in
	tb := table.NewBuilder(in.Mem, viewCases, caseCols)
	n := t.Len()
	var list []caseAgg
	if n > 0 {
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
	}
	cProgName := tb.Col("program_name")
	cV, cID, cProg, cAppr, cMonth, cHB := tb.Col("village_id"), tb.Col("case_id"), tb.Col("program"), tb.Col("approved_on"), tb.Col("approved_month"), tb.Col("handled_by")
	cPersons, cMonthly, cJStart, cN, cDID := tb.Col("persons"), tb.Col("monthly_total"), tb.Col("journal_start"), tb.Col("notices"), tb.Col("disclosure_id")
	cPosted, cRemoved, cBefore := tb.Col("notice_posted_on"), tb.Col("notice_removed_on"), tb.Col("days_before")
	months := map[civil.Month]string{}
	for k := range list {
		c := &list[k]
		if (in.From != 0 && c.approved < in.From) || (in.To != 0 && c.approved > in.To) {
			continue
		}
		bk := b.books[c.village]
		if bk == nil {
			continue // no journal: nothing shows the data covers the case
		}
		jstart, _ := bk.start()
		if c.approved < jstart {
			continue // predates the data
		}
		tb.SetStr(cV, c.village)
		tb.SetStr(cID, c.id)
		tb.SetStr(cProg, c.program)
		tb.SetStr(cProgName, programNames[c.program])
		tb.SetDate(cAppr, c.approved)
		m := c.approved.Month()
		ms, ok := months[m]
		if !ok {
			ms = m.String()
			months[m] = ms
		}
		tb.SetStr(cMonth, ms)
		if c.handledBy != "" {
			tb.SetStr(cHB, c.handledBy)
		}
		tb.SetInt(cPersons, c.persons)
		tb.SetInt(cMonthly, c.monthly)
		tb.SetDate(cJStart, jstart)
		f, has := b.byCase[c.id]
		tb.SetInt(cN, int64(f.n))
		if has {
			i := int(f.row)
			posted := civil.Date(b.dPosted.Value(i))
			tb.SetStr(cDID, b.dID.Value(i))
			tb.SetDate(cPosted, posted)
			if r, ok := b.removed(i); ok {
				tb.SetDate(cRemoved, r)
			}
			tb.SetInt(cBefore, int64(c.approved-posted))
		}
		tb.Next()
	}
	return tb.Finish()
}

func (b *builder) finance() *table.Table {
	in := b.in
	tb := table.NewBuilder(in.Mem, viewFinance, financeCols)
	cV, cID, cPeriod, cStart, cEnd := tb.Col("village_id"), tb.Col("disclosure_id"), tb.Col("period"), tb.Col("period_start"), tb.Col("period_end")
	cPosted, cRemoved, cJStart, cComplete := tb.Col("posted_on"), tb.Col("removed_on"), tb.Col("journal_start"), tb.Col("books_complete")
	cHas, cNotice, cBooks, cDiff, cAbs := tb.Col("has_total"), tb.Col("notice_total"), tb.Col("books_total"), tb.Col("difference"), tb.Col("abs_difference")
	n := b.dID.Len()
	for i := 0; i < n; i++ {
		if b.dPosted.IsNull(i) || b.dItem.Value(i) != "finance" {
			continue
		}
		v := b.dVillage.Value(i)
		label := b.dPeriod.Value(i)
		tb.SetStr(cV, v)
		tb.SetStr(cID, b.dID.Value(i))
		tb.SetStr(cPeriod, label)
		tb.SetDate(cPosted, civil.Date(b.dPosted.Value(i)))
		if r, ok := b.removed(i); ok {
			tb.SetDate(cRemoved, r)
		}
		p, parsed := parsePeriod(label)
		bk := b.books[v]
		complete := false
		var total int64
		if parsed {
			tb.SetDate(cStart, p.start())
			tb.SetDate(cEnd, p.end())
		}
		if bk != nil {
			jstart, _ := bk.start()
			tb.SetDate(cJStart, jstart)
			if parsed {
				complete = p.start() >= jstart && p.end() <= b.asOf
				for m := p.first; m < p.first+civil.Month(p.n); m++ {
					total += bk.spend[m]
				}
			}
		}
		tb.SetBool(cComplete, complete)
		notice := int64(0)
		has := !b.dAmount.IsNull(i)
		if has {
			notice = b.dAmount.Value(i)
		}
		tb.SetBool(cHas, has)
		tb.SetInt(cNotice, notice)
		tb.SetInt(cBooks, total)
		diff := notice - total
		tb.SetInt(cDiff, diff)
		if diff < 0 {
			diff = -diff
		}
		tb.SetInt(cAbs, diff)
		tb.Next()
	}
	return tb.Finish()
}
