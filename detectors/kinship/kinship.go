// Package kinship builds the relation graph of a run: who is whose close
// relative, and how that is known. It is a library for the detectors (see
// detectors/subsidy), not a registered detector.
//
// Relations come from two sources:
//
//   - the household register (persons): members of one household related
//     through relation_to_head. Each member's role says where they stand
//     relative to the head; the relation between two members is inferred
//     from the two roles by a fixed table (householdRel, documented there).
//     Only what follows from the roles alone is inferred; pairs whose
//     relation depends on facts the register does not hold (which child a
//     grandchild belongs to, whether two grandparents are a couple) relate
//     to nobody, and `other` relates to nobody.
//   - kinship rows (declared or verified relations), read in both
//     directions: (A, B, parent) says B is A's parent and so A is B's child.
//
// Everything is indexed once (households and kinship adjacency in CSR form),
// so building is linear in persons + kinship rows and listing a person's
// relatives costs the size of their household plus their declared
// relations. Person ids are the Arrow strings of the input tables (not
// copied): a Graph is valid while those tables are.
package kinship

import (
	"hash/maphash"

	"github.com/neijiang/xiaowei/internal/table"
)

// Relation is what one person is to another.
type Relation uint8

// Relations. Self is a person to themself; None means no known relation.
const (
	None Relation = iota
	Self
	Spouse
	Parent
	Child
	Sibling
	Grandparent
	Grandchild
	ParentInLaw
	ChildInLaw
	SiblingInLaw
	Other
	numRelations
)

var relNames = [numRelations]string{"", "self", "spouse", "parent", "child", "sibling", "grandparent", "grandchild", "parent_in_law", "child_in_law", "sibling_in_law", "other"}

var relCN = [numRelations]string{"", "本人", "配偶", "父母", "子女", "兄弟姐妹", "祖父母/外祖父母", "孙子女/外孙子女", "岳父母/公婆", "儿媳/女婿", "姻亲兄弟姐妹", "其他亲属"}

// String is the contract name of the relation ("spouse"); "" for None.
func (r Relation) String() string { return relNames[r] }

// CN is the Chinese label of the relation.
func (r Relation) CN() string { return relCN[r] }

// Inverse is the relation seen from the other side: if B is A's parent,
// A is B's child.
func (r Relation) Inverse() Relation {
	switch r {
	case Parent:
		return Child
	case Child:
		return Parent
	case Grandparent:
		return Grandchild
	case Grandchild:
		return Grandparent
	case ParentInLaw:
		return ChildInLaw
	case ChildInLaw:
		return ParentInLaw
	}
	return r
}

// ParseRelation reads a contract relation name; ok is false for an
// unknown name.
func ParseRelation(s string) (Relation, bool) {
	for i := Self; i < numRelations; i++ {
		if relNames[i] == s {
			return i, true
		}
	}
	return None, false
}

// Set is a set of relations (a bit mask).
type Set uint32

// Has reports whether r is in the set.
func (s Set) Has(r Relation) bool { return s&(1<<r) != 0 }

// NewSet builds a set from relation names; unknown names are returned.
func NewSet(names []string) (Set, []string) {
	var s Set
	var bad []string
	for _, n := range names {
		r, ok := ParseRelation(n)
		if !ok {
			bad = append(bad, n)
			continue
		}
		s |= 1 << r
	}
	return s, bad
}

// DefaultClose is the default set of close relatives (domain.md): 民法典
// Art. 1045 plus the common local additions (in-laws).
var DefaultClose = []string{"spouse", "parent", "child", "sibling", "grandparent", "grandchild", "parent_in_law", "child_in_law", "sibling_in_law"}

// role is a member's relation_to_head.
type role uint8

const (
	rNone role = iota // not in the register, or an unknown value
	rHead
	rSpouse
	rChild
	rChildInLaw
	rParent
	rParentInLaw
	rSibling
	rGrandchild
	rGrandparent
	rOther
	numRoles
)

var roleNames = [numRoles]string{"", "head", "spouse", "child", "child_in_law", "parent", "parent_in_law", "sibling", "grandchild", "grandparent", "other"}
var roleCN = [numRoles]string{"", "户主", "配偶", "子女", "儿媳/女婿", "父母", "岳父母/公婆", "兄弟姐妹", "孙子女", "祖父母", "其他"}

func parseRole(s string) role {
	for i := rHead; i < numRoles; i++ {
		if roleNames[i] == s {
			return i
		}
	}
	return rNone
}

// householdRel[a][b] is what a member with role b is to a member with role a
// of the same household. The inferences (H head, S spouse, C child, CL
// child_in_law, P parent, PL parent_in_law, SB sibling, G grandchild, GP
// grandparent):
//
//	H–S spouse; H–C child; H–CL child_in_law; H–P parent; H–PL parent_in_law;
//	H–SB sibling; H–G grandchild; H–GP grandparent.
//	S–C child (the head's children are taken to be the spouse's too);
//	S–CL child_in_law; S–P parent_in_law; S–PL parent; S–SB sibling_in_law;
//	S–G grandchild.
//	C–C sibling; C–P grandparent; C–PL grandparent (the spouse's parents);
//	C–CL spouse when the household has exactly one child, otherwise
//	sibling_in_law (the register does not say whose spouse the in-law is;
//	both are close by default).
//	P–P spouse; PL–PL spouse; P–SB child; SB–SB sibling; SB–GP grandchild
//	(the head's sibling shares the head's grandparents).
//
// Not inferred (nobody): anything with `other`; C–G, CL–G, G–G (whose
// child a grandchild is, is not recorded); GP–GP (two grandparents may be
// of different sides); P–PL (co-parents-in-law are not relatives); S–GP,
// CL–CL, CL–P, C–SB (not close, or not determined).
var householdRel [numRoles][numRoles]Relation

// multiChildRel is householdRel for C–CL when the household has several
// children.
const multiChildRel = SiblingInLaw

func init() {
	set := func(a, b role, r Relation) { // b is r to a; and a is r.Inverse() to b
		householdRel[a][b] = r
		householdRel[b][a] = r.Inverse()
	}
	set(rHead, rSpouse, Spouse)
	set(rHead, rChild, Child)
	set(rHead, rChildInLaw, ChildInLaw)
	set(rHead, rParent, Parent)
	set(rHead, rParentInLaw, ParentInLaw)
	set(rHead, rSibling, Sibling)
	set(rHead, rGrandchild, Grandchild)
	set(rHead, rGrandparent, Grandparent)
	set(rSpouse, rChild, Child)
	set(rSpouse, rChildInLaw, ChildInLaw)
	set(rSpouse, rParent, ParentInLaw)
	set(rSpouse, rParentInLaw, Parent)
	set(rSpouse, rSibling, SiblingInLaw)
	set(rSpouse, rGrandchild, Grandchild)
	set(rChild, rChild, Sibling)
	set(rChild, rParent, Grandparent)
	set(rChild, rParentInLaw, Grandparent)
	set(rChild, rChildInLaw, Spouse) // multiChildRel when several children
	set(rParent, rParent, Spouse)
	set(rParentInLaw, rParentInLaw, Spouse)
	set(rParent, rSibling, Child)
	set(rSibling, rSibling, Sibling)
	set(rSibling, rGrandparent, Grandparent)
}

// Graph is the relation graph of one run.
type Graph struct {
	ids   []string // node -> person_id
	index idIndex  // person_id -> node
	// per node; nodes >= nPersons come only from kinship rows
	nPersons int
	row      []int32 // persons row of a register node
	role     []role
	hh       []int32 // household ordinal, -1 outside the register
	// households (CSR)
	hhID       []string
	hhStart    []int32
	hhMember   []int32
	hhChildren []int32 // number of `child` members
	// declared relations (CSR over nodes)
	kinStart []int32
	kinTo    []int32
	kinRel   []Relation

	close Set
}

// Build indexes persons (the register) and kinship (nil when absent). A
// person_id that appears twice in persons keeps its first row. Kinship
// rows with an unknown relation or a missing id are ignored; close is the
// set of close relations Relation answers for (nil = DefaultClose).
func Build(persons, kin *table.Table, close []string) *Graph {
	if close == nil {
		close = DefaultClose
	}
	cs, _ := NewSet(close)
	n := persons.Len()
	nk := kin.Len()
	g := &Graph{index: newIDIndex(n + nk/4), close: cs}
	g.ids = make([]string, 0, n)
	g.role = make([]role, 0, n)
	g.hh = make([]int32, 0, n)
	g.row = make([]int32, 0, n)
	if n > 0 {
		pid, hid, rel := persons.Str("person_id"), persons.Str("household_id"), persons.Str("relation_to_head")
		hhIndex := newIDIndex(n / 4) // household_id -> ordinal, keys in hhID
		prevH, prevHS := int32(-1), ""
		for i := 0; i < n; i++ {
			if pid.IsNull(i) {
				continue
			}
			id := pid.Value(i)
			node, slot := g.index.find(g.ids, id)
			if node >= 0 { // duplicate: the first row stays
				continue
			}
			g.ids = append(g.ids, id)
			g.index.add(g.ids, slot)
			g.row = append(g.row, int32(i))
			h := int32(-1)
			if hid.IsValid(i) {
				hs := hid.Value(i)
				if prevH >= 0 && hs == prevHS { // members of a household are listed together
					h = prevH
				} else {
					var slot int
					if h, slot = hhIndex.find(g.hhID, hs); h < 0 {
						h = int32(len(g.hhID))
						g.hhID = append(g.hhID, hs)
						hhIndex.add(g.hhID, slot)
					}
					prevH, prevHS = h, hs
				}
			}
			g.hh = append(g.hh, h)
			r := rNone
			if rel.IsValid(i) {
				r = parseRole(rel.Value(i))
			}
			g.role = append(g.role, r)
		}
		// household members, CSR by counting sort (keeps register order)
		nh := len(g.hhID)
		g.hhStart = make([]int32, nh+1)
		g.hhChildren = make([]int32, nh)
		for p, h := range g.hh {
			if h >= 0 {
				g.hhStart[h+1]++
				if g.role[p] == rChild {
					g.hhChildren[h]++
				}
			}
		}
		for h := 0; h < nh; h++ {
			g.hhStart[h+1] += g.hhStart[h]
		}
		g.hhMember = make([]int32, g.hhStart[nh])
		fill := make([]int32, nh)
		for p, h := range g.hh {
			if h >= 0 {
				g.hhMember[g.hhStart[h]+fill[h]] = int32(p)
				fill[h]++
			}
		}
	}
	g.nPersons = len(g.ids)
	if nk > 0 {
		a, b, rel := kin.Str("person_id"), kin.Str("relative_id"), kin.Str("relation")
		node := func(id string) int32 {
			x, slot := g.index.find(g.ids, id)
			if x >= 0 {
				return x
			}
			g.ids = append(g.ids, id)
			g.index.add(g.ids, slot)
			return int32(len(g.ids) - 1)
		}
		type edge struct {
			a, b int32
			r    Relation
		}
		edges := make([]edge, 0, nk)
		for i := 0; i < nk; i++ {
			if a.IsNull(i) || b.IsNull(i) || rel.IsNull(i) {
				continue
			}
			r, ok := ParseRelation(rel.Value(i))
			if !ok || r == Self {
				continue
			}
			x, y := node(a.Value(i)), node(b.Value(i))
			if x == y {
				continue
			}
			edges = append(edges, edge{x, y, r})
		}
		nn := len(g.ids)
		g.kinStart = make([]int32, nn+1)
		for _, e := range edges {
			g.kinStart[e.a+1]++
			g.kinStart[e.b+1]++
		}
		for i := 0; i < nn; i++ {
			g.kinStart[i+1] += g.kinStart[i]
		}
		g.kinTo = make([]int32, 2*len(edges))
		g.kinRel = make([]Relation, 2*len(edges))
		fill := make([]int32, nn)
		for _, e := range edges { // kinship row order kept per node
			k := g.kinStart[e.a] + fill[e.a]
			g.kinTo[k], g.kinRel[k] = e.b, e.r // b is r to a
			fill[e.a]++
			k = g.kinStart[e.b] + fill[e.b]
			g.kinTo[k], g.kinRel[k] = e.a, e.r.Inverse()
			fill[e.b]++
		}
	}
	return g
}

// Len is the number of nodes (register persons plus persons named only in
// kinship rows).
func (g *Graph) Len() int { return len(g.ids) }

// Node finds a person's node.
func (g *Graph) Node(id string) (int32, bool) {
	n, _ := g.index.find(g.ids, id)
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

// idIndex maps person_id to node (and household_id to ordinal): open addressing (linear probing) over a
// power-of-two array of node+1 (0 = empty), the keys read back from the
// graph's ids. Against a map[string]int32 of millions of persons it is
// pointer-free (the GC does not scan it), half the size, and a lookup or an
// insert is one probe sequence.
type idIndex struct {
	seed  maphash.Seed
	slots []int32
	n     int
}

func newIDIndex(capacity int) idIndex {
	x := idIndex{seed: maphash.MakeSeed()}
	x.resize(capacity)
	return x
}

// resize makes room for capacity keys at a load of at most one half.
func (x *idIndex) resize(capacity int) {
	size := 16
	for size < 2*capacity {
		size <<= 1
	}
	x.slots = make([]int32, size)
}

// find returns id's node, or -1 and the slot where it goes.
func (x *idIndex) find(ids []string, id string) (node int32, slot int) {
	mask := uint64(len(x.slots) - 1)
	i := maphash.String(x.seed, id) & mask
	for {
		s := x.slots[i]
		if s == 0 {
			return -1, int(i)
		}
		if ids[s-1] == id {
			return s - 1, int(i)
		}
		i = (i + 1) & mask
	}
}

// add stores the last of ids (node len(ids)-1) at the slot find returned
// for it, growing the table when it is half full.
func (x *idIndex) add(ids []string, slot int) {
	x.slots[slot] = int32(len(ids))
	x.n++
	if 2*x.n <= len(x.slots) {
		return
	}
	x.resize(2 * x.n)
	for node, id := range ids {
		_, s := x.find(ids[:node], id)
		x.slots[s] = int32(node + 1)
	}
}
