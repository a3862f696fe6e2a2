package gen

import (
	_ "embed"
	"math/rand/v2"
	"slices"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/money"
)

// The power-list item 村级重大事项决策 and village contracts: major matters
// pass the four deliberations and two disclosures (四议两公开) before their
// contracts are signed and paid. Every village gets 1–4 ordinary matters a
// year, each with its steps, one contract carrying it out and ledger bank
// payments linked to that contract; plantings add one case of each rule of
// the item and its hard negatives.
//
// The item's names come from powerlist.yaml. Its rows draw on a stream of
// their own (not the village stream), so adding the item left the
// contract's tables byte-identical.

//go:embed powerlist.yaml
var powerListYAML []byte

type plTable struct {
	Name   string `yaml:"name"`
	Header string `yaml:"header"`
}

var powerList = func() (pl struct {
	Tables struct {
		Decision plTable `yaml:"decision"`
		Contract plTable `yaml:"contract"`
		Payment  plTable `yaml:"payment"`
	} `yaml:"tables"`
	Rules struct {
		NoDecision   string `yaml:"no_decision"`
		Order        string `yaml:"order"`
		Quorum       string `yaml:"quorum"`
		NotPublished string `yaml:"not_published"`
		Split        string `yaml:"split"`
		Direct       string `yaml:"direct"`
		Related      string `yaml:"related"`
		Overpay      string `yaml:"overpay"`
	} `yaml:"rules"`
}) {
	if err := yaml.Unmarshal(powerListYAML, &pl); err != nil {
		panic("gen: powerlist.yaml: " + err.Error())
	}
	return pl
}()

// majorHardNeg plants the item's hard negatives: cases a correct
// implementation must leave alone.
const majorHardNeg = "major-hard-negatives"

// majorKinds are the item's planting kinds: its rule ids and the negatives.
func majorKinds() []string {
	r := powerList.Rules
	return []string{r.NoDecision, r.Order, r.Quorum, r.NotPublished, r.Split, r.Direct, r.Related, r.Overpay, majorHardNeg}
}

// fixtureMajor plants the item in the fixture's otherwise clean villages.
func fixtureMajor(idx int) []string {
	r := powerList.Rules
	switch idx {
	case 7: // 五里店社区
		return []string{r.NoDecision, r.Quorum}
	case 8: // 桂湖村
		return []string{r.Order, r.NotPublished}
	case 9: // 新桥村
		return []string{r.Split, r.Direct}
	case 17: // 金鹅村
		return []string{r.Related, r.Overpay}
	case 18: // 双河村
		return []string{majorHardNeg}
	}
	return nil
}

type decisionRow struct {
	id, matter, name, cat, step string
	amount                      money.Fen
	date                        civil.Date
	eligible, attended, agreed  int // 0 = empty
}

type contractRow struct {
	id, matter, name, cat, cp, owner, proc string
	amount                                 money.Fen
	signed                                 civil.Date
}

type majorState struct {
	r         *rand.Rand
	kinds     map[string]bool
	decisions []decisionRow
	contracts []contractRow
	links     [][2]string // entry_id, contract_id
	linked    map[*entry]bool
	nMatter   int
	nDec      int
	nCon      int
	nOwner    int
	failed    string // the last failed vote's decision_id
}

var matterNames = []struct{ name, cat, ccat string }{
	{"村道硬化工程", "project", "project"}, {"村活动室维修", "project", "project"}, {"山坪塘整治", "project", "project"},
	{"集体厂房出租", "asset", "lease"}, {"集体林地承包", "asset", "lease"}, {"集体发展资金入股", "fund", "service"},
	{"人居环境整治", "project", "project"}, {"高标准农田配套", "project", "project"},
}

var contractors = []string{"内江市兴农建筑劳务有限公司", "内江市安居建材有限公司", "市中区宏达建筑队", "内江市川南路桥有限公司",
	"市中区绿源园林工程部", "内江市永盛物业管理有限公司", "市中区鑫达运输队", "内江市华瑞水利工程有限公司"}

// buildMajor writes the item after the journal is numbered (payments link
// to ledger entry ids).
func (v *village) buildMajor() {
	m := &majorState{r: rand.New(rand.NewPCG(uint64(v.cfg.Seed)^0x6d616a6f72, uint64(v.idx)*0x9E3779B97F4A7C15+7)), kinds: map[string]bool{}, linked: map[*entry]bool{}}
	v.major = m
	if v.cfg.Fixture {
		for _, k := range fixtureMajor(v.idx) {
			m.kinds[k] = true
		}
	} else if v.cfg.AnomalyRate > 0 {
		for _, k := range majorKinds() {
			if m.r.Float64() < v.cfg.AnomalyRate {
				m.kinds[k] = true
			}
		}
	}
	span := int(v.cfg.AsOf - v.cfg.Start)
	years := float64(span) / 365
	n := max(1, int(years*float64(1+m.r.IntN(4))+0.5))
	for range n {
		v.ordinaryMatter(v.randStart(span), 0)
	}
	r := powerList.Rules
	if m.kinds[r.NoDecision] {
		// Signed 1-5 days before its resolve.
		c := v.ordinaryMatter(v.randStart(span), 1+m.r.IntN(5))
		v.expectSubj(r.NoDecision, "contract:"+c.id)
	}
	if m.kinds[r.Order] {
		mid, _ := v.matterSteps(v.randStart(span), stepOpts{skipReview: true})
		v.expectSubj(r.Order, "matter:"+v.g.villageID+"/"+mid)
	}
	if m.kinds[r.Quorum] {
		// A failed vote, then a passing one before signing: only the failed
		// vote is a finding (low).
		mid, res := v.matterSteps(v.randStart(span), stepOpts{failFirst: true})
		v.contractFor(mid, res+1+civil.Date(m.r.IntN(10)), "")
		v.expectSubj(r.Quorum, "decision:"+m.failed)
	}
	if m.kinds[r.NotPublished] {
		mid, _ := v.matterSteps(v.randStart(span), stepOpts{publishDay: 8})
		v.expectSubj(r.NotPublished, "matter:"+v.g.villageID+"/"+mid)
	}
	if m.kinds[r.Split] {
		// Three contracts with one owner within 90 days summing to exactly
		// 100,000.00, each below 50,000.00 (no decision needed).
		d := v.randBefore(span, 95)
		a := money.Fen(3000000 + m.r.IntN(600000))
		b := money.Fen(3000000 + m.r.IntN(600000))
		owner, cp := v.ownerID(), contractors[m.r.IntN(len(contractors))]
		for k, amt := range []money.Fen{a, b, 10000000 - a - b} {
			day := d + civil.Date([]int{0, 10 + m.r.IntN(30), 41 + m.r.IntN(50)}[k])
			c := v.addContract("", "零星维修工程", "project", cp, owner, "direct", amt, day)
			v.expectSubj(r.Split, "contract:"+c.id)
		}
	}
	if m.kinds[r.Direct] {
		mid, res := v.matterSteps(v.randStart(span), stepOpts{amount: money.Fen(10000000 + m.r.IntN(20000000)), project: true})
		c := v.contractFor(mid, res+1, "direct")
		v.expectSubj(r.Direct, "contract:"+c.id)
	}
	if m.kinds[r.Related] {
		if p, ok := v.cadreKin(false); ok {
			day := v.randStart(span)
			c := v.addContract("", "保洁服务", "service", v.persons[p].name, v.persons[p].id, "direct", money.Fen(1000000+m.r.IntN(3000000)), day)
			v.expectSubj(r.Related, "contract:"+c.id)
		}
	}
	if m.kinds[r.Overpay] {
		// Linked payments just over 110% of the contract amount.
		if c, ok := v.overpaid(span, false); ok {
			v.expectSubj(r.Overpay, "contract:"+c.id)
		}
	}
	if m.kinds[majorHardNeg] {
		v.majorNegatives(span)
	}
}

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

func (v *village) serializeMajor(o *villageOut) {
	m := v.major
	vid := v.g.villageID
	b := o.buf[tDecisions]
	slices.SortStableFunc(m.decisions, func(a, c decisionRow) int { return int(a.date - c.date) })
	for _, d := range m.decisions {
		b = append(b, d.id...)
		b = append(b, ',')
		b = append(b, vid...)
		b = append(b, ',')
		b = append(b, d.matter...)
		b = append(b, ',')
		b = field(b, d.name)
		b = append(b, ',')
		b = append(b, d.cat...)
		b = append(b, ',')
		b = append(b, money.Format(d.amount)...)
		b = append(b, ',')
		b = append(b, d.step...)
		b = append(b, ',')
		b = dateCell(b, d.date)
		for _, x := range []int{d.eligible, d.attended, d.agreed} {
			b = append(b, ',')
			if d.step == "resolve" {
				b = strconv.AppendInt(b, int64(x), 10)
			}
		}
		b = append(b, '\n')
		o.rows[tDecisions]++
	}
	o.buf[tDecisions] = b
	b = o.buf[tContracts]
	for _, c := range m.contracts {
		b = append(b, c.id...)
		b = append(b, ',')
		b = append(b, vid...)
		b = append(b, ',')
		b = append(b, c.matter...)
		b = append(b, ',')
		b = field(b, c.name)
		b = append(b, ',')
		b = append(b, c.cat...)
		b = append(b, ',')
		b = field(b, c.cp)
		b = append(b, ',')
		b = append(b, c.owner...)
		b = append(b, ',')
		b = append(b, money.Format(c.amount)...)
		b = append(b, ',')
		b = dateCell(b, c.signed)
		b = append(b, ',')
		b = append(b, c.proc...)
		b = append(b, '\n')
		o.rows[tContracts]++
	}
	o.buf[tContracts] = b
	b = o.buf[tContractPayments]
	for _, l := range m.links {
		b = append(b, l[0]...)
		b = append(b, ',')
		b = append(b, l[1]...)
		b = append(b, '\n')
		o.rows[tContractPayments]++
	}
	o.buf[tContractPayments] = b
}
