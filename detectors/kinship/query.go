package kinship

// Len is the number of nodes (register persons plus persons named only in
// kinship rows).
func (g *Graph) Len() int { return len(g.ids) }

// Node finds a person's node.
func (g *Graph) Node(id string) (int32, bool) {
	n, _, _ := g.index.find(g.ids, id)
	return n, n >= 0
}

// ID is the person_id of a node.
func (g *Graph) ID(n int32) string { return g.ids[n] }

// InRegister reports whether the node is a persons row.
func (g *Graph) InRegister(n int32) bool { return int(n) < g.nPersons }

// Row is the persons row of a register node, -1 for others.
func (g *Graph) Row(n int32) int {
	if int(n) >= g.nPersons {
		return -1
	}
	return int(g.row[n])
}

// Household is the node's household_id ("" outside the register).
func (g *Graph) Household(n int32) string {
	if int(n) >= g.nPersons || g.hh[n] < 0 {
		return ""
	}
	return g.hhID[g.hh[n]]
}

// Households is the number of distinct household_ids in the register.
func (g *Graph) Households() int { return len(g.hhID) }

// HouseholdOrdinal is the dense number (0 ≤ h < Households) of the node's
// household, -1 outside the register: an integer key for grouping by
// household without hashing household_id strings.
func (g *Graph) HouseholdOrdinal(n int32) int32 {
	if int(n) >= g.nPersons {
		return -1
	}
	return g.hh[n]
}

// RoleRelation is what a household member with relation_to_head b is to
// one with relation_to_head a, by the register's roles alone (None when the
// roles do not say, as Relatives infers it). A child and a child-in-law are
// spouses only in a household with one child; callers that do not count
// children get None for that pair.
func RoleRelation(a, b string) Relation {
	ra, rb := parseRole(a), parseRole(b)
	if ra == rChild && rb == rChildInLaw || ra == rChildInLaw && rb == rChild {
		return None
	}
	return householdRel[ra][rb]
}

// SameHousehold reports whether two register persons share a household.
func (g *Graph) SameHousehold(a, b int32) bool {
	if int(a) >= g.nPersons || int(b) >= g.nPersons {
		return false
	}
	return g.hh[a] >= 0 && g.hh[a] == g.hh[b]
}

// Rel is one relative of a person: Other is Rel to that person.
type Rel struct {
	Other    int32
	Rel      Relation
	Declared bool // from kinship; false: inferred from the register
	// roles in the household (register relations only)
	fromRole, toRole role
}

// Relatives appends every known relative of node n to buf: first the
// household members the register relates to n, in register order, then the
// declared relations in kinship row order. One person may appear twice
// (both sources); nobody is listed as n's relative with None.
func (g *Graph) Relatives(n int32, buf []Rel) []Rel {
	if int(n) < g.nPersons && g.hh[n] >= 0 {
		h := g.hh[n]
		ra := g.role[n]
		for _, m := range g.hhMember[g.hhStart[h]:g.hhStart[h+1]] {
			if m == n {
				continue
			}
			rb := g.role[m]
			r := householdRel[ra][rb]
			if r == Spouse && (ra == rChild && rb == rChildInLaw || ra == rChildInLaw && rb == rChild) && g.hhChildren[h] != 1 {
				r = multiChildRel
			}
			if r != None {
				buf = append(buf, Rel{Other: m, Rel: r, fromRole: ra, toRole: rb})
			}
		}
	}
	if g.kinStart != nil {
		for k := g.kinStart[n]; k < g.kinStart[n+1]; k++ {
			buf = append(buf, Rel{Other: g.kinTo[k], Rel: g.kinRel[k], Declared: true})
		}
	}
	return buf
}

// Path says how relation r of node n was found, in Chinese for messages:
// "同户 <household_id>（户主—配偶）" for the register (n's role first, then
// the relative's), "亲属登记（kinship）" for a declared relation, "本人" for n
// itself.
func (g *Graph) Path(n int32, r Rel) string {
	if r.Rel == Self {
		return "本人"
	}
	if r.Declared {
		return "亲属登记（kinship）"
	}
	return "同户 " + g.hhID[g.hh[n]] + "（" + roleCN[r.fromRole] + "—" + roleCN[r.toRole] + "）"
}

// Find returns the first relation (register before declared) by which b is
// related to a and that is in set s; Self when a == b.
func (g *Graph) Find(a, b int32, s Set, buf []Rel) (Rel, bool) {
	if a == b {
		return Rel{Other: b, Rel: Self}, true
	}
	for _, r := range g.Relatives(a, buf[:0]) {
		if r.Other == b && s.Has(r.Rel) {
			return r, true
		}
	}
	return Rel{}, false
}

// Relation says whether b is a close relative of a (by the set the graph
// was built with) and how: rel is what b is to a ("spouse"; "self" when
// a == b) and path how it was found. Unknown ids are related to nobody but
// themselves.
func (g *Graph) Relation(a, b string) (rel string, path string, ok bool) {
	if a == b {
		return Self.String(), "本人", true
	}
	x, ok1 := g.Node(a)
	y, ok2 := g.Node(b)
	if !ok1 || !ok2 {
		return "", "", false
	}
	r, ok := g.Find(x, y, g.close, nil)
	if !ok {
		return "", "", false
	}
	return r.Rel.String(), r.Rel.CN() + " " + g.Path(x, r), true
}
