package subsidy

import (
	"github.com/neijiang/xiaowei/detectors/kinship"
	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/table"
)

// handlerCols are the positions of case_handlers' columns, resolved once.
type handlerCols struct {
	village, caseID, program, programCN, person, personName, approved, filed                       int
	handler, handlerName, handlerRole, handlerRoleCN, relation, relationCN, path, close, paidTotal int
}

func newHandlerCols(b *table.Builder) handlerCols {
	return handlerCols{village: b.Col("village_id"), caseID: b.Col("case_id"), program: b.Col("program"), programCN: b.Col("program_cn"),
		person: b.Col("person_id"), personName: b.Col("person_name"), approved: b.Col("approved_on"), filed: b.Col("relative_filed"),
		handler: b.Col("handled_by"), handlerName: b.Col("handler_name"), handlerRole: b.Col("handler_role"), handlerRoleCN: b.Col("handler_role_cn"),
		relation: b.Col("relation"), relationCN: b.Col("relation_cn"), path: b.Col("path"), close: b.Col("close"), paidTotal: b.Col("paid_total")}
}

// handlers builds case_handlers.
func (e *worker) handlers() (*table.Table, error) {
	bt := e.in.Tables["beneficiaries"]
	b := table.NewBuilder(e.in.Mem, ViewHandlers, viewCols(ViewHandlers))
	if bt == nil {
		return b.Finish(), nil
	}
	in, o := e.ben, newHandlerCols(b)
	for i := 0; i < bt.Len(); i++ {
		if in.handledBy.IsNull(i) {
			continue
		}
		person, handler, village := in.person.Value(i), in.handledBy.Value(i), in.village.Value(i)
		node := e.benNode[i]
		known := node >= 0
		var rel kinship.Rel
		found := false
		path := "本人"
		if handler == person {
			rel, found = kinship.Rel{Rel: kinship.Self}, true
		} else if hn, ok := e.g.Node(handler); ok && known {
			for _, r := range e.candidates(node)[1:] {
				if r.Other == hn {
					rel, found = r, true
					path = e.g.Path(node, r)
					break
				}
			}
		}
		if !found {
			continue
		}
		closeSet, err := e.closeSet(village)
		if err != nil {
			return nil, err
		}
		town, err := e.townScope(village)
		if err != nil {
			return nil, err
		}
		approved := civil.Date(in.approved.Value(i))
		b.SetStr(o.village, village)
		b.SetStr(o.caseID, in.caseID.Value(i))
		b.SetStr(o.program, in.program.Value(i))
		b.SetStr(o.programCN, contract.ProgramLabels[in.program.Value(i)])
		b.SetStr(o.person, person)
		e.putName(b, o.personName, node, known)
		b.SetDate(o.approved, approved)
		b.SetBool(o.filed, in.filed.IsValid(i) && in.filed.Value(i))
		b.SetStr(o.handler, handler)
		e.putNameOf(b, o.handlerName, handler)
		if k := e.cadreOn(handler, village, approved, town); k >= 0 {
			b.SetStr(o.handlerRole, e.cRole.Value(k))
			b.SetStr(o.handlerRoleCN, contract.RoleLabels[e.cRole.Value(k)])
		} else {
			b.SetStr(o.handlerRoleCN, "经办人")
		}
		b.SetStr(o.relation, rel.Rel.String())
		b.SetStr(o.relationCN, rel.Rel.CN())
		b.SetStr(o.path, path)
		b.SetBool(o.close, closeSet.Has(rel.Rel))
		b.SetInt(o.paidTotal, e.paidTotal(i))
		b.Next()
	}
	return b.Finish(), nil
}
