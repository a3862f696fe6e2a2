// Package cadrekin derives the cadre_relatives view: every person a cadre
// must recuse from, as one row per (cadre term, person). It exposes the
// relation graph the relatives family computes (detectors/kinship) as a
// general view that rules and declared views join on person_id, so a
// power-list item declared in YAML (a contract's counterparty, a lease's
// tenant) can ask "is this person a cadre or a cadre's relative?" without
// Go code of its own.
//
// Rows per cadres row, in cadres order: the cadre (relation self, via
// self); every other member of the cadre's register household (via
// household; relation is what the register says they are to the cadre, or
// "household" when the roles alone do not say); every declared kinship
// relative (via kinship, in both directions). A person may appear more than
// once for one cadre (household and kinship); readers that need one row
// group or filter.
package cadrekin

import (
	"context"

	"github.com/neijiang/xiaowei/detectors/kinship"
	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/table"
)

type detector struct{}

func init() { engine.Register(detector{}) }

// View is the view's name.
const View = "cadre_relatives"

var cols = []table.Col{
	{Name: "village_id", Kind: contract.ID, Doc: "the cadre's village"},
	{Name: "cadre_id", Kind: contract.ID, Doc: "the cadre's person_id"},
	{Name: "cadre_role", Kind: contract.Enum, Doc: "the cadre's role"},
	{Name: "term_start", Kind: contract.Date, Doc: "start of the cadre's term"},
	{Name: "term_end", Kind: contract.Date, Doc: "end of the term (null while in office)"},
	{Name: "person_id", Kind: contract.ID, Doc: "the cadre or a relative"},
	{Name: "relation", Kind: contract.Text, Doc: "what person_id is to the cadre: self, spouse, parent, child, sibling, grandparent, grandchild, parent_in_law, child_in_law, sibling_in_law, other, or household (same household, relation not inferable)"},
	{Name: "via", Kind: contract.Text, Doc: "self, household (the register) or kinship (a declared relation)"},
}

func (detector) Name() string                   { return "cadrekin" }
func (detector) Settings() []engine.SettingSpec { return nil }
func (detector) Views() []engine.ViewSpec {
	return []engine.ViewSpec{{Name: View, Doc: "cadres and their household members and declared relatives, one row per cadre term and person",
		Needs: []string{"cadres", "persons"}, Cols: cols}}
}

func (d detector) Build(ctx context.Context, in *engine.Input) (map[string]*table.Table, error) {
	cadres, persons := in.Tables["cadres"], in.Tables["persons"]
	g := kinship.Build(persons, in.Tables["kinship"], nil)
	b := table.NewBuilder(in.Mem, View, cols)
	cV, cC, cR, cS, cE, cP, cRel, cVia := b.Col("village_id"), b.Col("cadre_id"), b.Col("cadre_role"), b.Col("term_start"), b.Col("term_end"), b.Col("person_id"), b.Col("relation"), b.Col("via")
	pid, vid, role := cadres.Str("person_id"), cadres.Str("village_id"), cadres.Str("role")
	start, end := cadres.Date("term_start"), cadres.Date("term_end")
	var buf []kinship.Rel
	emit := func(i int, person, relation, via string) {
		b.SetStr(cV, vid.Value(i))
		b.SetStr(cC, pid.Value(i))
		b.SetStr(cR, role.Value(i))
		if start.IsValid(i) {
			b.SetDate(cS, civil.Date(start.Value(i)))
		}
		if end.IsValid(i) {
			b.SetDate(cE, civil.Date(end.Value(i)))
		}
		b.SetStr(cP, person)
		b.SetStr(cRel, relation)
		b.SetStr(cVia, via)
		b.Next()
	}
	for i := 0; i < cadres.Len(); i++ {
		if i&1023 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if pid.IsNull(i) || vid.IsNull(i) {
			continue
		}
		id := pid.Value(i)
		emit(i, id, "self", "self")
		n, ok := g.Node(id)
		if !ok {
			continue
		}
		// Household members: the register's relation where the roles give
		// one, else "household" (anyone in the household counts).
		buf = g.Relatives(n, buf[:0])
		for _, m := range g.Members(n) {
			if m == n {
				continue
			}
			rel := "household"
			for _, r := range buf {
				if r.Other == m && !r.Declared {
					rel = r.Rel.String()
					break
				}
			}
			emit(i, g.ID(m), rel, "household")
		}
		for _, r := range buf {
			if r.Declared {
				emit(i, g.ID(r.Other), r.Rel.String(), "kinship")
			}
		}
	}
	return map[string]*table.Table{View: b.Finish()}, nil
}
