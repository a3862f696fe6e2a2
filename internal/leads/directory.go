package leads

import (
	"sort"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/ident"
	"github.com/neijiang/xiaowei/internal/table"
)

// Place is a village and its town.
type Place struct {
	VillageID   string `json:"village_id"`
	VillageName string `json:"village_name"`
	TownID      string `json:"town_id"`
	TownName    string `json:"town_name"`
}

type cadreRow struct {
	villageID, role string
	start, end      civil.Date // end 0 = in office
	hasEnd          bool
}

// directory looks people and places up in the run's tables. It reads the
// (possibly large) persons table once, for the people the leads need.
type directory struct {
	tables  map[string]*table.Table
	asOf    civil.Date
	cadres  map[string][]cadreRow // person_id -> rows
	byVill  map[string][]string   // village_id -> person_ids of cadres
	needed  map[string]bool
	places  map[string]Place
	loadedC bool
}

func newDirectory(tables map[string]*table.Table, asOf civil.Date) *directory {
	return &directory{tables: tables, asOf: asOf, needed: map[string]bool{}}
}

func (d *directory) want(pid string) { d.needed[pid] = true }

func (d *directory) loadCadres() {
	if d.loadedC {
		return
	}
	d.loadedC = true
	d.cadres, d.byVill = map[string][]cadreRow{}, map[string][]string{}
	t := d.tables["cadres"]
	if t.Len() == 0 {
		return
	}
	pid, vid, role := t.Str("person_id"), t.Str("village_id"), t.Str("role")
	start, end := t.Date("term_start"), t.Date("term_end")
	for i := 0; i < t.Len(); i++ {
		// the run's findings name people and villages by their normal
		// form (internal/ident); these tables are as loaded
		v, _ := ident.Normalize(vid.Value(i), ident.Code)
		r := cadreRow{villageID: v, role: role.Value(i)}
		r.start, _ = table.DateAt(start, i)
		r.end, r.hasEnd = table.DateAt(end, i)
		p, _ := ident.Normalize(pid.Value(i), ident.Person)
		if len(d.cadres[p]) == 0 {
			d.byVill[r.villageID] = append(d.byVill[r.villageID], p)
		}
		d.cadres[p] = append(d.cadres[p], r)
	}
}

// best picks the cadre row that describes a person on as_of: in office in
// the given village, else in office anywhere, else the latest term.
func (d *directory) best(rows []cadreRow, village string) (cadreRow, bool) {
	if len(rows) == 0 {
		return cadreRow{}, false
	}
	score := func(r cadreRow) int {
		s := 0
		if r.start <= d.asOf && (!r.hasEnd || r.end >= d.asOf) {
			s += 2
		}
		if r.villageID == village {
			s += 4
		}
		return s
	}
	best := rows[0]
	for _, r := range rows[1:] {
		sb, sr := score(best), score(r)
		if sr > sb || (sr == sb && r.start > best.start) {
			best = r
		}
	}
	return best, true
}

// contacts names the village's cashier and director: those in office on
// as_of, else the latest to hold the role.
func (d *directory) contacts(village string) []Person {
	d.loadCadres()
	var out []Person
	for _, role := range []string{"cashier", "director"} {
		var pick string
		var pickRow cadreRow
		for _, p := range d.byVill[village] {
			for _, r := range d.cadres[p] {
				if r.villageID != village || r.role != role {
					continue
				}
				in := r.start <= d.asOf && (!r.hasEnd || r.end >= d.asOf)
				pin := pick != "" && pickRow.start <= d.asOf && (!pickRow.hasEnd || pickRow.end >= d.asOf)
				if pick == "" || (in && !pin) || (in == pin && (r.start > pickRow.start || (r.start == pickRow.start && p < pick))) {
					pick, pickRow = p, r
				}
			}
		}
		if pick != "" {
			out = append(out, Person{PersonID: pick, Role: role, RoleLabel: contract.RoleLabels[role], VillageID: village})
		}
	}
	return out
}

// resolve fills names, roles and places into the leads.
func (d *directory) resolve(ls []*Lead) {
	d.loadCadres()
	names := map[string]string{}
	if t := d.tables["persons"]; t.Len() > 0 && len(d.needed) > 0 {
		// The leads name a few thousand of the register's millions: a
		// sieve of them spares the map probe for nearly every row.
		sieve := ident.NewSieve(len(d.needed))
		for p := range d.needed {
			sieve.Add(p)
		}
		pid, name := t.Str("person_id"), t.Str("name")
		// A run's register is normalised already: one pass over the
		// column's bytes then spares the per-value check.
		plain := ident.PlainColumn(pid.ValueBytes(), pid.ValueOffsets(), ident.Person)
		for i := 0; i < t.Len(); i++ {
			p := pid.Value(i)
			if !plain {
				p, _ = ident.Normalize(p, ident.Person)
			}
			if sieve.Has(p) && d.needed[p] {
				names[p], _ = ident.Normalize(name.Value(i), ident.Name)
			}
		}
	}
	d.places = Places(d.tables["villages"])
	for _, l := range ls {
		pl := d.places[l.VillageID]
		l.VillageName, l.TownID, l.TownName = pl.VillageName, pl.TownID, pl.TownName
		if l.Person != nil {
			l.Person.Name = names[l.Person.PersonID]
			if r, ok := d.best(d.cadres[l.Person.PersonID], l.VillageID); ok {
				l.Person.Role, l.Person.RoleLabel, l.Person.VillageID = r.role, contract.RoleLabels[r.role], r.villageID
			}
		}
		for i := range l.Contacts {
			l.Contacts[i].Name = names[l.Contacts[i].PersonID]
		}
	}
}

// Places indexes the villages table.
func Places(t *table.Table) map[string]Place {
	out := map[string]Place{}
	if t.Len() == 0 {
		return out
	}
	vid, vn, tid, tn := t.Str("village_id"), t.Str("village_name"), t.Str("town_id"), t.Str("town_name")
	for i := 0; i < t.Len(); i++ {
		v, _ := ident.Normalize(vid.Value(i), ident.Code)
		town, _ := ident.Normalize(tid.Value(i), ident.Code)
		out[v] = Place{VillageID: v, VillageName: vn.Value(i), TownID: town, TownName: tn.Value(i)}
	}
	return out
}

// SortedPlaces lists places by village id.
func SortedPlaces(m map[string]Place) []Place {
	out := make([]Place, 0, len(m))
	for _, p := range m {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].VillageID < out[j].VillageID })
	return out
}
