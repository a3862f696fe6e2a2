package kinship

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
