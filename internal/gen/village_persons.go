package gen

import "github.com/neijiang/xiaowei/internal/civil"

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
