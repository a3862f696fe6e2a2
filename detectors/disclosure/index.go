package disclosure

import (
	"sort"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/table"
)

// The index every view is built from: each village's books (journal start,
// monthly expenditure), the village order, and the notices by village, item
// and period and by subsidy case.

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

// disclosureCols are the disclosures columns the views read, looked up
// once so the loops index arrays, not names.
type disclosureCols struct {
	village, id, item, period *array.String
	posted, removed           *array.Date32
	amount                    *array.Int64
}

func readDisclosureCols(t *table.Table) disclosureCols {
	return disclosureCols{
		village: t.Str("village_id"), id: t.Str("disclosure_id"), item: t.Str("item"), period: t.Str("period"),
		posted: t.Date("posted_on"), removed: t.Date("removed_on"), amount: t.Money("amount_total"),
	}
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
	b.d = readDisclosureCols(t)
	d := &b.d
	n := t.Len()
	b.byKey = make(map[noticeKey]found, n)
	b.byCase = map[string]found{}
	// keep returns the entry for key after seeing notice i.
	keep := func(f found, seen bool, i int) found {
		if !seen {
			return found{int32(i), 1}
		}
		f.n++
		if d.posted.Value(i) < d.posted.Value(int(f.row)) {
			f.row = int32(i)
		}
		return f
	}
	for i := 0; i < n; i++ {
		if d.posted.IsNull(i) {
			continue
		}
		if item := d.item.Value(i); item == "dibao_notice" {
			k := d.period.Value(i)
			f, seen := b.byCase[k]
			b.byCase[k] = keep(f, seen, i)
		} else {
			k := noticeKey{d.village.Value(i), item, d.period.Value(i)}
			f, seen := b.byKey[k]
			b.byKey[k] = keep(f, seen, i)
		}
	}
}
