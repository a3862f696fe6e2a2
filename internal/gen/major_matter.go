package gen

import (
	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/money"
)

// randStart is a matter's first day, leaving room for its steps before as_of.
func (v *village) randStart(span int) civil.Date { return v.randBefore(span, 90) }

// randBefore is a day at least room days before as_of.
func (v *village) randBefore(span, room int) civil.Date {
	return v.cfg.Start + civil.Date(10+v.major.r.IntN(max(1, span-10-room)))
}

type stepOpts struct {
	skipReview bool
	failFirst  bool
	publishDay int // days after the resolve; 0 = 1..7
	amount     money.Fen
	project    bool // a project matter (its contract is a project)
}

// matterSteps writes a matter's procedure from day d and returns its id and
// its (passing) resolve day.
func (v *village) matterSteps(d civil.Date, o stepOpts) (string, civil.Date) {
	m := v.major
	m.nMatter++
	mid := "SX" + v.g.villageID + pad3(m.nMatter)
	mn := matterNames[m.r.IntN(len(matterNames))]
	for o.project && mn.ccat != "project" {
		mn = matterNames[m.r.IntN(len(matterNames))]
	}
	amt := o.amount
	if amt == 0 {
		amt = money.Fen(6000000 + m.r.IntN(39000000))
	}
	add := func(step string, day civil.Date, el, at, ag int) {
		if day > v.cfg.AsOf {
			return
		}
		m.nDec++
		m.decisions = append(m.decisions, decisionRow{id: "JC" + v.g.villageID + pad3(m.nDec), matter: mid, name: mn.name, cat: mn.cat, step: step,
			amount: amt, date: day, eligible: el, attended: at, agreed: ag})
	}
	day := d
	add("proposal", day, 0, 0, 0)
	day += civil.Date(1 + m.r.IntN(4))
	add("consult", day, 0, 0, 0)
	if !o.skipReview {
		day += civil.Date(1 + m.r.IntN(4))
		add("review", day, 0, 0, 0)
	}
	day += civil.Date(1 + m.r.IntN(5))
	if o.failFirst {
		el := 25 + m.r.IntN(20)
		add("resolve", day, el, el/2, el/2) // not more than half attended
		m.failed = m.decisions[len(m.decisions)-1].id
		day += civil.Date(3 + m.r.IntN(5))
	}
	el := 25 + m.r.IntN(20)
	at := el/2 + 1 + m.r.IntN(el-el/2)
	ag := at/2 + 1 + m.r.IntN(at-at/2)
	add("resolve", day, el, at, ag)
	res := day
	pub := o.publishDay
	if pub == 0 {
		pub = 1 + m.r.IntN(7)
	}
	add("publish_resolution", res+civil.Date(pub), 0, 0, 0)
	return mid, res
}

// ordinaryMatter is a matter with its steps and one contract signed after
// its resolve (early > 0: that many days before it instead), paid from the
// ledger; it returns the contract.
func (v *village) ordinaryMatter(d civil.Date, early int) *contractRow {
	mid, res := v.matterSteps(d, stepOpts{})
	signed := res + civil.Date(1+v.major.r.IntN(20))
	if early > 0 {
		signed = res - civil.Date(early)
	}
	return v.contractFor(mid, signed, "")
}

// contractFor signs the matter's contract (proc "" = bidding at or above
// 100,000.00, negotiation below) and links ledger payments to it.
func (v *village) contractFor(mid string, signed civil.Date, proc string) *contractRow {
	m := v.major
	var dec *decisionRow
	for i := range m.decisions {
		if m.decisions[i].matter == mid {
			dec = &m.decisions[i]
		}
	}
	if signed > v.cfg.AsOf || dec == nil {
		return &contractRow{}
	}
	ccat := "project"
	for _, mn := range matterNames {
		if mn.name == dec.name {
			ccat = mn.ccat
		}
	}
	if proc == "" {
		proc = "negotiation"
		if dec.amount >= 10000000 {
			proc = []string{"public_bidding", "invited_bidding"}[m.r.IntN(2)]
		}
	}
	c := v.addContract(mid, dec.name+"合同", ccat, contractors[m.r.IntN(len(contractors))], v.ownerID(), proc, dec.amount, signed)
	v.linkPayments(c, 1+m.r.IntN(2), dec.amount)
	if c.signed+60 <= v.cfg.AsOf {
		m.nDec++
		m.decisions = append(m.decisions, decisionRow{id: "JC" + v.g.villageID + pad3(m.nDec), matter: mid, name: dec.name, cat: dec.cat,
			step: "publish_result", amount: dec.amount, date: c.signed + civil.Date(30+m.r.IntN(30))})
	}
	return c
}

func (v *village) addContract(mid, name, cat, cp, owner, proc string, amt money.Fen, signed civil.Date) *contractRow {
	m := v.major
	m.nCon++
	m.contracts = append(m.contracts, contractRow{id: "HT" + v.g.villageID + pad3(m.nCon), matter: mid, name: name, cat: cat, cp: cp,
		owner: owner, proc: proc, amount: amt, signed: signed})
	return &m.contracts[len(m.contracts)-1]
}

// linkPayments links up to n unlinked bank expense entries after signing
// whose sum stays within limit.
func (v *village) linkPayments(c *contractRow, n int, limit money.Fen) money.Fen {
	m := v.major
	var sum money.Fen
	for _, e := range v.ledger {
		if n == 0 {
			break
		}
		if e.cash || e.in || e.cat != "expense" || e.date <= c.signed || m.linked[e] || sum+e.amount > limit {
			continue
		}
		m.linked[e] = true
		m.links = append(m.links, [2]string{e.id, c.id})
		sum += e.amount
		n--
	}
	return sum
}
