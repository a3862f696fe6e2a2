package gen

import "github.com/neijiang/xiaowei/internal/civil"

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
