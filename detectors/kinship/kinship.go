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
