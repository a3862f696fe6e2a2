package subsidy

import (
	"sort"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/table"
)

// enrolmentCols are the positions of enrolment_overlaps' columns, resolved once.
type enrolmentCols struct {
	village, person, personName, caseA, programA, programACN, fromA, toA int
	caseB, programB, programBCN, fromB, toB, handledByB                  int
	sameProgram, overlapFrom, overlapTo, overlapDays, monthlyTotal       int
}

func newEnrolmentCols(b *table.Builder) enrolmentCols {
	return enrolmentCols{village: b.Col("village_id"), person: b.Col("person_id"), personName: b.Col("person_name"),
		caseA: b.Col("case_a"), programA: b.Col("program_a"), programACN: b.Col("program_a_cn"), fromA: b.Col("from_a"), toA: b.Col("to_a"),
		caseB: b.Col("case_b"), programB: b.Col("program_b"), programBCN: b.Col("program_b_cn"), fromB: b.Col("from_b"), toB: b.Col("to_b"),
		handledByB: b.Col("handled_by_b"), sameProgram: b.Col("same_program"), overlapFrom: b.Col("overlap_from"), overlapTo: b.Col("overlap_to"),
		overlapDays: b.Col("overlap_days"), monthlyTotal: b.Col("monthly_total")}
}

// enrolments builds enrolment_overlaps: beneficiary rows grouped by person
// (first appearance order), each group ordered by approved_on then row.
func (e *worker) enrolments() (*table.Table, error) {
	bt := e.in.Tables["beneficiaries"]
	b := table.NewBuilder(e.in.Mem, ViewEnrolments, viewCols(ViewEnrolments))
	if bt == nil {
		return b.Finish(), nil
	}
	in := e.ben
	rows, start := groupByPerson(in.person, bt.Len())
	ng := int32(len(start) - 1)
	o := newEnrolmentCols(b)
	for g := int32(0); g < ng; g++ {
		rs := rows[start[g]:start[g+1]]
		if len(rs) < 2 {
			continue
		}
		sort.SliceStable(rs, func(x, y int) bool { return in.approved.Value(int(rs[x])) < in.approved.Value(int(rs[y])) })
		for x := 0; x < len(rs); x++ {
			i := int(rs[x])
			fa := civil.Date(in.approved.Value(i))
			ta, endA := e.receivingEnd(in.ended, i)
			for y := x + 1; y < len(rs); y++ {
				j := int(rs[y])
				if in.caseID.Value(i) == in.caseID.Value(j) {
					continue
				}
				fb := civil.Date(in.approved.Value(j))
				tb, endB := e.receivingEnd(in.ended, j)
				of, ot := max(fa, fb), min(ta, tb)
				if of > ot {
					continue
				}
				node := e.benNode[i]
				known := node >= 0
				b.SetStr(o.village, in.village.Value(j))
				b.SetStr(o.person, in.person.Value(i))
				e.putName(b, o.personName, node, known)
				b.SetStr(o.caseA, in.caseID.Value(i))
				b.SetStr(o.programA, in.program.Value(i))
				b.SetStr(o.programACN, contract.ProgramLabels[in.program.Value(i)])
				b.SetDate(o.fromA, fa)
				if endA {
					b.SetDate(o.toA, ta)
				}
				b.SetStr(o.caseB, in.caseID.Value(j))
				b.SetStr(o.programB, in.program.Value(j))
				b.SetStr(o.programBCN, contract.ProgramLabels[in.program.Value(j)])
				b.SetDate(o.fromB, fb)
				if endB {
					b.SetDate(o.toB, tb)
				}
				b.SetBool(o.sameProgram, in.program.Value(i) == in.program.Value(j))
				b.SetDate(o.overlapFrom, of)
				b.SetDate(o.overlapTo, ot)
				b.SetInt(o.overlapDays, int64(ot-of)+1)
				b.SetInt(o.monthlyTotal, in.monthly.Value(i)+in.monthly.Value(j))
				if in.handledBy.IsValid(j) {
					b.SetStr(o.handledByB, in.handledBy.Value(j))
				}
				b.Next()
			}
		}
	}
	return b.Finish(), nil
}

// groupByPerson orders rows 0..n-1 by person, persons in order of first
// appearance and rows in table order within each: person g's rows are
// rows[start[g]:start[g+1]]. A counting sort: one map lookup per row, no
// per-person slices.
func groupByPerson(person *array.String, n int) (rows, start []int32) {
	ord := make(map[string]int32, n)
	grp := make([]int32, n)
	var ng int32
	for i := 0; i < n; i++ {
		g, ok := ord[person.Value(i)]
		if !ok {
			g = ng
			ord[person.Value(i)] = g
			ng++
		}
		grp[i] = g
	}
	start = make([]int32, ng+1)
	for _, g := range grp {
		start[g+1]++
	}
	for g := int32(0); g < ng; g++ {
		start[g+1] += start[g]
	}
	rows = make([]int32, n)
	fill := make([]int32, ng)
	for i, g := range grp {
		rows[start[g]+fill[g]] = int32(i)
		fill[g]++
	}
	return rows, start
}
