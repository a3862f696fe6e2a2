package gen

import (
	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/money"
)

// quarters owed: periods starting on/after the journal start, due (15 days
// after the quarter ends) on or before as_of.
type quarter struct {
	label      string
	first, end civil.Date
}

func (v *village) quartersOwed() []quarter {
	var qs []quarter
	y, _, _ := v.cfg.Start.YMD()
	for ; ; y++ {
		for q := 0; q < 4; q++ {
			first := (civil.MonthOf(y, 1) + civil.Month(3*q)).First()
			end := (civil.MonthOf(y, 1) + civil.Month(3*q+3)).First() - 1
			if first < v.cfg.Start {
				continue
			}
			if end.AddDays(15) > v.cfg.AsOf {
				return qs
			}
			b := make([]byte, 0, 7)
			b = pad(b, y, 4)
			b = append(b, '-', 'Q', byte('1'+q))
			qs = append(qs, quarter{label: string(b), first: first, end: end})
		}
	}
}

// books is the village's expenditure in [from, to]: outs on both accounts
// except deposits and withdrawals (domain.md, DIS-MISMATCH).
func (v *village) books(from, to civil.Date) money.Fen {
	var s money.Fen
	for _, e := range v.ledger {
		if !e.in && e.date >= from && e.date <= to && e.cat != "deposit" && e.cat != "withdrawal" {
			s += e.amount
		}
	}
	return s
}

func (v *village) addNotice(item, period string, posted, removed civil.Date) *disclosure {
	d := &disclosure{id: v.disclosureID(), item: item, period: period, posted: posted, removed: removed}
	v.discl = append(v.discl, d)
	return d
}

// removal keeps a notice up well beyond any minimum, or leaves it posted.
func (v *village) removal(posted civil.Date, atLeast civil.Date) civil.Date {
	r := max(posted.AddDays(60+v.r.IntN(40)), atLeast)
	if r > v.cfg.AsOf || v.r.IntN(3) == 0 {
		return noDate
	}
	return r
}

func (v *village) buildDisclosures() {
	for _, q := range v.quartersOwed() {
		p := q.end.AddDays(1 + v.r.IntN(12))
		d := v.addNotice("finance", q.label, p, v.removal(p, 0))
		d.amount, d.hasAmount = v.books(q.first, q.end), true
		p = q.end.AddDays(1 + v.r.IntN(12))
		v.addNotice("dibao_roster", q.label, p, v.removal(p, 0))
	}
	for _, c := range v.cases {
		p := c.approved.AddDays(-7 - v.r.IntN(8))
		v.addNotice("dibao_notice", c.id, p, v.removal(p, c.approved.AddDays(10)))
	}
	y0, _, _ := v.cfg.Start.YMD()
	y1, _, _ := v.cfg.AsOf.YMD()
	for y := y0; y <= y1; y++ {
		for k := 1; k <= 1+v.r.IntN(3); k++ {
			p := civil.MonthOf(y, 1).First().AddDays(v.r.IntN(365))
			if p > v.cfg.AsOf || p < v.cfg.Start {
				continue
			}
			ref := string(pad(pad([]byte("JC"), y, 4), k, 2))
			v.addNotice("major_decision", ref, p, v.removal(p, 0))
			if v.r.IntN(2) == 0 {
				d := v.addNotice("project", string(pad(pad([]byte("XM"), y, 4), k, 2)), p.AddDays(v.r.IntN(20)), noDate)
				if d.posted > v.cfg.AsOf {
					d.posted = p
				}
				d.removed = v.removal(d.posted, 0)
				d.amount, d.hasAmount = money.Fen(v.fenRange(20000, 300000)/10000*10000), true
			}
		}
		p := civil.MonthOf(y, 9).First().AddDays(v.r.IntN(30))
		if p <= v.cfg.AsOf && p >= v.cfg.Start {
			v.addNotice("collection", string(pad([]byte("DS"), y, 4))+"-医保", p, v.removal(p, 0))
		}
	}
}
