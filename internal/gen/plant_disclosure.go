package gen

import (
	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/money"
)

// Disclosure plantings edit the notices after buildDisclosures, when the
// journal is final (so DIS-MISMATCH is measured against the real books).
// Each periodic planting takes its own (item, quarter) slot, so no two touch
// one notice; the case plantings take distinct cases approved on or after
// the journal start.

// prepareDisclosure runs before payments are built: the case plantings need
// cases decided inside the journal, and a small village may have none.
func (v *village) prepareDisclosure() {
	need := 0
	for _, k := range []string{"DIS-NO-NOTICE", "DIS-NOTICE-SHORT"} {
		if v.kind[k] {
			need++
		}
	}
	have := 0
	for _, c := range v.cases {
		if c.approved >= v.cfg.Start && !v.persons[c.members[0].p].planted {
			have++
		}
	}
	for ; have < need; have++ {
		p := v.newLoner()
		v.newCase("tekun", []int32{p}, v.cfg.Start.AddDays(30+v.r.IntN(int(v.cfg.AsOf-v.cfg.Start)-90)))
	}
}

func (v *village) findNotice(item, period string) *disclosure {
	for _, d := range v.discl {
		if d.item == item && d.period == period {
			return d
		}
	}
	return nil
}

func (v *village) obligation(item, period string) string {
	return "obligation:" + v.g.villageID + "/" + item + "/" + period
}

func (v *village) plantDisclosure() {
	qs := v.quartersOwed()
	type slot struct {
		item string
		q    quarter
	}
	var slots []slot
	for _, q := range qs {
		slots = append(slots, slot{"finance", q}, slot{"dibao_roster", q})
	}
	v.r.Shuffle(len(slots), func(i, j int) { slots[i], slots[j] = slots[j], slots[i] })
	used := map[int]bool{}
	take := func(ok func(s slot) bool) (slot, bool) {
		for i, s := range slots {
			if !used[i] && ok(s) {
				used[i] = true
				return s, true
			}
		}
		return slot{}, false
	}
	any := func(slot) bool { return true }
	due := func(q quarter) civil.Date { return q.end.AddDays(15) }

	if v.kind["DIS-MISMATCH"] {
		if s, ok := take(func(s slot) bool { return s.item == "finance" }); ok {
			d := v.findNotice(s.item, s.q.label)
			books := v.books(s.q.first, s.q.end)
			diff := max(books/200, 10000) + v.fenRange(500, 3000)
			if books > 2*diff {
				d.amount = books - diff
			} else {
				d.amount = books + diff
			}
			v.expectSubj("DIS-MISMATCH", "disclosure:"+d.id)
		}
	}
	if v.kind["DIS-MISSING"] {
		if s, ok := take(any); ok {
			d := v.findNotice(s.item, s.q.label)
			v.removeNotice(d)
			v.expectSubj("DIS-MISSING", v.obligation(s.item, s.q.label))
		}
	}
	if v.kind["DIS-LATE"] {
		if s, ok := take(func(s slot) bool { return due(s.q).AddDays(20) <= v.cfg.AsOf }); ok {
			d := v.findNotice(s.item, s.q.label)
			d.posted = due(s.q).AddDays(3 + v.r.IntN(17))
			d.removed = v.removal(d.posted, 0)
			v.expectSubj("DIS-LATE", v.obligation(s.item, s.q.label))
		}
	}
	if v.kind["DIS-SHORT"] {
		if s, ok := take(func(s slot) bool { return due(s.q).AddDays(6) <= v.cfg.AsOf }); ok {
			d := v.findNotice(s.item, s.q.label)
			d.removed = d.posted.AddDays(5) // up 5 days: short of 15 (and of 7)
			v.expectSubj("DIS-SHORT", "disclosure:"+d.id)
		}
	}
	var recent []*caseT
	for _, c := range v.cases {
		if c.approved >= v.cfg.Start {
			recent = append(recent, c)
		}
	}
	v.r.Shuffle(len(recent), func(i, j int) { recent[i], recent[j] = recent[j], recent[i] })
	if v.kind["DIS-NO-NOTICE"] && len(recent) > 0 {
		c := recent[0]
		recent = recent[1:]
		v.removeNotice(v.findNotice("dibao_notice", c.id))
		v.expectSubj("DIS-NO-NOTICE", "case:"+c.id)
	}
	if v.kind["DIS-NOTICE-SHORT"] && len(recent) > 0 {
		c := recent[0]
		d := v.findNotice("dibao_notice", c.id)
		d.posted = c.approved.AddDays(-3) // 3 days of public notice instead of 7
		v.expectSubj("DIS-NOTICE-SHORT", "case:"+c.id)
	}
}

func (v *village) removeNotice(d *disclosure) {
	for i, x := range v.discl {
		if x == d {
			v.discl = append(v.discl[:i], v.discl[i+1:]...)
			return
		}
	}
}

var _ money.Fen
