package gen

import (
	"strconv"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/money"
)

// overpaid plants a contract whose linked payments are just over 110% of
// its amount (exact: exactly 110%, a hard negative). The contract carries a
// matter with a passing resolve and is let by public bidding.
func (v *village) overpaid(span int, exact bool) (*contractRow, bool) {
	m := v.major
	for range 20 {
		mid, res := v.matterSteps(v.randStart(span), stepOpts{})
		signed := res + 1
		var picks []*entry
		for _, e := range v.ledger {
			if !e.cash && !e.in && e.cat == "expense" && e.date > signed && !m.linked[e] && (!exact || e.amount%11 == 0) {
				picks = append(picks, e)
				if len(picks) == 2 || exact {
					break
				}
			}
		}
		if len(picks) == 0 || (!exact && len(picks) < 2) {
			continue
		}
		var sum money.Fen
		for _, e := range picks {
			sum += e.amount
		}
		amt := sum * 10 / 11
		if !exact {
			amt--
		}
		c := v.addContract(mid, "工程合同", "project", contractors[m.r.IntN(len(contractors))], v.ownerID(), "public_bidding", amt, signed)
		for _, e := range picks {
			m.linked[e] = true
			m.links = append(m.links, [2]string{e.id, c.id})
		}
		for i := range m.decisions {
			if m.decisions[i].matter == mid {
				m.decisions[i].amount = amt
			}
		}
		return c, true
	}
	return nil, false
}

// cadreKin finds a member of an in-office cadre's household (former: of a
// cadre whose term ended before as_of, for the negative), other than the
// cadre; the cadre when the household has nobody else.
func (v *village) cadreKin(former bool) (int32, bool) {
	for _, c := range v.cadres {
		if (c.end == noDate) == former || c.start > v.cfg.Start {
			continue
		}
		if former {
			// A former cadre's relative is someone else's only when no
			// serving cadre shares the household.
			if v.servingInHousehold(c.p) {
				continue
			}
		}
		for _, mb := range v.hhs[v.persons[c.p].hh].members {
			if mb != c.p {
				return mb, true
			}
		}
		return c.p, true
	}
	return -1, false
}

func (v *village) servingInHousehold(p int32) bool {
	hh := v.persons[p].hh
	for _, c := range v.cadres {
		if c.end == noDate && v.persons[c.p].hh == hh {
			return true
		}
	}
	for _, k := range v.kin {
		for _, c := range v.cadres {
			if c.end == noDate && ((k.a == c.p && v.persons[k.b].hh == hh) || (k.b == c.p && v.persons[k.a].hh == hh)) {
				return true
			}
		}
	}
	return false
}

// majorNegatives plants the hard negatives of ../shared/power-items.md
// that a village can hold (a relative in another village needs two
// villages: the rule tests cover it).
func (v *village) majorNegatives(span int) {
	m := v.major
	// A resolve on the signing day.
	mid, res := v.matterSteps(v.randStart(span), stepOpts{})
	v.contractFor(mid, res, "")
	// A publish_resolution exactly on day 7.
	v.matterSteps(v.randStart(span), stepOpts{publishDay: 7})
	// Split contracts summing to 99,999.99; three 91 days apart in pairs.
	d := v.randBefore(span, 65)
	a := money.Fen(3000000 + m.r.IntN(600000))
	owner, cp := v.ownerID(), contractors[m.r.IntN(len(contractors))]
	for k, amt := range []money.Fen{a, 3000000, 9999999 - a - 3000000} {
		v.addContract("", "零星维修工程", "project", cp, owner, "negotiation", amt, d+civil.Date(k*30))
	}
	d = v.randBefore(span, 140)
	owner, cp = v.ownerID(), contractors[m.r.IntN(len(contractors))]
	for _, off := range []int{0, 45, 136} {
		v.addContract("", "零星维修工程", "project", cp, owner, "direct", 4000000, d+civil.Date(off))
	}
	// A former cadre's household member (the cadre's term ended before signing).
	if p, ok := v.cadreKin(true); ok {
		var end civil.Date
		for _, c := range v.cadres {
			if c.end != noDate && v.persons[c.p].hh == v.persons[p].hh {
				end = c.end
			}
		}
		if end+5 <= v.cfg.AsOf {
			v.addContract("", "保洁服务", "service", v.persons[p].name, v.persons[p].id, "direct", 2000000, end+1+civil.Date(m.r.IntN(int(v.cfg.AsOf-end-1))))
		}
	}
	// Payments at exactly 110%.
	v.overpaid(span, true)
}

// ownerID is an ID number from outside the district (a contractor's legal
// representative): never in the register, never a cadre's relative.
func (v *village) ownerID() string {
	m := v.major
	m.nOwner++
	return personID("500101", civil.MustParse("1970-01-01")+civil.Date(v.idx*37+m.nOwner*11), v.idx%150, m.nOwner%3, m.nOwner%2 == 0)
}

func pad3(n int) string {
	s := strconv.Itoa(n)
	for len(s) < 3 {
		s = "0" + s
	}
	return s
}
