// Package cadrekin derives the cadre_relatives view: every person a cadre
// must recuse from, as one row per (cadre term, person). It exposes what the
// relatives family knows about cadres' relatives (the household register
// and declared kinship, detectors/kinship) as a general view that rules and
// declared views join on person_id, so a power-list item declared in YAML
// (a contract's counterparty, a lease's tenant) can ask "is this person a
// cadre or a cadre's relative?" without Go code of its own.
//
// Rows per cadres row, in cadres order: the cadre (relation self, via
// self); every other member of the cadre's register household (via
// household; relation is what the register's roles say they are to the
// cadre — kinship.RoleRelation — or "household" when the roles do not
// say); every declared kinship relative in either direction (via kinship).
// A person may appear more than once for one cadre (household and
// kinship); readers that need one row group or filter.
//
// Only cadres' households are indexed (two passes over persons, one over
// kinship), not the whole relation graph: the view costs a scan of the
// register, not a graph build.
package cadrekin

import (
	"context"

	"github.com/neijiang/xiaowei/detectors/kinship"
	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/ident"
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
	{Name: "cadre_role_cn", Kind: contract.Text, Doc: "the role in Chinese"},
	{Name: "term_start", Kind: contract.Date, Doc: "start of the cadre's term"},
	{Name: "term_end", Kind: contract.Date, Doc: "end of the term (null while in office)"},
	{Name: "person_id", Kind: contract.ID, Doc: "the cadre or a relative"},
	{Name: "relation", Kind: contract.Text, Doc: "what person_id is to the cadre: self, spouse, parent, child, sibling, grandparent, grandchild, parent_in_law, child_in_law, sibling_in_law, other, or household (same household, the roles do not say)"},
	{Name: "relation_cn", Kind: contract.Text, Doc: "the relation in Chinese, with how it is known (同户 / 亲属登记)"},
	{Name: "via", Kind: contract.Text, Doc: "self, household (the register) or kinship (a declared relation)"},
}

func (detector) Name() string                   { return "cadrekin" }
func (detector) Settings() []engine.SettingSpec { return nil }
func (detector) Views() []engine.ViewSpec {
	return []engine.ViewSpec{{Name: View, Doc: "cadres and their household members and declared relatives, one row per cadre term and person",
		Needs: []string{"cadres", "persons"}, Cols: cols}}
}

// relationCN is the relation for messages: 本人, 同户配偶, 亲属登记：父母, 同户成员.
func relationCN(relation, via string) string {
	if relation == "self" {
		return "本人"
	}
	label := "成员"
	if r, ok := kinship.ParseRelation(relation); ok {
		label = r.CN()
	}
	if via == "kinship" {
		return "亲属登记：" + label
	}
	return "同户" + label
}

type member struct {
	id, role string
}

type kin struct {
	id  string
	rel kinship.Relation
}

func (d detector) Build(ctx context.Context, in *engine.Input) (map[string]*table.Table, error) {
	cadres, persons, kt := in.Tables["cadres"], in.Tables["persons"], in.Tables["kinship"]
	pid, vid, role := cadres.Str("person_id"), cadres.Str("village_id"), cadres.Str("role")
	start, end := cadres.Date("term_start"), cadres.Date("term_end")
	isCadre := make(map[string]bool, cadres.Len())
	cadreSieve := ident.NewSieve(cadres.Len())
	for i := 0; i < cadres.Len(); i++ {
		if pid.IsValid(i) {
			isCadre[pid.Value(i)] = true
			cadreSieve.Add(pid.Value(i))
		}
	}
	homes, err := cadreHouseholds(ctx, persons, isCadre, cadreSieve)
	if err != nil {
		return nil, err
	}
	declared := declaredKin(kt, isCadre)
	b := table.NewBuilder(in.Mem, View, cols)
	cV, cC, cR, cRCN, cS, cE, cP, cRel, cRelCN, cVia := b.Col("village_id"), b.Col("cadre_id"), b.Col("cadre_role"), b.Col("cadre_role_cn"), b.Col("term_start"), b.Col("term_end"),
		b.Col("person_id"), b.Col("relation"), b.Col("relation_cn"), b.Col("via")
	emit := func(i int, person, relation, via string) {
		b.SetStr(cV, vid.Value(i))
		b.SetStr(cC, pid.Value(i))
		b.SetStr(cR, role.Value(i))
		b.SetStr(cRCN, contract.RoleLabels[role.Value(i)])
		b.SetStr(cRelCN, relationCN(relation, via))
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
		if pid.IsNull(i) || vid.IsNull(i) {
			continue
		}
		id := pid.Value(i)
		emit(i, id, "self", "self")
		if hh, ok := homes.hh[id]; ok {
			for _, m := range homes.members[hh] {
				if m.id == id {
					continue
				}
				rel := "household"
				if r := kinship.RoleRelation(homes.role[id], m.role); r != kinship.None && r != kinship.Self {
					rel = r.String()
				}
				emit(i, m.id, rel, "household")
			}
		}
		for _, k := range declared[id] {
			emit(i, k.id, k.rel.String(), "kinship")
		}
	}
	return map[string]*table.Table{View: b.Finish()}, nil
}

// cadreHomes are the cadres' households in the register.
type cadreHomes struct {
	hh      map[string]int32  // cadre -> household (index into members)
	role    map[string]string // cadre -> relation_to_head
	members [][]member        // per household: its members, register order
}

// cadreHouseholds reads the register twice. Pass 1: the cadres' households
// and roles; pass 2: their members. Cadres and their households are about
// one person in a hundred: each pass asks a sieve (isCadre's keys, then the
// households') before its map, so most of the register costs no map probe.
func cadreHouseholds(ctx context.Context, persons *table.Table, isCadre map[string]bool, cadreSieve *ident.Sieve) (cadreHomes, error) {
	ppid, phh, prel := persons.Str("person_id"), persons.Str("household_id"), persons.Str("relation_to_head")
	n := len(isCadre) // sized once: growing the maps of every cadre cost as much as the scans
	h := cadreHomes{hh: make(map[string]int32, n), role: make(map[string]string, n)}
	homeOf := make(map[string]int32, n) // household_id -> index into h.members
	for i := 0; i < persons.Len(); i++ {
		if ppid.IsNull(i) || !cadreSieve.Has(ppid.Value(i)) || !isCadre[ppid.Value(i)] || phh.IsNull(i) {
			continue
		}
		if _, dup := h.hh[ppid.Value(i)]; dup {
			continue // a person_id listed twice keeps its first row (as kinship.Build)
		}
		home, ok := homeOf[phh.Value(i)]
		if !ok {
			home = int32(len(h.members))
			homeOf[phh.Value(i)] = home
			h.members = append(h.members, nil)
		}
		h.hh[ppid.Value(i)] = home
		h.role[ppid.Value(i)] = prel.Value(i)
	}
	homeSieve := ident.NewSieve(len(homeOf))
	for hh := range homeOf {
		homeSieve.Add(hh)
	}
	for i := 0; i < persons.Len(); i++ {
		if i&65535 == 0 && ctx.Err() != nil {
			return cadreHomes{}, ctx.Err()
		}
		if phh.IsNull(i) || ppid.IsNull(i) || !homeSieve.Has(phh.Value(i)) {
			continue
		}
		if home, ok := homeOf[phh.Value(i)]; ok {
			h.members[home] = append(h.members[home], member{ppid.Value(i), prel.Value(i)})
		}
	}
	return h, nil
}

// declaredKin is the declared relations of cadres (kt nil: none), either
// direction: (A, B, r) says B is A's r, so A is B's inverse(r).
func declaredKin(kt *table.Table, isCadre map[string]bool) map[string][]kin {
	declared := map[string][]kin{}
	if kt == nil {
		return declared
	}
	ka, kb, kr := kt.Str("person_id"), kt.Str("relative_id"), kt.Str("relation")
	for i := 0; i < kt.Len(); i++ {
		if ka.IsNull(i) || kb.IsNull(i) || kr.IsNull(i) {
			continue
		}
		r, ok := kinship.ParseRelation(kr.Value(i))
		if !ok {
			continue
		}
		a, b := ka.Value(i), kb.Value(i)
		if isCadre[a] {
			declared[a] = append(declared[a], kin{b, r})
		}
		if isCadre[b] {
			declared[b] = append(declared[b], kin{a, r.Inverse()})
		}
	}
	return declared
}
