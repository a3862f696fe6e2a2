package subsidy

import (
	"github.com/neijiang/xiaowei/detectors/kinship"
	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/table"
)

// linkCols are the positions of beneficiary_links' columns, resolved once.
type linkCols struct {
	village, caseID, program, programCN, person, personName, approved, ended, monthly, paidTotal, filed int
	cadre, cadreName, role, roleCN, cadreVillage, termStart, termEnd, relation, relationCN, path, close int
}

func newLinkCols(b *table.Builder) linkCols {
	return linkCols{village: b.Col("village_id"), caseID: b.Col("case_id"), program: b.Col("program"), programCN: b.Col("program_cn"),
		person: b.Col("person_id"), personName: b.Col("person_name"), approved: b.Col("approved_on"), ended: b.Col("ended_on"),
		monthly: b.Col("monthly_amount"), paidTotal: b.Col("paid_total"), filed: b.Col("relative_filed"), cadre: b.Col("cadre_id"),
		cadreName: b.Col("cadre_name"), role: b.Col("cadre_role"), roleCN: b.Col("cadre_role_cn"), cadreVillage: b.Col("cadre_village_id"),
		termStart: b.Col("term_start"), termEnd: b.Col("term_end"), relation: b.Col("relation"), relationCN: b.Col("relation_cn"),
		path: b.Col("path"), close: b.Col("close")}
}

// links builds beneficiary_links.
func (e *worker) links() (*table.Table, error) {
	bt := e.in.Tables["beneficiaries"]
	b := table.NewBuilder(e.in.Mem, ViewLinks, viewCols(ViewLinks))
	if e.cadres == nil || bt == nil {
		return b.Finish(), nil
	}
	in, o := e.ben, newLinkCols(b)
	for i := 0; i < bt.Len(); i++ {
		person, village := in.person.Value(i), in.village.Value(i)
		from := civil.Date(in.approved.Value(i))
		to, hasEnd := e.receivingEnd(in.ended, i)
		closeSet, err := e.closeSet(village)
		if err != nil {
			return nil, err
		}
		town, err := e.townScope(village)
		if err != nil {
			return nil, err
		}
		node := e.benNode[i]
		known := node >= 0
		var cands []kinship.Rel
		if known {
			cands = e.candidates(node)
		}
		// a person outside the graph can still be a cadre themself
		for k := -1; k < len(cands); k++ {
			var other string
			var rel kinship.Rel
			if k == -1 {
				if known {
					continue // self is cands[0]
				}
				other, rel = person, kinship.Rel{Rel: kinship.Self}
			} else {
				rel = cands[k]
				other = e.g.ID(rel.Other)
			}
			for _, c32 := range e.cadreIdx[other] {
				k := int(c32)
				if !e.inScope(village, e.cVillage.Value(k), town) {
					continue
				}
				tf, tt := e.term(k)
				if tf > to || tt < from {
					continue
				}
				e.putLink(b, o, linkSubject{row: i, person: person, village: village, node: node, known: known, from: from, to: to, hasEnd: hasEnd},
					k, other, rel, tf, tt, closeSet)
			}
		}
	}
	return b.Finish(), nil
}

// linkSubject is one beneficiaries row as links pairs it with cadres.
type linkSubject struct {
	row             int
	person, village string
	node            int32
	known           bool
	from, to        civil.Date
	hasEnd          bool
}

// putLink writes one beneficiary_links row: subject s related by rel to
// other, who is the cadre of cadres row k with term tf..tt.
func (e *worker) putLink(b *table.Builder, o linkCols, s linkSubject, k int, other string, rel kinship.Rel, tf, tt civil.Date, closeSet kinship.Set) {
	in := e.ben
	b.SetStr(o.village, s.village)
	b.SetStr(o.caseID, in.caseID.Value(s.row))
	b.SetStr(o.program, in.program.Value(s.row))
	b.SetStr(o.programCN, contract.ProgramLabels[in.program.Value(s.row)])
	b.SetStr(o.person, s.person)
	e.putName(b, o.personName, s.node, s.known)
	b.SetDate(o.approved, s.from)
	if s.hasEnd {
		b.SetDate(o.ended, s.to)
	}
	b.SetInt(o.monthly, in.monthly.Value(s.row))
	b.SetInt(o.paidTotal, e.paidTotal(s.row))
	b.SetBool(o.filed, in.filed.IsValid(s.row) && in.filed.Value(s.row))
	b.SetStr(o.cadre, other)
	e.putNameOf(b, o.cadreName, other)
	role := e.cRole.Value(k)
	b.SetStr(o.role, role)
	b.SetStr(o.roleCN, contract.RoleLabels[role])
	b.SetStr(o.cadreVillage, e.cVillage.Value(k))
	b.SetDate(o.termStart, tf)
	if e.cEnd.IsValid(k) && civil.Date(e.cEnd.Value(k)) <= e.asOf {
		b.SetDate(o.termEnd, tt)
	}
	b.SetStr(o.relation, rel.Rel.String())
	b.SetStr(o.relationCN, rel.Rel.CN())
	// Path says 本人 for Self, also for a person outside the graph (the
	// only relation such a person can have here).
	b.SetStr(o.path, e.g.Path(s.node, rel))
	b.SetBool(o.close, closeSet.Has(rel.Rel))
	b.Next()
}
