package gen

import (
	"math/rand/v2"
	"slices"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/money"
)

// noDate marks an absent date (alive, in office, still receiving, posted).
const noDate civil.Date = -1 << 31

type person struct {
	id      string
	name    string
	male    bool
	birth   civil.Date
	hh      int32
	rel     string
	death   civil.Date
	cadre   bool // holds or held a cadre post: never a baseline beneficiary
	benef   bool // covered by a case
	planted bool // used by a planting: not picked again
}

type household struct {
	id      string
	members []int32 // members[0] is the head
}

type cadre struct {
	p          int32
	role       string
	start, end civil.Date
}

type kinRow struct {
	a, b int32
	rel  string // what b is to a
}

type member struct {
	p      int32
	amount money.Fen
	ended  civil.Date
	holder int32 // account holder of this member's payments
}

type caseT struct {
	id, program       string
	applied, approved civil.Date
	members           []*member
	handler           int32
	filed             bool
}

type payment struct {
	id     string
	c      *caseT
	m      *member
	period civil.Month
	amount money.Fen
	paid   civil.Date
	holder int32
}

type entry struct {
	date     civil.Date
	seq      int32
	voucher  string
	cash, in bool
	amount   money.Fen
	cat      string
	cp, sum  string
	handler  int32
	approver int32
	id       string
}

type disclosure struct {
	id, item, period string
	posted, removed  civil.Date
	amount           money.Fen
	hasAmount        bool
}

// expect is one finding a planting must cause; entry subjects are resolved
// once the journal is sorted and numbered.
type expect struct {
	rule string
	e    *entry
	subj string
}

type village struct {
	cfg  *Config
	idx  int
	r    *rand.Rand
	g    geo
	kind map[string]bool // planted kinds

	persons []person
	hhs     []household
	cadres  []cadre
	kin     []kinRow
	cases   []*caseT
	pays    []*payment
	ledger  []*entry
	discl   []*disclosure
	exp     []expect

	idCount  map[int64]uint8
	nextCase int
	nextPay  int
	nextDis  int
	nextVch  int
	cashSim  cashState
	cashPlan []*cashPlanting
	major    *majorState
}

func (v *village) expectSubj(rule, subj string) {
	v.exp = append(v.exp, expect{rule: rule, subj: subj})
}
func (v *village) expectEntry(rule string, e *entry) {
	v.exp = append(v.exp, expect{rule: rule, e: e})
}

// generateVillage builds, plants and serializes village i.
func generateVillage(cfg *Config, i int) *villageOut {
	v := &village{cfg: cfg, idx: i, r: villageRand(cfg.Seed, i), g: geoFor(i), idCount: map[int64]uint8{}}
	v.kind = choosePlantings(v)
	v.buildPersons()
	v.buildCadres()
	v.buildKinship()
	v.buildCases()
	v.buildDeaths()
	after := v.plantRelative() // cases, persons, kinship; returns payment-phase work
	v.prepareDisclosure()
	v.buildPayments()
	for _, f := range after {
		f()
	}
	v.planCash()
	v.buildLedger()
	v.finishCash()
	v.buildDisclosures()
	v.plantDisclosure()
	v.numberLedger()
	v.buildMajor()
	o := v.serialize()
	v.serializeMajor(o)
	return o
}

// ---- persons and households ----

func (v *village) yearsAgo(age int) civil.Date {
	y, _, _ := v.cfg.AsOf.YMD()
	return civil.New(y-age, 1, 1).AddDays(v.r.IntN(365))
}

func (v *village) addPerson(hh int32, rel string, male bool, birth civil.Date, surname string) int32 {
	if birth > v.cfg.AsOf.AddDays(-30) {
		birth = v.cfg.AsOf.AddDays(-30 - v.r.IntN(300))
	}
	g := int64(0)
	if male {
		g = 1
	}
	// At most 3 people per village share a birthday and gender: that keeps
	// the ID sequence code unique in the county (see personID).
	for v.idCount[int64(birth)*2+g] >= 3 {
		birth++
	}
	c := v.idCount[int64(birth)*2+g]
	v.idCount[int64(birth)*2+g] = c + 1
	if surname == "" {
		surname = surnames[v.r.IntN(len(surnames))]
	}
	p := person{
		id: personID(v.g.countyID, birth, v.g.local, int(c), male), name: personName(v.r, surname, male),
		male: male, birth: birth, hh: hh, rel: rel, death: noDate,
	}
	v.persons = append(v.persons, p)
	idx := int32(len(v.persons) - 1)
	v.hhs[hh].members = append(v.hhs[hh].members, idx)
	return idx
}

func (v *village) newHousehold() int32 {
	b := make([]byte, 0, 17)
	b = append(b, v.g.villageID...)
	b = pad(b, len(v.hhs)+1, 4)
	v.hhs = append(v.hhs, household{id: string(b)})
	return int32(len(v.hhs) - 1)
}

func (v *village) buildPersons() {
	r := v.r
	for len(v.persons) < v.cfg.PersonsPerVillage {
		h := v.newHousehold()
		sur := surnames[r.IntN(len(surnames))]
		spouseSur := func() string { return surnames[r.IntN(len(surnames))] }
		x := r.Float64()
		switch {
		case x < 0.10: // an old person living alone
			v.addPerson(h, "head", r.IntN(2) == 0, v.yearsAgo(62+r.IntN(28)), sur)
		case x < 0.25: // an elderly couple
			age := 58 + r.IntN(27)
			v.addPerson(h, "head", true, v.yearsAgo(age), sur)
			v.addPerson(h, "spouse", false, v.yearsAgo(age-3+r.IntN(6)), spouseSur())
		case x < 0.62: // a nuclear family
			age := 28 + r.IntN(33)
			headMale := r.IntN(10) != 0
			v.addPerson(h, "head", headMale, v.yearsAgo(age), sur)
			if r.IntN(8) != 0 {
				v.addPerson(h, "spouse", !headMale, v.yearsAgo(age-3+r.IntN(6)), spouseSur())
			}
			for k := 1 + r.IntN(3); k > 0; k-- {
				v.addPerson(h, "child", r.IntN(2) == 0, v.yearsAgo(max(0, age-22-r.IntN(14))), sur)
			}
			if r.IntN(10) == 0 { // the spouse's widowed mother lives with them
				v.addPerson(h, "parent_in_law", false, v.yearsAgo(age+24+r.IntN(8)), spouseSur())
			}
		default: // three generations
			age := 50 + r.IntN(23)
			v.addPerson(h, "head", true, v.yearsAgo(age), sur)
			v.addPerson(h, "spouse", false, v.yearsAgo(age-3+r.IntN(6)), spouseSur())
			son := age - 22 - r.IntN(8)
			v.addPerson(h, "child", true, v.yearsAgo(son), sur)
			v.addPerson(h, "child_in_law", false, v.yearsAgo(son-2+r.IntN(4)), spouseSur())
			for k := 1 + r.IntN(2); k > 0; k-- {
				v.addPerson(h, "grandchild", r.IntN(2) == 0, v.yearsAgo(max(0, son-22-r.IntN(12))), sur)
			}
			if r.IntN(4) == 0 {
				v.addPerson(h, "child", r.IntN(2) == 0, v.yearsAgo(son-2-r.IntN(6)), sur)
			}
			if age+24 < 96 && r.IntN(3) == 0 {
				v.addPerson(h, "parent", r.IntN(3) == 0, v.yearsAgo(age+22+r.IntN(8)), sur)
			}
		}
	}
}

func (v *village) age(p int32, on civil.Date) int {
	return int(on-v.persons[p].birth) / 365
}

// ---- cadres ----

var cadreRoles = []string{"secretary", "director", "deputy_director", "accountant", "cashier", "subsidy_clerk", "committee_member", "supervisor", "group_leader"}

func (v *village) pickCadrePerson(used map[int32]bool) int32 {
	for try := 0; try < 20*len(v.hhs); try++ {
		h := int32(v.r.IntN(len(v.hhs)))
		if used[h] {
			continue
		}
		for _, p := range v.hhs[h].members {
			a := v.age(p, v.cfg.Start)
			if a >= 28 && a <= 60 && (v.persons[p].rel == "head" || v.persons[p].rel == "spouse") {
				used[h] = true
				return p
			}
		}
	}
	// A tiny village may run out of suitable adults: register one more
	// household so every post is filled by a distinct household.
	h := v.newHousehold()
	used[h] = true
	return v.addPerson(h, "head", v.r.IntN(3) != 0, v.yearsAgo(30+v.r.IntN(25)), "")
}

func (v *village) buildCadres() {
	used := map[int32]bool{}
	roles := append([]string{}, cadreRoles...)
	for k := v.r.IntN(3); k > 0; k-- {
		roles = append(roles, "group_leader")
	}
	termStart := civil.MustParse("2021-01-10").AddDays(v.r.IntN(50))
	for _, role := range roles {
		p := v.pickCadrePerson(used)
		v.persons[p].cadre = true
		v.cadres = append(v.cadres, cadre{p: p, role: role, start: termStart, end: noDate})
	}
	// Some villages replace the cashier mid-journal: handlers must then be
	// read against the term in force on each day.
	if v.r.IntN(4) == 0 {
		change := v.cfg.Start.AddDays(int(v.cfg.AsOf-v.cfg.Start) / 2)
		for i := range v.cadres {
			if v.cadres[i].role == "cashier" {
				v.cadres[i].end = change - 1
				break
			}
		}
		p := v.pickCadrePerson(used)
		v.persons[p].cadre = true
		v.cadres = append(v.cadres, cadre{p: p, role: "cashier", start: change, end: noDate})
	}
	// Whole cadre households are off limits for the clean baseline's cases.
	for _, c := range v.cadres {
		for _, m := range v.hhs[v.persons[c.p].hh].members {
			v.persons[m].cadre = true
		}
	}
}

// cadreOn is the holder of role on day d (the first such row), or -1.
func (v *village) cadreOn(role string, d civil.Date) int32 {
	for _, c := range v.cadres {
		if c.role == role && c.start <= d && (c.end == noDate || d <= c.end) {
			return c.p
		}
	}
	return -1
}

func (v *village) cashierOn(d civil.Date) int32 {
	if p := v.cadreOn("cashier", d); p >= 0 {
		return p
	}
	return v.cadreOn("accountant", d)
}

// ---- kinship: declared relations across non-cadre households ----

func (v *village) buildKinship() {
	n := len(v.persons) / 40
	for k := 0; k < n; k++ {
		a := int32(v.r.IntN(len(v.persons)))
		b := int32(v.r.IntN(len(v.persons)))
		pa, pb := &v.persons[a], &v.persons[b]
		if pa.hh == pb.hh || pa.cadre || pb.cadre || v.age(a, v.cfg.AsOf) < 18 || v.age(b, v.cfg.AsOf) < 18 {
			continue
		}
		rel := "sibling"
		switch d := int(pa.birth - pb.birth); {
		case d > 20*365:
			rel = "parent"
		case d < -20*365:
			rel = "child"
		}
		v.kin = append(v.kin, kinRow{a: a, b: b, rel: rel})
	}
}

// ---- subsidy cases ----

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
