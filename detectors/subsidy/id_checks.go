package subsidy

import (
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/table"
)

// idCheckCols are the positions of id_checks' columns, resolved once.
type idCheckCols struct {
	village, person, personName, caseID, source, inRegister, formatOK, checksumOK, checkExpected int
	idBirth, birth, birthMatches, idGender, gender, genderMatches, problem                       int
}

func newIDCheckCols(b *table.Builder) idCheckCols {
	return idCheckCols{village: b.Col("village_id"), person: b.Col("person_id"), personName: b.Col("person_name"), caseID: b.Col("case_id"),
		source: b.Col("source"), inRegister: b.Col("in_register"), formatOK: b.Col("id_format_ok"), checksumOK: b.Col("checksum_ok"),
		checkExpected: b.Col("check_expected"), idBirth: b.Col("id_birth_date"), birth: b.Col("birth_date"), birthMatches: b.Col("birth_matches"),
		idGender: b.Col("id_gender"), gender: b.Col("gender"), genderMatches: b.Col("gender_matches"), problem: b.Col("id_problem")}
}

// idChecks builds id_checks: every distinct person named by beneficiaries
// (in row order), then those named only by payments.
func (e *worker) idChecks() (*table.Table, error) {
	b := table.NewBuilder(e.in.Mem, ViewIDChecks, viewCols(ViewIDChecks))
	// DQ-BAD-ID judges the ID number as written: a 15-digit number the
	// run upgraded to 18 digits for matching (ident.Upgrade15) is still
	// checked, and reported, in the form the subsidy tables hold
	// (keyed by table and normal form: the row a person is listed from)
	written15 := map[[2]string]string{}
	for _, c := range e.in.Altered {
		if c.Upgraded && c.Column == "person_id" && (c.Table == "beneficiaries" || c.Table == "payments") {
			if _, ok := written15[[2]string{c.Table, c.Normalised}]; !ok {
				written15[[2]string{c.Table, c.Normalised}] = c.Original
			}
		}
	}
	w := idCheckWriter{e: e, b: b, o: newIDCheckCols(b), written15: written15}
	seen := newPersonSet(e.g.Len())
	if bt := e.in.Tables["beneficiaries"]; bt != nil {
		pid, vill, cs := bt.Str("person_id"), bt.Str("village_id"), bt.Str("case_id")
		for i := 0; i < bt.Len(); i++ {
			node := e.benNode[i]
			known := node >= 0
			if seen.first(pid.Value(i), node, known) {
				w.emit(pid.Value(i), node, known, vill.Value(i), cs.Value(i), "beneficiaries")
			}
		}
	}
	if pt := e.in.Tables["payments"]; pt != nil {
		var bvill *array.String // a payment's village: its case's last beneficiaries row's
		if bt := e.in.Tables["beneficiaries"]; bt != nil {
			bvill = bt.Str("village_id")
		}
		pid, cs := pt.Str("person_id"), pt.Str("case_id")
		for i := 0; i < pt.Len(); i++ {
			p := pid.Value(i)
			node, known := e.payNode[i], e.payNode[i] >= 0
			if !seen.first(p, node, known) {
				continue
			}
			var v string
			if c := e.payCase[i]; c >= 0 {
				v = bvill.Value(int(e.caseLast[c]))
			}
			if v == "" {
				if known && e.g.Row(node) >= 0 {
					v = e.pvill.Value(e.g.Row(node))
				}
			}
			w.emit(p, node, known, v, cs.Value(i), "payments")
		}
	}
	return b.Finish(), nil
}

// personSet holds the persons already listed: graph nodes in a bitmap,
// others (not in the graph, rare) in a map.
type personSet struct {
	node  []bool
	other map[string]struct{}
}

func newPersonSet(nodes int) personSet {
	return personSet{node: make([]bool, nodes), other: map[string]struct{}{}}
}

// first reports whether person is new to the set, and adds them.
func (s personSet) first(person string, node int32, known bool) bool {
	if known {
		if s.node[node] {
			return false
		}
		s.node[node] = true
		return true
	}
	if _, ok := s.other[person]; ok {
		return false
	}
	s.other[person] = struct{}{}
	return true
}

// idCheckWriter writes id_checks rows.
type idCheckWriter struct {
	e         *worker
	b         *table.Builder
	o         idCheckCols
	written15 map[[2]string]string // 15-digit IDs as written, by (table, normal form)
}

// emit writes one person's row: the ID number's own checks, then how it
// agrees with the register.
func (w idCheckWriter) emit(person string, node int32, known bool, village, caseID, source string) {
	e, b, o := w.e, w.b, w.o
	row := -1
	if known {
		row = e.g.Row(node)
	}
	asWritten, old := w.written15[[2]string{source, person}]
	if !old {
		asWritten = person
	}
	b.SetStr(o.village, village)
	b.SetStr(o.person, person)
	b.SetStr(o.caseID, caseID)
	b.SetStr(o.source, source)
	b.SetBool(o.inRegister, row >= 0)
	r := CheckID(asWritten)
	b.SetBool(o.formatOK, r.FormatOK)
	b.SetBool(o.checksumOK, r.ChecksumOK)
	if r.FormatOK {
		b.SetStr(o.checkExpected, string(r.Expected))
		b.SetStr(o.idGender, r.Gender)
	}
	if r.BirthOK {
		b.SetDate(o.idBirth, r.Birth)
	}
	birthMatch, genderMatch := false, false
	var problem []byte
	if !r.FormatOK {
		problem = append(problem, "身份证号格式不符（应为17位数字加1位校验码）"...)
		if old {
			problem = append(problem, "，系15位旧号码，比对时已按GB 11643升为18位"...)
		}
	} else if !r.ChecksumOK {
		problem = append(problem, "校验码应为"...)
		problem = append(problem, r.Expected)
	}
	if row >= 0 {
		b.SetStr(o.personName, e.names.Value(row))
		if e.birth.IsValid(row) {
			bd := civil.Date(e.birth.Value(row))
			b.SetDate(o.birth, bd)
			birthMatch = r.BirthOK && bd == r.Birth
			if !birthMatch {
				if len(problem) > 0 {
					problem = append(problem, "；"...)
				}
				problem = append(problem, "户籍出生日期"...)
				problem = bd.AppendString(problem)
				problem = append(problem, "与身份证号不符"...)
			}
		}
		if e.gend.IsValid(row) {
			b.SetStr(o.gender, e.gend.Value(row))
			genderMatch = r.FormatOK && e.gend.Value(row) == r.Gender
		}
	} else {
		if len(problem) > 0 {
			problem = append(problem, "；"...)
		}
		problem = append(problem, "户籍中无此人"...)
	}
	b.SetBool(o.birthMatches, birthMatch)
	b.SetBool(o.genderMatches, genderMatch)
	if len(problem) == 0 {
		b.SetStr(o.problem, "")
	} else {
		b.SetStr(o.problem, string(problem)) // rare: only a person with a problem
	}
	b.Next()
}
