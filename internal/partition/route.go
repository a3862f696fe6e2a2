package partition

import (
	"slices"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/ident"
)

// tableRoute is what routing a table's records needs to know of it: the
// positions of its key columns (-1 when absent) and whether a rule file
// declared it.
type tableRoute struct {
	name                 string
	vi, pi, ri, ci, hi   int // village_id (or the declared village column), person_id, relative_id, case_id, handled_by
	declared, hasVillage bool
	// a link table's reference columns and the tables they reference
	// (links.go); refCol is the key column a link table names, in a
	// referenced table (-1 when none does)
	linkCols []int
	linkRefs []string
	refCol   int
}

func (s *splitter) routeOf(name string, head []string) tableRoute {
	t := tableRoute{name: name, vi: index(head, "village_id"), pi: index(head, "person_id"), ri: index(head, "relative_id"), ci: index(head, "case_id"), hi: index(head, "handled_by"), refCol: -1}
	// A table declared in a rule file goes to the county of its village
	// column; one without a village column (a link table such as contract
	// payments) goes where the rows it references went (links.go).
	if spec, ok := contract.Lookup(name); ok && spec.Source != "" {
		t.declared = true
		if vc := spec.VillageColumn(); vc != "" {
			t.vi, t.hasVillage = index(head, vc), true
		}
	}
	for _, l := range s.links {
		if l.table == name {
			t.linkCols = append(t.linkCols, index(head, l.column))
			t.linkRefs = append(t.linkRefs, l.ref)
		}
	}
	if ri := s.refs[name]; ri != nil {
		t.refCol = index(head, ri.column)
	}
	return t
}

// columns are the fields routing reads, for records.only.
func (t tableRoute) columns() []int {
	return append([]int{t.vi, t.pi, t.ri, t.ci, t.hi, t.refCol}, t.linkCols...)
}

// villagePart is the county of the current record's village column, the
// first county when the village is unknown. Keys are in their normal form
// (internal/ident), as the run matches them: a case or person id written
// with a zero-width space must land in the same county as its plain form.
func (s *splitter) villagePart(r *records, vi int) int32 {
	if v, ok := r.key(vi, ident.Code); ok {
		if p, ok := s.county[string(v)]; ok { // no allocation: map lookup by string(bytes)
			return p
		}
	}
	return 0
}

// route picks the current record's county (part), or its counties (many,
// appended to the empty slice given) when it is copied to more than one,
// and notes the keys later tables route by (cadres and handlers needed in
// other counties, each case's and beneficiary's county).
func (s *splitter) route(t tableRoute, r *records, many []int32) (int32, []int32) {
	part := int32(0)
	switch {
	case t.declared && t.hasVillage:
		part = s.villagePart(r, t.vi)
	case len(t.linkCols) > 0:
		many = s.linkParts(t, r, many)
	case t.declared:
		// a declared table without a village column or a reference (a
		// list every county's views may join) is copied to every county
		for q := range s.plan.Parts {
			many = append(many, int32(q))
		}
	}
	switch t.name {
	case "villages", "ledger", "disclosures":
		part = s.villagePart(r, t.vi)
	case "cadres":
		part = s.villagePart(r, t.vi)
		if p, ok := r.key(t.pi, ident.Person); ok {
			s.need[string(p)] = addPart(s.need[string(p)], part)
		}
	case "beneficiaries":
		part = s.villagePart(r, t.vi)
		if c, ok := r.key(t.ci, ident.Code); ok {
			s.caseCounty[string(c)] = part
		}
		if p, ok := r.key(t.pi, ident.Person); ok {
			if _, seen := s.benCounty[string(p)]; !seen {
				s.benCounty[string(p)] = part
			}
		}
		if h, ok := r.key(t.hi, ident.Person); ok && len(h) > 0 {
			s.need[string(h)] = addPart(s.need[string(h)], part)
		}
	case "persons":
		part = s.villagePart(r, t.vi)
		if p, ok := r.key(t.pi, ident.Person); ok {
			if n := s.need[string(p)]; len(n) > 0 {
				many = addPart(append(many, n...), part)
			}
		}
	case "kinship":
		for _, col := range []int{t.pi, t.ri} {
			if p, ok := r.key(col, ident.Person); ok {
				for _, q := range s.need[string(p)] {
					many = addPart(many, q)
				}
				if q, ok := s.benCounty[string(p)]; ok {
					many = addPart(many, q)
				}
			}
		}
		if len(many) == 1 {
			part, many = many[0], many[:0]
		}
	case "payments":
		if c, ok := r.key(t.ci, ident.Code); ok {
			if p, ok := s.caseCounty[string(c)]; ok {
				part = p
			}
		}
	}
	return part, many
}

// addPart adds county p to the sorted set s.
func addPart(s []int32, p int32) []int32 {
	if i, found := slices.BinarySearch(s, p); !found {
		s = slices.Insert(s, i, p)
	}
	return s
}
