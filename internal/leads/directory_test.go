package leads

import (
	"testing"

	"github.com/neijiang/xiaowei/internal/table"
)

// TestResolveNames checks that a lead's person gets the register's name
// whether the register is already normal (one pass over the column) or
// holds ids as exported (each normalised: lower-case x, full-width digits),
// and that a person the register lacks stays unnamed.
func TestResolveNames(t *testing.T) {
	const pX = "51100219700101003X"
	cases := []struct {
		name     string
		register string // persons rows
		want     map[string]string
	}{
		{"normal register", pX + ",周正,M,1970-01-01,H9,head," + vMTW + ",\n" + pDep + ",王建国,M,1970-01-01,H1,head," + vMTW + ",\n",
			map[string]string{pX: "周正", pDep: "王建国", pCash: ""}},
		{"lower-case x", "51100219700101003x,周正,M,1970-01-01,H9,head," + vMTW + ",\n" + pDep + ",王建国,M,1970-01-01,H1,head," + vMTW + ",\n",
			map[string]string{pX: "周正", pDep: "王建国", pCash: ""}},
		{"full-width digits", "５１１００２１９７００１０１００３X,周正,M,1970-01-01,H9,head," + vMTW + ",\n",
			map[string]string{pX: "周正", pDep: ""}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tbs := tables(t)
			tbs["persons"] = loadTable(t, "persons", c.register)
			d := newDirectory(map[string]*table.Table{"persons": tbs["persons"], "villages": tbs["villages"], "cadres": tbs["cadres"]}, 0)
			var ls []*Lead
			for id := range c.want {
				d.want(id)
				ls = append(ls, &Lead{VillageID: vMTW, Person: &Person{PersonID: id}})
			}
			d.resolve(ls)
			for _, l := range ls {
				if got := l.Person.Name; got != c.want[l.Person.PersonID] {
					t.Errorf("%s: name %q, want %q", l.Person.PersonID, got, c.want[l.Person.PersonID])
				}
			}
		})
	}
}
