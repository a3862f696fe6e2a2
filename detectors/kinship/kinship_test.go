package kinship

import (
	"context"
	"strings"
	"testing"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/table"
)

func loadCSV(t testing.TB, name, text string) *table.Table {
	t.Helper()
	spec, ok := contract.Lookup(name)
	if !ok {
		t.Fatalf("no table %s", name)
	}
	tb, _, rej, err := load.Table(context.Background(), spec, name, strings.NewReader(text), load.Options{})
	if err != nil || len(rej) > 0 {
		t.Fatalf("load %s: %v %v", name, err, rej)
	}
	return tb
}

const personsHdr = "person_id,name,gender,birth_date,household_id,relation_to_head,village_id,death_date\n"

// A household with every role, a second household with two children and a
// child-in-law, and declared relations.
const persons = personsHdr +
	"H,户主,M,1960-01-01,A,head,511002101204,\n" +
	"S,配偶,F,1962-01-01,A,spouse,511002101204,\n" +
	"C,子女,M,1985-01-01,A,child,511002101204,\n" +
	"CL,儿媳,F,1986-01-01,A,child_in_law,511002101204,\n" +
	"P,父,M,1935-01-01,A,parent,511002101204,\n" +
	"PL,岳母,F,1938-01-01,A,parent_in_law,511002101204,\n" +
	"SB,弟,M,1965-01-01,A,sibling,511002101204,\n" +
	"G,孙,M,2010-01-01,A,grandchild,511002101204,\n" +
	"GP,祖父,M,1910-01-01,A,grandparent,511002101204,\n" +
	"O,寄住,M,1970-01-01,A,other,511002101204,\n" +
	"H2,户主2,M,1960-01-01,B,head,511002101204,\n" +
	"C2A,子女2A,M,1985-01-01,B,child,511002101204,\n" +
	"C2B,子女2B,F,1987-01-01,B,child,511002101204,\n" +
	"CL2,儿媳2,F,1986-01-01,B,child_in_law,511002101204,\n" +
	"X,张伟,M,1970-01-01,C,head,511002101204,\n" +
	"Y,张伟,M,1971-01-01,D,head,511002101204,\n"

const kin = "person_id,relative_id,relation\n" +
	"X,Z,parent\n" + // Z (outside the register) is X's parent
	"H2,W,sibling_in_law\n" +
	"H2,V,other\n"

func TestRelation(t *testing.T) {
	g := Build(loadCSV(t, "persons", persons), loadCSV(t, "kinship", kin), nil)
	cases := []struct {
		a, b, rel string
		ok        bool
		path      string
	}{
		{"H", "S", "spouse", true, "配偶 同户 A（户主—配偶）"},
		{"S", "H", "spouse", true, ""},
		{"H", "C", "child", true, ""},
		{"C", "H", "parent", true, ""},
		{"S", "C", "child", true, ""}, // spouse–child: parent/child
		{"C", "S", "parent", true, ""},
		{"C", "CL", "spouse", true, ""}, // the only child: the in-law is their spouse
		{"CL", "H", "parent_in_law", true, ""},
		{"H", "CL", "child_in_law", true, ""},
		{"H", "P", "parent", true, ""},
		{"P", "H", "child", true, ""},
		{"H", "PL", "parent_in_law", true, ""},
		{"S", "PL", "parent", true, ""}, // spouse–parent_in_law: child/parent
		{"PL", "S", "child", true, ""},
		{"S", "P", "parent_in_law", true, ""},
		{"H", "G", "grandchild", true, ""},
		{"G", "H", "grandparent", true, ""},
		{"G", "S", "grandparent", true, ""},
		{"H", "SB", "sibling", true, ""},
		{"S", "SB", "sibling_in_law", true, ""},
		{"SB", "P", "parent", true, ""},
		{"P", "SB", "child", true, ""},
		{"C", "P", "grandparent", true, ""},
		{"H", "GP", "grandparent", true, ""},
		{"O", "H", "", false, ""}, // other relates to nobody
		{"H", "O", "", false, ""},
		{"C", "G", "", false, ""}, // not inferred: whose child a grandchild is
		{"C2A", "C2B", "sibling", true, ""},
		{"C2A", "CL2", "sibling_in_law", true, ""}, // several children: not sure whose spouse
		{"X", "Y", "", false, ""},                  // same name, different person
		{"X", "Z", "parent", true, "父母 亲属登记（kinship）"},
		{"Z", "X", "child", true, ""}, // declared rows read both ways
		{"W", "H2", "sibling_in_law", true, ""},
		{"H2", "V", "", false, ""},     // `other` is not close by default
		{"H", "H2", "", false, ""},     // different households
		{"H", "nobody", "", false, ""}, // unknown id
		{"H", "H", "self", true, "本人"}, // a person is themself
	}
	for _, c := range cases {
		rel, path, ok := g.Relation(c.a, c.b)
		if rel != c.rel || ok != c.ok || c.path != "" && path != c.path {
			t.Errorf("Relation(%s, %s) = %q %q %v, want %q %q %v", c.a, c.b, rel, path, ok, c.rel, c.path, c.ok)
		}
	}
}

// TestHouseholdTableInverse: what B is to A is the inverse of what A is to B.
func TestHouseholdTableInverse(t *testing.T) {
	for a := rHead; a < numRoles; a++ {
		for b := rHead; b < numRoles; b++ {
			if got, want := householdRel[b][a], householdRel[a][b].Inverse(); got != want {
				t.Errorf("%s–%s: %s, but %s–%s: %s", roleNames[a], roleNames[b], householdRel[a][b], roleNames[b], roleNames[a], got)
			}
		}
	}
}

func TestCloseSet(t *testing.T) {
	s, bad := NewSet([]string{"spouse", "parent", "nephew"})
	if len(bad) != 1 || bad[0] != "nephew" {
		t.Errorf("bad = %v", bad)
	}
	if !s.Has(Spouse) || !s.Has(Parent) || s.Has(Child) {
		t.Errorf("set %b", s)
	}
	g := Build(loadCSV(t, "persons", persons), nil, []string{"spouse"})
	if _, _, ok := g.Relation("H", "C"); ok {
		t.Error("child is not close when only spouse is")
	}
	if _, _, ok := g.Relation("H", "S"); !ok {
		t.Error("spouse is close")
	}
}
