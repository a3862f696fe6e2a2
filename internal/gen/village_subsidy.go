package gen

import (
	"slices"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/money"
)

func (v *village) caseID(program string) string {
	v.nextCase++
	b := make([]byte, 0, 20)
	if program == "dibao" {
		b = append(b, "DB"...)
	} else {
		b = append(b, "TK"...)
	}
	b = append(b, v.g.villageID...)
	b = append(b, '-')
	b = pad(b, v.nextCase, 4)
	return string(b)
}

func (v *village) randAmount(program string) money.Fen {
	if program == "tekun" {
		return money.Fen(780+10*v.r.IntN(15)) * 100
	}
	return money.Fen(380+10*v.r.IntN(19)) * 100
}

// newCase covers the given (alive, eligible) persons; approved is the
// decision date, the notice and application precede it.
func (v *village) newCase(program string, ps []int32, approved civil.Date) *caseT {
	c := &caseT{id: v.caseID(program), program: program, approved: approved,
		applied: approved.AddDays(-12 - v.r.IntN(30)), handler: v.cadreOn("subsidy_clerk", v.cfg.Start), filed: false}
	head := ps[0]
	useHead := program == "dibao" && len(ps) > 1 && v.r.IntN(2) == 0
	for _, p := range ps {
		m := &member{p: p, amount: v.randAmount(program), ended: noDate, holder: p}
		if useHead {
			m.holder = head
		}
		v.persons[p].benef = true
		c.members = append(c.members, m)
	}
	v.cases = append(v.cases, c)
	return c
}

func (v *village) randApproval() civil.Date {
	if v.r.IntN(10) < 7 {
		return v.cfg.Start.AddDays(-30 - v.r.IntN(2000))
	}
	return v.cfg.Start.AddDays(v.r.IntN(int(v.cfg.AsOf-v.cfg.Start) - 30))
}

func (v *village) eligibleHousehold(h int32) bool {
	for _, p := range v.hhs[h].members {
		pp := &v.persons[p]
		if pp.cadre || pp.benef || pp.planted || pp.death != noDate {
			return false
		}
	}
	return len(v.hhs[h].members) > 0
}

func (v *village) buildCases() {
	order := v.r.Perm(len(v.hhs))
	// 特困: old people living alone.
	want := int(float64(len(v.persons))*v.cfg.TekunRate + 0.5)
	for _, h := range order {
		if want <= 0 {
			break
		}
		hh := int32(h)
		if len(v.hhs[hh].members) == 1 && v.eligibleHousehold(hh) && v.age(v.hhs[hh].members[0], v.cfg.Start) >= 60 {
			v.newCase("tekun", v.hhs[hh].members, v.randApproval())
			want--
		}
	}
	// 低保: whole households. Keep a few old people living alone free for
	// plantings that need a one-person case.
	want = int(float64(len(v.persons))*v.cfg.DibaoRate + 0.5)
	skipSingles := 3
	for _, h := range order {
		if want <= 0 {
			break
		}
		hh := int32(h)
		if !v.eligibleHousehold(hh) {
			continue
		}
		if len(v.hhs[hh].members) == 1 && skipSingles > 0 {
			skipSingles--
			continue
		}
		v.newCase("dibao", slices.Clone(v.hhs[hh].members), v.randApproval())
		want -= len(v.hhs[hh].members)
	}
	for _, c := range v.cases {
		if v.r.IntN(12) == 0 {
			e := max(c.approved, v.cfg.Start).AddDays(60 + v.r.IntN(300))
			if e < v.cfg.AsOf {
				for _, m := range c.members {
					m.ended = e
				}
			}
		}
	}
}

// buildDeaths marks a few old non-beneficiaries dead, and in some villages an
// old beneficiary who died and whose payments stopped that month (clean).
func (v *village) buildDeaths() {
	n := len(v.persons) / 150
	for k := 0; k < n; k++ {
		p := int32(v.r.IntN(len(v.persons)))
		pp := &v.persons[p]
		if pp.cadre || pp.benef || pp.rel == "head" || v.age(p, v.cfg.AsOf) < 70 {
			continue
		}
		pp.death = v.cfg.AsOf.AddDays(-10 - v.r.IntN(1000))
	}
	if v.r.IntN(3) == 0 {
		for _, c := range v.cases {
			if len(c.members) < 2 || c.members[0].ended != noDate {
				continue
			}
			m := c.members[len(c.members)-1]
			if v.persons[m.p].planted {
				continue
			}
			lo := max(c.approved, v.cfg.Start).AddDays(30)
			if lo >= v.cfg.AsOf.AddDays(-60) {
				continue
			}
			d := lo.AddDays(v.r.IntN(int(v.cfg.AsOf.AddDays(-60) - lo)))
			v.persons[m.p].death = d
			m.ended = d
			break
		}
	}
}

// ---- payments ----

func accountNo(villageIdx int, p int32) string {
	b := make([]byte, 0, 19)
	b = append(b, "6217"...)
	b = pad(b, villageIdx, 8)
	b = pad(b, int(p), 6)
	return string(b)
}

func (v *village) buildPayments() {
	from := v.cfg.Start.Month()
	for _, c := range v.cases {
		for _, m := range c.members {
			last := v.cfg.AsOf.Month()
			if m.ended != noDate {
				last = min(last, m.ended.Month())
			}
			for mo := max(c.approved.Month(), from); mo <= last; mo++ {
				paid := max(mo.First().AddDays(9), c.approved)
				if paid > v.cfg.AsOf {
					continue
				}
				v.nextPay++
				b := make([]byte, 0, 21)
				b = append(b, 'P')
				b = append(b, v.g.villageID...)
				b = pad(b, v.nextPay, 7)
				v.pays = append(v.pays, &payment{id: string(b), c: c, m: m, period: mo, amount: m.amount, paid: paid, holder: m.holder})
			}
		}
	}
}

func (v *village) disclosureID() string {
	v.nextDis++
	b := make([]byte, 0, 18)
	b = append(b, 'D')
	b = append(b, v.g.villageID...)
	b = pad(b, v.nextDis, 4)
	return string(b)
}

// newLoner registers a new household of one old person, free for any
// planting that needs a fresh one-person case.
func (v *village) newLoner() int32 {
	h := v.newHousehold()
	p := v.addPerson(h, "head", v.r.IntN(2) == 0, v.yearsAgo(66+v.r.IntN(20)), "")
	v.persons[p].planted = true
	return p
}
