package gen

import (
	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/ident"
)

// Relative plantings edit households, kinship and cases before payments are
// built, and payments after (the returned functions). Baseline cases never
// touch a cadre household or a kinship row of a cadre, so each conflict here
// is the planted one. Conflicts through kinship are planted on one-person
// cases, so no co-beneficiary is related to the cadre through the register
// as well. Each planting uses fresh people (person.planted).

func (v *village) person(p int32) string { return "person:" + v.persons[p].id }

// usable: alive, not yet used by a planting, in a case still receiving.
func (v *village) usable(c *caseT, m *member) bool {
	pp := &v.persons[m.p]
	return pp.death == noDate && !pp.planted && m.ended == noDate && c.approved <= v.cfg.AsOf.AddDays(-200)
}

// soloCase finds a one-person case, or makes one for a new old person.
func (v *village) soloCase() *caseT {
	for _, i := range v.r.Perm(len(v.cases)) {
		c := v.cases[i]
		if len(c.members) == 1 && v.usable(c, c.members[0]) && len(v.hhs[v.persons[c.members[0].p].hh].members) == 1 {
			v.persons[c.members[0].p].planted = true
			return c
		}
	}
	p := v.newLoner()
	return v.newCase("tekun", []int32{p}, v.cfg.Start.AddDays(-100-v.r.IntN(600)))
}

// anyMember picks a usable member of a case of program ("" = any) outside
// household notHH; a small village may have none, and then a new old person
// gets a new case.
func (v *village) anyMember(program string, notHH int32) (*caseT, *member) {
	for _, i := range v.r.Perm(len(v.cases)) {
		c := v.cases[i]
		if program != "" && c.program != program {
			continue
		}
		for _, m := range c.members {
			if v.usable(c, m) && v.persons[m.p].hh != notHH {
				v.persons[m.p].planted = true
				return c, m
			}
		}
	}
	if program == "" {
		program = "dibao"
	}
	c := v.newCase(program, []int32{v.newLoner()}, v.cfg.Start.AddDays(-100-v.r.IntN(600)))
	return c, c.members[0]
}

// plantRelative plants the relative-family anomalies this village was
// dealt, in a fixed order (the village's random stream is drawn in it, so
// the dataset stays the same). Plantings that edit payments run after the
// payments are built: they are returned, in order.
func (v *village) plantRelative() (after []func()) {
	if v.kind["REL-SELF"] {
		v.plantSelfCase()
	}
	if v.kind["REL-KIN"] {
		c := v.kinTo("director", "sibling", false)
		v.expectSubj("REL-KIN", v.person(c.members[0].p))
	}
	if v.kind["REL-KIN-FILED"] {
		c := v.kinTo("secretary", "sibling_in_law", true)
		v.expectSubj("REL-KIN-FILED", v.person(c.members[0].p))
	}
	if v.kind["REL-HANDLER"] {
		// The subsidy clerk handled his own sister's case. The town filed it
		// as a relative case, so beside REL-HANDLER it is REL-KIN-FILED.
		c := v.kinTo("subsidy_clerk", "sibling", true)
		c.handler = v.cadreOn("subsidy_clerk", v.cfg.AsOf)
		v.expectSubj("REL-HANDLER", "case:"+c.id)
		v.expectSubj("REL-KIN-FILED", v.person(c.members[0].p))
	}
	if v.kind["REL-DOUBLE"] {
		v.plantDouble()
	}
	if v.kind["REL-DECEASED"] {
		if fn := v.plantDeceased(); fn != nil {
			after = append(after, fn)
		}
	}
	if v.kind["DQ-BAD-ID"] {
		v.plantBadID()
	}
	if v.kind["DQ-BAD-BIRTH"] {
		v.plantBadBirth()
	}
	if v.kind["REL-ACCOUNT"] {
		if fn := v.plantCashierCard(); fn != nil {
			after = append(after, fn)
		}
	}
	if v.kind["REL-SHARED-ACCOUNT"] {
		after = append(after, v.plantSharedAccount())
	}
	return after
}

// plantSelfCase gives a cadre's own nuclear household (cadre, spouse,
// children) 低保: REL-SELF for the cadre, REL-KIN for each spouse and child.
// Households with members are preferred, so the side effect is shown; a
// cadre living alone is the fallback.
func (v *village) plantSelfCase() {
	var pick *cadre
	for _, c := range v.cadres {
		// Not the posts other plantings lean on (kin of the director,
		// secretary and clerk; the cashier's card).
		if c.role == "subsidy_clerk" || c.role == "cashier" || c.role == "director" || c.role == "secretary" || c.end != noDate {
			continue
		}
		ms := v.hhs[v.persons[c.p].hh].members
		ok := v.persons[c.p].rel == "head" || v.persons[c.p].rel == "spouse"
		for _, m := range ms {
			if r := v.persons[m].rel; m != c.p && (r != "head" && r != "spouse" && r != "child" || v.persons[m].death != noDate) {
				ok = false
			}
		}
		if ok && (pick == nil || len(ms) > 1 && len(v.hhs[v.persons[pick.p].hh].members) == 1) {
			pick = &c
		}
	}
	if pick == nil {
		return
	}
	ms := v.hhs[v.persons[pick.p].hh].members
	cs := v.newCase("dibao", append([]int32{}, ms...), v.cfg.Start.AddDays(30+v.r.IntN(150)))
	for _, m := range cs.members {
		v.persons[m.p].planted = true
		if m.p == pick.p {
			v.expectSubj("REL-SELF", v.person(m.p))
		} else {
			v.expectSubj("REL-KIN", v.person(m.p))
		}
	}
}

// kinTo makes a one-person case whose member is declared kin (rel) of the
// cadre holding role on as_of; filed: the town filed it as a relative case.
func (v *village) kinTo(role, rel string, filed bool) *caseT {
	cd := v.cadreOn(role, v.cfg.AsOf)
	c := v.soloCase()
	c.filed = filed
	v.kin = append(v.kin, kinRow{a: c.members[0].p, b: cd, rel: rel})
	return c
}

// plantDouble gives a 低保 member also a 特困 case while the 低保 case runs.
func (v *village) plantDouble() {
	if c, m := v.anyMember("dibao", -1); c != nil {
		from := max(c.approved, v.cfg.Start)
		v.newCase("tekun", []int32{m.p}, from.AddDays(20+v.r.IntN(int(v.cfg.AsOf-from)/2)))
		v.expectSubj("REL-DOUBLE", v.person(m.p))
	}
}

// plantDeceased lets a recipient die while payments go on. Months more
// than 3 after the death month are flagged, the first 3 are not; the
// returned step (nil: no room for it) expects them once payments exist.
func (v *village) plantDeceased() func() {
	c, m := v.anyMember("", -1)
	if c == nil {
		return nil
	}
	first := max(c.approved.Month(), v.cfg.Start.Month())
	last := v.cfg.AsOf.Month() - 5
	if last < first {
		return nil
	}
	dm := first + civil.Month(v.r.IntN(int(last-first)+1))
	v.persons[m.p].death = max(dm.First().AddDays(v.r.IntN(28)), c.approved.AddDays(1))
	return func() {
		for _, p := range v.pays {
			if p.m == m && p.period > dm+3 {
				v.expectSubj("REL-DECEASED", "payment:"+p.id)
			}
		}
	}
}

// plantBadID breaks a recipient's ID check character.
func (v *village) plantBadID() {
	if _, m := v.anyMember("", -1); m != nil {
		pp := &v.persons[m.p]
		b := []byte(pp.id)
		b[17] = ident.CheckChars[(indexByte(ident.CheckChars, b[17])+1+v.r.IntN(10))%11]
		pp.id = string(b)
		v.expectSubj("DQ-BAD-ID", v.person(m.p))
	}
}

// plantBadBirth shifts a recipient's registered birth date off the one in
// the ID number.
func (v *village) plantBadBirth() {
	if _, m := v.anyMember("", -1); m != nil {
		v.persons[m.p].birth += civil.Date(31 + v.r.IntN(300)) // register typo; the ID keeps the true date
		v.expectSubj("DQ-BAD-ID", v.person(m.p))
	}
}

// plantCashierCard sends three months of one recipient's money to the
// cashier's card (the cashier "keeps the card"): REL-ACCOUNT, high. The
// returned step (nil: no recipient) edits the payments once they exist.
func (v *village) plantCashierCard() func() {
	_, m := v.anyMember("", -1)
	if m == nil {
		return nil
	}
	return func() {
		ps := v.paysOf(m)
		if len(ps) < 3 {
			return
		}
		k := v.r.IntN(len(ps) - 2)
		for _, p := range ps[k : k+3] {
			p.holder = v.cadreOn("cashier", p.paid)
			v.expectSubj("REL-ACCOUNT", "payment:"+p.id)
		}
	}
}

// plantSharedAccount pays two households' recipients, for two months, onto
// the card of a third villager: every such payment is REL-ACCOUNT (the
// holder is in neither household) and REL-SHARED-ACCOUNT. The returned step
// edits the payments once they exist.
func (v *village) plantSharedAccount() func() {
	_, m1 := v.anyMember("", -1)
	_, m2 := v.anyMember("", v.persons[m1.p].hh)
	holder := v.bystander(v.persons[m1.p].hh, v.persons[m2.p].hh)
	return func() {
		n := 0
		for mo := v.cfg.AsOf.Month() - 1; mo >= v.cfg.Start.Month() && n < 2; mo-- {
			p1, p2 := v.payFor(m1, mo), v.payFor(m2, mo)
			if p1 == nil || p2 == nil {
				continue
			}
			for _, p := range []*payment{p1, p2} {
				p.holder = holder
				v.expectSubj("REL-ACCOUNT", "payment:"+p.id)
				v.expectSubj("REL-SHARED-ACCOUNT", "payment:"+p.id)
			}
			n++
		}
	}
}

// bystander is an alive adult outside both households, no cadre and no
// beneficiary.
func (v *village) bystander(h1, h2 int32) int32 {
	for try := 0; try < 20*len(v.persons); try++ {
		p := int32(v.r.IntN(len(v.persons)))
		pp := &v.persons[p]
		if pp.hh != h1 && pp.hh != h2 && !pp.cadre && !pp.benef && !pp.planted && pp.death == noDate && v.age(p, v.cfg.Start) >= 25 {
			pp.planted = true
			return p
		}
	}
	h := v.newHousehold()
	p := v.addPerson(h, "head", true, v.yearsAgo(35+v.r.IntN(20)), "")
	v.persons[p].planted = true
	return p
}

func (v *village) paysOf(m *member) []*payment {
	var ps []*payment
	for _, p := range v.pays {
		if p.m == m {
			ps = append(ps, p)
		}
	}
	return ps
}

func (v *village) payFor(m *member, mo civil.Month) *payment {
	for _, p := range v.pays {
		if p.m == m && p.period == mo {
			return p
		}
	}
	return nil
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return 0
}
