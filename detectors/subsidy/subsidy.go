// Package subsidy derives the views the relative-beneficiary rules read
// (rules/relative.yaml): who among the subsidy beneficiaries is a cadre or a
// cadre's relative, who handled whose case, where each payment went, who
// receives twice, and whose ID number is wrong.
//
// Relations come from detectors/kinship (the household register plus the
// kinship table, read both ways). Matching is by ID only: names are carried
// for messages and never decide a match. Persons missing from the register
// are still matched by ID (through kinship rows and the cadres table) and
// reported in id_checks (DQ-UNKNOWN-PERSON).
//
// Every view is built in one pass over its driving table with hash indexes
// built once (cadres by person, beneficiaries by case, persons by id), so
// the cost is linear in persons + kinship + beneficiaries + payments: to
// find the cadres related to a beneficiary the detector walks the
// beneficiary's household and declared relatives (a handful) and looks each
// up in the cadre index; it never pairs beneficiaries with all cadres.
//
// Dates after as_of are not read: a term_end, ended_on or death_date after
// as_of counts as not yet happened.
package subsidy

import (
	"context"
	"fmt"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/neijiang/xiaowei/detectors/kinship"
	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/table"
)

type detector struct{}

func init() { engine.Register(detector{}) }

// View names.
const (
	ViewLinks      = "beneficiary_links"
	ViewHandlers   = "case_handlers"
	ViewPayments   = "payment_checks"
	ViewEnrolments = "enrolment_overlaps"
	ViewIDChecks   = "id_checks"
)

func (detector) Name() string { return "subsidy" }

func (detector) Settings() []engine.SettingSpec {
	return []engine.SettingSpec{
		{Name: "close_relations", Default: append([]string(nil), kinship.DefaultClose...),
			Doc: "relations that count as close relatives (近亲属) for the `close` columns: spouse, parent, child, sibling, grandparent, grandchild, parent_in_law, child_in_law, sibling_in_law, other"},
		{Name: "cadre_scope", Default: "village",
			Doc: "which cadres a beneficiary is matched against: `village` (cadres of the beneficiary's village) or `town` (of any village in the same town)"},
	}
}

var (
	colVillage = table.Col{Name: "village_id", Kind: contract.ID, Doc: "the case's village"}
	colCase    = table.Col{Name: "case_id", Kind: contract.ID, Doc: "subsidy case"}
	colProgram = table.Col{Name: "program", Kind: contract.Enum, Doc: "dibao or tekun"}
	colProgCN  = table.Col{Name: "program_cn", Kind: contract.Text, Doc: "低保 or 特困"}
	colPerson  = table.Col{Name: "person_id", Kind: contract.ID, Doc: "the beneficiary (covered person)"}
	colName    = table.Col{Name: "person_name", Kind: contract.Text, Doc: "the beneficiary's name in the register (null when not in it)"}
)

func (detector) Views() []engine.ViewSpec {
	return []engine.ViewSpec{
		{Name: ViewLinks, Needs: []string{"beneficiaries", "persons", "cadres"}, DateCol: "approved_on",
			Doc: "one row per beneficiary row × cadre row (cadres of the same village, or town with cadre_scope: town) whose term overlaps the receiving period [approved_on, ended_on or as_of] and who is the beneficiary or a known relative",
			Cols: []table.Col{colVillage, colCase, colProgram, colProgCN, colPerson, colName,
				{Name: "approved_on", Kind: contract.Date, Doc: "receiving since"},
				{Name: "ended_on", Kind: contract.Date, Doc: "receiving until (null while receiving at as_of)"},
				{Name: "monthly_amount", Kind: contract.Money, Doc: "this person's monthly share"},
				{Name: "paid_total", Kind: contract.Money, Doc: "sum of payments to this person in this case up to as_of"},
				{Name: "relative_filed", Kind: contract.Bool, Doc: "the town filed the case as a cadre's relative (近亲属备案)"},
				{Name: "cadre_id", Kind: contract.ID, Doc: "the cadre's person_id"},
				{Name: "cadre_name", Kind: contract.Text, Doc: "the cadre's name in the register"},
				{Name: "cadre_role", Kind: contract.Enum, Doc: "the cadre's role"},
				{Name: "cadre_role_cn", Kind: contract.Text, Doc: "the role in Chinese"},
				{Name: "cadre_village_id", Kind: contract.ID, Doc: "the village the cadre serves"},
				{Name: "term_start", Kind: contract.Date, Doc: "term start"},
				{Name: "term_end", Kind: contract.Date, Doc: "term end (null while in office at as_of)"},
				{Name: "relation", Kind: contract.Enum, Doc: "what the cadre is to the beneficiary: self, spouse, parent, child, sibling, grandparent, grandchild, parent_in_law, child_in_law, sibling_in_law, other"},
				{Name: "relation_cn", Kind: contract.Text, Doc: "the relation in Chinese"},
				{Name: "path", Kind: contract.Text, Doc: "how the relation was found: 本人, 同户 <household>（roles）, 亲属登记（kinship）"},
				{Name: "close", Kind: contract.Bool, Doc: "relation is self or in the close_relations setting"},
			}},
		{Name: ViewHandlers, Needs: []string{"beneficiaries", "persons"}, DateCol: "approved_on",
			Doc: "one row per beneficiary row whose case handler (handled_by) is the beneficiary or a known relative of them",
			Cols: []table.Col{colVillage, colCase, colProgram, colProgCN, colPerson, colName,
				{Name: "approved_on", Kind: contract.Date, Doc: "case approved"},
				{Name: "relative_filed", Kind: contract.Bool, Doc: "filed as a relative case"},
				{Name: "handled_by", Kind: contract.ID, Doc: "the handler's person_id"},
				{Name: "handler_name", Kind: contract.Text, Doc: "the handler's name in the register"},
				{Name: "handler_role", Kind: contract.Enum, Doc: "the handler's cadre role on approved_on (null when not a cadre then)"},
				{Name: "handler_role_cn", Kind: contract.Text, Doc: "the role in Chinese (经办人 when not a cadre)"},
				{Name: "relation", Kind: contract.Enum, Doc: "what the handler is to the beneficiary (self, spouse, …)"},
				{Name: "relation_cn", Kind: contract.Text, Doc: "the relation in Chinese"},
				{Name: "path", Kind: contract.Text, Doc: "how the relation was found"},
				{Name: "close", Kind: contract.Bool, Doc: "relation is self or in the close_relations setting"},
				{Name: "paid_total", Kind: contract.Money, Doc: "sum of payments to this person in this case up to as_of"},
			}},
		{Name: ViewPayments, Needs: []string{"payments", "beneficiaries", "persons"}, DateCol: "paid_on",
			Doc: "one row per payment: who holds the account credited, how they relate to the beneficiary, months after the beneficiary's death, households sharing the account that month",
			Cols: []table.Col{colVillage,
				{Name: "payment_id", Kind: contract.ID, Doc: "payment"},
				colCase, colPerson, colName, colProgram, colProgCN,
				{Name: "period", Kind: contract.Month, Doc: "month paid for"},
				{Name: "paid_on", Kind: contract.Date, Doc: "date paid"},
				{Name: "paid_month", Kind: contract.Month, Doc: "month of paid_on"},
				{Name: "amount", Kind: contract.Money, Doc: "amount paid"},
				{Name: "account_no", Kind: contract.ID, Doc: "account credited"},
				{Name: "account_holder_id", Kind: contract.ID, Doc: "holder of that account"},
				{Name: "holder_name", Kind: contract.Text, Doc: "the holder's name in the register"},
				{Name: "holder_is_self", Kind: contract.Bool, Doc: "holder is the beneficiary"},
				{Name: "holder_same_household", Kind: contract.Bool, Doc: "holder is in the beneficiary's household (register)"},
				{Name: "holder_relation", Kind: contract.Enum, Doc: "what the holder is to the beneficiary (null when unrelated)"},
				{Name: "holder_relation_cn", Kind: contract.Text, Doc: "the relation in Chinese (无亲属关系 when unrelated)"},
				{Name: "holder_cadre_role", Kind: contract.Enum, Doc: "the holder's cadre role on paid_on (cadre_scope), null when not a cadre"},
				{Name: "holder_cadre_role_cn", Kind: contract.Text, Doc: "the role in Chinese (村民 when not a cadre)"},
				{Name: "holder_is_cadre", Kind: contract.Bool, Doc: "holder was a cadre on paid_on"},
				{Name: "person_known", Kind: contract.Bool, Doc: "the beneficiary is in the register"},
				{Name: "death_date", Kind: contract.Date, Doc: "the beneficiary's death date (null while alive at as_of)"},
				{Name: "months_after_death", Kind: contract.Int, Doc: "period month minus death month (null while alive)"},
				{Name: "shared_households", Kind: contract.Int, Doc: "households whose beneficiaries were credited to this account in paid_month (a person outside the register counts as their own household)"},
			}},
		{Name: ViewEnrolments, Needs: []string{"beneficiaries"}, DateCol: "overlap_from",
			Doc: "one row per pair of cases of one person whose receiving periods [approved_on, ended_on or as_of] overlap (both ends included)",
			Cols: []table.Col{colVillage, colPerson, colName,
				{Name: "case_a", Kind: contract.ID, Doc: "the earlier case"},
				{Name: "program_a", Kind: contract.Enum, Doc: "its program"},
				{Name: "program_a_cn", Kind: contract.Text, Doc: "its program in Chinese"},
				{Name: "from_a", Kind: contract.Date, Doc: "approved_on"},
				{Name: "to_a", Kind: contract.Date, Doc: "ended_on (null while receiving)"},
				{Name: "case_b", Kind: contract.ID, Doc: "the later case"},
				{Name: "program_b", Kind: contract.Enum, Doc: "its program"},
				{Name: "program_b_cn", Kind: contract.Text, Doc: "its program in Chinese"},
				{Name: "from_b", Kind: contract.Date, Doc: "approved_on"},
				{Name: "to_b", Kind: contract.Date, Doc: "ended_on (null while receiving)"},
				{Name: "same_program", Kind: contract.Bool, Doc: "both cases of one program"},
				{Name: "overlap_from", Kind: contract.Date, Doc: "first day of both"},
				{Name: "overlap_to", Kind: contract.Date, Doc: "last day of both (as_of when both still run)"},
				{Name: "overlap_days", Kind: contract.Int, Doc: "days in both, both ends included"},
				{Name: "monthly_total", Kind: contract.Money, Doc: "the two monthly shares together"},
				{Name: "handled_by_b", Kind: contract.ID, Doc: "who handled the later case"},
			}},
		{Name: ViewIDChecks, Needs: []string{"beneficiaries", "persons"},
			Doc: "one row per distinct beneficiary or payment recipient: the GB 11643 check of the ID number and the register's birth date and gender",
			Cols: []table.Col{colVillage, colPerson, colName,
				{Name: "case_id", Kind: contract.ID, Doc: "first case (or payment's case) naming the person"},
				{Name: "source", Kind: contract.Enum, Doc: "beneficiaries or payments (the first table naming the person)"},
				{Name: "in_register", Kind: contract.Bool, Doc: "the person_id is in persons"},
				{Name: "id_format_ok", Kind: contract.Bool, Doc: "18 characters: 17 digits then a digit or X"},
				{Name: "checksum_ok", Kind: contract.Bool, Doc: "format ok and the ISO 7064 MOD 11-2 check character matches"},
				{Name: "check_expected", Kind: contract.Text, Doc: "the check character the first 17 digits give (null when malformed)"},
				{Name: "id_birth_date", Kind: contract.Date, Doc: "birth date embedded in the ID (null when not a calendar date)"},
				{Name: "birth_date", Kind: contract.Date, Doc: "birth date in the register"},
				{Name: "birth_matches", Kind: contract.Bool, Doc: "embedded and registered birth dates are equal (false when either is missing)"},
				{Name: "id_gender", Kind: contract.Text, Doc: "M/F from the 17th digit (odd = M)"},
				{Name: "gender", Kind: contract.Enum, Doc: "gender in the register"},
				{Name: "gender_matches", Kind: contract.Bool, Doc: "embedded and registered gender agree (false when either is missing)"},
				{Name: "id_problem", Kind: contract.Text, Doc: "what is wrong, in Chinese (empty when nothing)"},
			}},
	}
}

var roleCN = map[string]string{"secretary": "书记", "director": "主任", "deputy_director": "副主任", "committee_member": "委员",
	"accountant": "会计", "cashier": "出纳/报账员", "supervisor": "监委会成员", "subsidy_clerk": "民政协理员", "group_leader": "组长"}

// env holds what every view reads: the graph and the indexes.
type env struct {
	in    *engine.Input
	asOf  civil.Date
	g     *kinship.Graph
	names *array.String // persons.name
	birth *array.Date32
	gend  *array.String
	death *array.Date32
	pvill *array.String // persons.village_id

	town map[string]string // village -> town

	// cadres, CSR by graph node (cadres named nowhere else get nodes of
	// their own in cadreNode)
	cadres    *table.Table
	cadreIdx  map[string][]int32 // person_id -> cadres rows (in table order)
	cPerson   *array.String
	cVillage  *array.String
	cRole     *array.String
	cStart    *array.Date32
	cEnd      *array.Date32
	closeSets map[string]kinship.Set
	scopeTown map[string]bool

	// beneficiaries grouped by case: case_id -> case ordinal; per ordinal
	// its first and last beneficiaries row and its rows (CSR, table order).
	// Views look a payment's case up once (payCase) and then work with
	// integers.
	caseIdx   map[string]int32
	caseFirst []int32
	caseLast  []int32
	caseStart []int32
	caseRows  []int32
	bPerson   *array.String
	bigCase   map[int32]map[string]int32 // person -> first row, for cases of many rows
	payCase   []int32                    // per payments row: case ordinal, -1 when not in beneficiaries

	// payments summed per (case, person), kept at the first beneficiaries
	// row of the case naming the person (paidRow); built on first use
	paidSum []int64
	paidRow []int32

	buf []kinship.Rel
}

func (d detector) Build(ctx context.Context, in *engine.Input) (map[string]*table.Table, error) {
	e := &env{in: in, asOf: in.AsOf, closeSets: map[string]kinship.Set{}, scopeTown: map[string]bool{}}
	wanted := false
	for _, v := range d.Views() {
		wanted = wanted || in.Want[v.Name]
	}
	if !wanted { // nothing to build: skip the graph and the indexes
		return map[string]*table.Table{}, nil
	}
	persons := in.Tables["persons"]
	e.g = kinship.Build(persons, in.Tables["kinship"], nil)
	if persons != nil {
		e.names, e.birth, e.gend, e.death, e.pvill = persons.Str("name"), persons.Date("birth_date"), persons.Str("gender"), persons.Date("death_date"), persons.Str("village_id")
	}
	e.town = map[string]string{}
	if v := in.Tables["villages"]; v != nil {
		vid, tid := v.Str("village_id"), v.Str("town_id")
		for i := 0; i < v.Len(); i++ {
			e.town[vid.Value(i)] = tid.Value(i)
		}
	}
	if c := in.Tables["cadres"]; c != nil {
		e.cadres = c
		e.cPerson, e.cVillage, e.cRole, e.cStart, e.cEnd = c.Str("person_id"), c.Str("village_id"), c.Str("role"), c.Date("term_start"), c.Date("term_end")
		e.cadreIdx = make(map[string][]int32, c.Len())
		for i := 0; i < c.Len(); i++ {
			if e.cPerson.IsNull(i) {
				continue
			}
			p := e.cPerson.Value(i)
			e.cadreIdx[p] = append(e.cadreIdx[p], int32(i))
		}
	}
	e.indexCases()
	out := map[string]*table.Table{}
	var err error
	build := func(name string, fn func() (*table.Table, error)) {
		if err != nil || !in.Want[name] {
			return
		}
		if err = ctx.Err(); err != nil {
			return
		}
		var t *table.Table
		if t, err = fn(); err == nil {
			out[name] = t
		}
	}
	build(ViewLinks, e.links)
	build(ViewHandlers, e.handlers)
	build(ViewPayments, e.payments)
	build(ViewEnrolments, e.enrolments)
	build(ViewIDChecks, e.idChecks)
	if err != nil {
		for _, t := range out {
			t.Release()
		}
		return nil, err
	}
	return out, nil
}

// programCN is the program in Chinese ("" for any other value, as a map
// lookup would give).
func programCN(p string) string {
	switch p {
	case "dibao":
		return "低保"
	case "tekun":
		return "特困"
	}
	return ""
}

// indexCases groups beneficiaries rows by case_id (case ordinals in order
// of first appearance, rows in table order) and maps every payments row to
// its case ordinal: one hash lookup per payment for the whole detector.
func (e *env) indexCases() {
	bt := e.in.Tables["beneficiaries"]
	n := bt.Len()
	e.caseIdx = make(map[string]int32, n)
	var cs *array.String
	if bt != nil {
		cs = bt.Str("case_id")
		e.bPerson = bt.Str("person_id")
	}
	grp := make([]int32, n)
	for i := 0; i < n; i++ {
		c, ok := e.caseIdx[cs.Value(i)]
		if !ok {
			c = int32(len(e.caseFirst))
			e.caseIdx[cs.Value(i)] = c
			e.caseFirst = append(e.caseFirst, int32(i))
			e.caseLast = append(e.caseLast, int32(i))
		}
		e.caseLast[c] = int32(i)
		grp[i] = c
	}
	nc := len(e.caseFirst)
	e.caseStart = make([]int32, nc+1)
	for _, c := range grp {
		e.caseStart[c+1]++
	}
	for c := 0; c < nc; c++ {
		e.caseStart[c+1] += e.caseStart[c]
	}
	e.caseRows = make([]int32, n)
	fill := make([]int32, nc)
	for i, c := range grp {
		e.caseRows[e.caseStart[c]+fill[c]] = int32(i)
		fill[c]++
	}
	if pt := e.in.Tables["payments"]; pt != nil {
		pcs := pt.Str("case_id")
		e.payCase = make([]int32, pt.Len())
		prev, prevC := "", int32(-1)
		for i := range e.payCase {
			v := pcs.Value(i)
			if i == 0 || v != prev { // payments come grouped by case
				c, ok := e.caseIdx[v]
				if !ok {
					c = -1
				}
				prev, prevC = v, c
			}
			e.payCase[i] = prevC
		}
	}
}

// bigCaseRows: above this many rows a case's persons are found through a
// map instead of a scan of its rows.
const bigCaseRows = 16

// caseRowOf is the first beneficiaries row of case c naming person, -1
// when none.
func (e *env) caseRowOf(c int32, person string) int32 {
	rows := e.caseRows[e.caseStart[c]:e.caseStart[c+1]]
	if len(rows) > bigCaseRows {
		m, ok := e.bigCase[c]
		if !ok {
			m = make(map[string]int32, len(rows))
			for _, r := range rows {
				if _, dup := m[e.bPerson.Value(int(r))]; !dup {
					m[e.bPerson.Value(int(r))] = r
				}
			}
			if e.bigCase == nil {
				e.bigCase = map[int32]map[string]int32{}
			}
			e.bigCase[c] = m
		}
		if r, ok := m[person]; ok {
			return r
		}
		return -1
	}
	for _, r := range rows {
		if e.bPerson.Value(int(r)) == person {
			return r
		}
	}
	return -1
}

// paidTotal is the sum of payments to beneficiaries row i's person in its
// case (payments rows with the same case_id and person_id). The sums are
// built on first use with the case index instead of a map keyed by
// (case_id, person_id) strings.
func (e *env) paidTotal(i int) int64 {
	if e.paidRow == nil {
		n := len(e.caseRows)
		e.paidSum = make([]int64, n)
		e.paidRow = make([]int32, n)
		for c := range e.caseFirst {
			for _, r := range e.caseRows[e.caseStart[c]:e.caseStart[c+1]] {
				e.paidRow[r] = e.caseRowOf(int32(c), e.bPerson.Value(int(r)))
			}
		}
		if pt := e.in.Tables["payments"]; pt != nil {
			ps, am := pt.Str("person_id"), pt.Money("amount")
			for p, c := range e.payCase {
				if c < 0 {
					continue
				}
				if r := e.caseRowOf(c, ps.Value(p)); r >= 0 {
					e.paidSum[r] += am.Value(p)
				}
			}
		}
	}
	return e.paidSum[e.paidRow[i]]
}

// closeSet is the village's close_relations setting (cached per village).
func (e *env) closeSet(village string) (kinship.Set, error) {
	if s, ok := e.closeSets[village]; ok {
		return s, nil
	}
	s, bad := kinship.NewSet(e.in.Strings(village, "close_relations"))
	if len(bad) > 0 {
		return 0, fmt.Errorf("setting subsidy.close_relations for village %s: unknown relations %v", village, bad)
	}
	s |= 1 << kinship.Self
	e.closeSets[village] = s
	return s, nil
}

// townScope says whether the village matches cadres town-wide.
func (e *env) townScope(village string) (bool, error) {
	if t, ok := e.scopeTown[village]; ok {
		return t, nil
	}
	var t bool
	switch s := e.in.Str(village, "cadre_scope"); s {
	case "village":
	case "town":
		t = true
	default:
		return false, fmt.Errorf("setting subsidy.cadre_scope for village %s: %q is neither village nor town", village, s)
	}
	e.scopeTown[village] = t
	return t, nil
}

// inScope says whether a cadre serving cadreVillage counts for village.
func (e *env) inScope(village, cadreVillage string, town bool) bool {
	if village == cadreVillage {
		return true
	}
	if !town {
		return false
	}
	t, ok := e.town[village]
	return ok && t == e.town[cadreVillage]
}

// term is a cadre row's term, with an end after as_of read as open.
func (e *env) term(c int) (from, to civil.Date) {
	from = civil.Date(e.cStart.Value(int(c)))
	to = civil.Date(1 << 30)
	if e.cEnd.IsValid(c) && civil.Date(e.cEnd.Value(c)) <= e.asOf {
		to = civil.Date(e.cEnd.Value(c))
	}
	return from, to
}

// cadreOn finds the first cadre row of person serving in scope of village
// on day; -1 when none.
func (e *env) cadreOn(person, village string, day civil.Date, town bool) int {
	for _, c := range e.cadreIdx[person] {
		if !e.inScope(village, e.cVillage.Value(int(c)), town) {
			continue
		}
		if f, t := e.term(int(c)); f <= day && day <= t {
			return int(c)
		}
	}
	return -1
}

func (e *env) name(n int32, ok bool) (string, bool) {
	if !ok || e.names == nil {
		return "", false
	}
	r := e.g.Row(n)
	if r < 0 || e.names.IsNull(r) {
		return "", false
	}
	return e.names.Value(r), true
}

// deathOf is the death date of a register person, if on or before as_of.
func (e *env) deathOf(n int32, ok bool) (civil.Date, bool) {
	if !ok || e.death == nil {
		return 0, false
	}
	r := e.g.Row(n)
	if r < 0 || e.death.IsNull(r) {
		return 0, false
	}
	d := civil.Date(e.death.Value(r))
	return d, d <= e.asOf
}

// receivingEnd is ended_on, or open (as_of) when null or after as_of.
func (e *env) receivingEnd(a *array.Date32, i int) (civil.Date, bool) {
	if a.IsValid(i) && civil.Date(a.Value(i)) <= e.asOf {
		return civil.Date(a.Value(i)), true
	}
	return e.asOf, false
}

// putName sets a name column from the register (left null when unknown).
func (e *env) putName(b *table.Builder, col int, n int32, ok bool) {
	if s, ok := e.name(n, ok); ok {
		b.SetStr(col, s)
	}
}

func (e *env) putNameOf(b *table.Builder, col int, id string) {
	n, ok := e.g.Node(id)
	e.putName(b, col, n, ok)
}

// relatedCandidates lists the beneficiary's node itself and every known
// relative (first relation per person: register before declared).
func (e *env) candidates(n int32) []kinship.Rel {
	e.buf = append(e.buf[:0], kinship.Rel{Other: n, Rel: kinship.Self})
	e.buf = e.g.Relatives(n, e.buf)
	// drop repeated persons (a relative both in the household and declared)
	out := e.buf[:1]
outer:
	for _, r := range e.buf[1:] {
		for _, s := range out {
			if s.Other == r.Other {
				continue outer
			}
		}
		out = append(out, r)
	}
	return out
}

// links builds beneficiary_links.
func (e *env) links() (*table.Table, error) {
	bt := e.in.Tables["beneficiaries"]
	b := table.NewBuilder(e.in.Mem, ViewLinks, viewCols(ViewLinks))
	if e.cadres == nil || bt == nil {
		return b.Finish(), nil
	}
	vill, cs, prog, pid, appr, ended, amt, filed := bt.Str("village_id"), bt.Str("case_id"), bt.Str("program"), bt.Str("person_id"),
		bt.Date("approved_on"), bt.Date("ended_on"), bt.Money("monthly_amount"), bt.Bool("relative_filed")
	cV, cC, cP, cPC, cPer, cN, cA, cE, cAmt, cPaid, cF := b.Col("village_id"), b.Col("case_id"), b.Col("program"), b.Col("program_cn"), b.Col("person_id"), b.Col("person_name"),
		b.Col("approved_on"), b.Col("ended_on"), b.Col("monthly_amount"), b.Col("paid_total"), b.Col("relative_filed")
	cCad, cCadN, cRole, cRoleCN, cCadV, cTS, cTE, cRel, cRelCN, cPath, cClose := b.Col("cadre_id"), b.Col("cadre_name"), b.Col("cadre_role"), b.Col("cadre_role_cn"),
		b.Col("cadre_village_id"), b.Col("term_start"), b.Col("term_end"), b.Col("relation"), b.Col("relation_cn"), b.Col("path"), b.Col("close")
	for i := 0; i < bt.Len(); i++ {
		person, village := pid.Value(i), vill.Value(i)
		from := civil.Date(appr.Value(i))
		to, hasEnd := e.receivingEnd(ended, i)
		closeSet, err := e.closeSet(village)
		if err != nil {
			return nil, err
		}
		town, err := e.townScope(village)
		if err != nil {
			return nil, err
		}
		node, known := e.g.Node(person)
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
				c := int(c32)
				if !e.inScope(village, e.cVillage.Value(c), town) {
					continue
				}
				tf, tt := e.term(c)
				if tf > to || tt < from {
					continue
				}
				b.SetStr(cV, village)
				b.SetStr(cC, cs.Value(i))
				b.SetStr(cP, prog.Value(i))
				b.SetStr(cPC, programCN(prog.Value(i)))
				b.SetStr(cPer, person)
				e.putName(b, cN, node, known)
				b.SetDate(cA, from)
				if hasEnd {
					b.SetDate(cE, to)
				}
				b.SetInt(cAmt, amt.Value(i))
				b.SetInt(cPaid, e.paidTotal(i))
				b.SetBool(cF, filed.IsValid(i) && filed.Value(i))
				b.SetStr(cCad, other)
				e.putNameOf(b, cCadN, other)
				role := e.cRole.Value(c)
				b.SetStr(cRole, role)
				b.SetStr(cRoleCN, roleCN[role])
				b.SetStr(cCadV, e.cVillage.Value(c))
				b.SetDate(cTS, tf)
				if e.cEnd.IsValid(c) && civil.Date(e.cEnd.Value(c)) <= e.asOf {
					b.SetDate(cTE, tt)
				}
				b.SetStr(cRel, rel.Rel.String())
				b.SetStr(cRelCN, rel.Rel.CN())
				if k == -1 {
					b.SetStr(cPath, "本人")
				} else {
					b.SetStr(cPath, e.g.Path(node, rel))
				}
				b.SetBool(cClose, closeSet.Has(rel.Rel))
				b.Next()
			}
		}
	}
	return b.Finish(), nil
}

// handlers builds case_handlers.
func (e *env) handlers() (*table.Table, error) {
	bt := e.in.Tables["beneficiaries"]
	b := table.NewBuilder(e.in.Mem, ViewHandlers, viewCols(ViewHandlers))
	if bt == nil {
		return b.Finish(), nil
	}
	vill, cs, prog, pid, appr, filed, hb := bt.Str("village_id"), bt.Str("case_id"), bt.Str("program"), bt.Str("person_id"),
		bt.Date("approved_on"), bt.Bool("relative_filed"), bt.Str("handled_by")
	cV, cC, cP, cPC, cPer, cN, cA, cF := b.Col("village_id"), b.Col("case_id"), b.Col("program"), b.Col("program_cn"), b.Col("person_id"), b.Col("person_name"), b.Col("approved_on"), b.Col("relative_filed")
	cH, cHN, cHR, cHRC, cRel, cRelCN, cPath, cClose, cPaid := b.Col("handled_by"), b.Col("handler_name"), b.Col("handler_role"), b.Col("handler_role_cn"),
		b.Col("relation"), b.Col("relation_cn"), b.Col("path"), b.Col("close"), b.Col("paid_total")
	for i := 0; i < bt.Len(); i++ {
		if hb.IsNull(i) {
			continue
		}
		person, handler, village := pid.Value(i), hb.Value(i), vill.Value(i)
		node, known := e.g.Node(person)
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
		approved := civil.Date(appr.Value(i))
		b.SetStr(cV, village)
		b.SetStr(cC, cs.Value(i))
		b.SetStr(cP, prog.Value(i))
		b.SetStr(cPC, programCN(prog.Value(i)))
		b.SetStr(cPer, person)
		e.putName(b, cN, node, known)
		b.SetDate(cA, approved)
		b.SetBool(cF, filed.IsValid(i) && filed.Value(i))
		b.SetStr(cH, handler)
		e.putNameOf(b, cHN, handler)
		if c := e.cadreOn(handler, village, approved, town); c >= 0 {
			b.SetStr(cHR, e.cRole.Value(c))
			b.SetStr(cHRC, roleCN[e.cRole.Value(c)])
		} else {
			b.SetStr(cHRC, "经办人")
		}
		b.SetStr(cRel, rel.Rel.String())
		b.SetStr(cRelCN, rel.Rel.CN())
		b.SetStr(cPath, path)
		b.SetBool(cClose, closeSet.Has(rel.Rel))
		b.SetInt(cPaid, e.paidTotal(i))
		b.Next()
	}
	return b.Finish(), nil
}

// avgBytes is the mean length of a string column's values (0 when empty).
func avgBytes(a *array.String) float64 {
	if a == nil || a.Len() == 0 {
		return 0
	}
	return float64(len(a.ValueBytes())) / float64(a.Len())
}

// reserveStr allocates a string column's value buffer once for about
// bytes bytes (with a little slack), instead of letting it double its way
// up: on 1.5M payments the doubling (allocate, zero, copy) was the larger
// part of building this view.
func reserveStr(b *table.Builder, col int, bytes float64) {
	b.ReserveData(col, int(bytes*1.0625)+64)
}

// assemble makes a view from the columns a builder made (built, holding
// the view's columns minus the shared ones, in view order) and input arrays
// used as they are (shared, by column name).
func assemble(name string, cols []table.Col, built *table.Table, shared map[string]arrow.Array) *table.Table {
	arrs := make([]arrow.Array, len(cols))
	k := 0
	for i, c := range cols {
		if a, ok := shared[c.Name]; ok {
			arrs[i] = a
		} else {
			arrs[i] = built.Rec.Column(k)
			k++
		}
	}
	rec := array.NewRecordBatch(table.Schema(cols), arrs, int64(built.Len()))
	built.Release()
	return table.New(name, cols, rec)
}

// payments builds payment_checks in two passes over payments. The first
// resolves each row's graph node and counts the households per (account,
// paid month) with integer keys (account ordinal, month, household
// ordinal): no key is built from strings per row. The second writes the
// rows.
//
// The view has one row per payments row, in table order, so the columns
// that repeat a payments column (payment_id, case_id, …) are that column's
// array itself, not a copy, whenever it says the same: account_no and
// account_holder_id always (null stays null), the others when the input
// has no nulls (the view writes a null input as its zero value). That is
// most of the view's bytes not allocated, zeroed and copied.
func (e *env) payments() (*table.Table, error) {
	pt := e.in.Tables["payments"]
	cols := viewCols(ViewPayments)
	if pt == nil {
		return table.NewBuilder(e.in.Mem, ViewPayments, cols).Finish(), nil
	}
	shared := map[string]arrow.Array{}
	for _, c := range []string{"payment_id", "case_id", "person_id", "program", "period", "paid_on", "amount", "account_no", "account_holder_id"} {
		a := pt.Column(c)
		if a.NullN() == 0 || c == "account_no" || c == "account_holder_id" {
			shared[c] = a
		}
	}
	var rest []table.Col
	for _, c := range cols {
		if a, ok := shared[c.Name]; ok && !arrow.TypeEqual(a.DataType(), table.ArrowType(c.Kind)) {
			delete(shared, c.Name) // not the view's type: copy it
		}
		if _, ok := shared[c.Name]; !ok {
			rest = append(rest, c)
		}
	}
	b := table.NewBuilder(e.in.Mem, ViewPayments, rest)
	col := func(name string) int { // -1 for a shared column
		if _, ok := shared[name]; ok {
			return -1
		}
		return b.Col(name)
	}
	var bvill *array.String // the village of a case is its first beneficiaries row's
	if bt := e.in.Tables["beneficiaries"]; bt != nil {
		bvill = bt.Str("village_id")
	}
	pay, cs, pid, prog, per, paidOn, amt, acct, holder := pt.Str("payment_id"), pt.Str("case_id"), pt.Str("person_id"), pt.Str("program"), pt.Str("period"),
		pt.Date("paid_on"), pt.Money("amount"), pt.Str("account_no"), pt.Str("account_holder_id")
	n := pt.Len()

	// pass 1: nodes, and households per account and month. A person in a
	// register household counts as that household (its ordinal); anyone
	// else as a household of their own: graph nodes after the households,
	// persons outside the graph after the nodes.
	node := make([]int32, n) // the beneficiary's node, -1 when unknown
	gid := make([]int32, n)  // (account, month) group, -1 without account
	type acctMonthKey struct {
		acct  int32
		month civil.Month
	}
	type groupHH struct{ group, hh int32 }
	acctIdx := make(map[string]int32)
	groupIdx := make(map[acctMonthKey]int32)
	seen := make(map[groupHH]struct{}) // households after the first of a group
	var households, firstHH []int32    // per group
	outside := map[string]int32{}
	nhh, nnodes := int32(e.g.Households()), int32(e.g.Len())
	prevAcct, prevA := "", int32(-1)
	prevP, prevNd := "", int32(-1)
	for i := 0; i < n; i++ {
		p := pid.Value(i)
		if i == 0 || p != prevP { // a person's payments mostly come together
			nd, ok := e.g.Node(p)
			if !ok {
				nd = -1
			}
			prevP, prevNd = p, nd
		}
		nd := prevNd
		node[i], gid[i] = nd, -1
		if acct.IsNull(i) {
			continue
		}
		if a := acct.Value(i); prevA < 0 || a != prevAcct { // an account's payments mostly come together
			x, ok := acctIdx[a]
			if !ok {
				x = int32(len(acctIdx))
				acctIdx[a] = x
			}
			prevAcct, prevA = a, x
		}
		k := acctMonthKey{prevA, civil.Date(paidOn.Value(i)).Month()}
		g, ok := groupIdx[k]
		if !ok {
			g = int32(len(households))
			groupIdx[k] = g
			households = append(households, 0)
			firstHH = append(firstHH, -1)
		}
		gid[i] = g
		var hh int32
		switch {
		case nd >= 0 && e.g.Household(nd) != "":
			hh = e.g.HouseholdOrdinal(nd)
		case nd >= 0:
			hh = nhh + nd
		default:
			x, ok := outside[p]
			if !ok {
				x = nhh + nnodes + int32(len(outside))
				outside[p] = x
			}
			hh = x
		}
		// most groups hold one household: only a second one goes to the map
		switch {
		case households[g] == 0:
			households[g], firstHH[g] = 1, hh
		case hh == firstHH[g]:
		default:
			if _, ok := seen[groupHH{g, hh}]; !ok {
				seen[groupHH{g, hh}] = struct{}{}
				households[g]++
			}
		}
	}
	seen, groupIdx, acctIdx, outside = nil, nil, nil, nil

	cV, cPay, cC, cPer, cN, cP, cPC, cPer2, cPO, cPM, cAmt := b.Col("village_id"), col("payment_id"), col("case_id"), col("person_id"), b.Col("person_name"),
		col("program"), b.Col("program_cn"), col("period"), col("paid_on"), b.Col("paid_month"), col("amount")
	cAcct, cHold, cHN, cSelf, cSame, cHRel, cHRelCN, cHRole, cHRoleCN, cHCad, cKnown, cDeath, cMAD, cShared := col("account_no"), col("account_holder_id"), b.Col("holder_name"),
		b.Col("holder_is_self"), b.Col("holder_same_household"), b.Col("holder_relation"), b.Col("holder_relation_cn"), b.Col("holder_cadre_role"), b.Col("holder_cadre_role_cn"),
		b.Col("holder_is_cadre"), b.Col("person_known"), b.Col("death_date"), b.Col("months_after_death"), b.Col("shared_households")

	// buffers sized once: columns copied from payments take their bytes,
	// the others the mean length of their source times the rows (enums
	// and labels: a few bytes each)
	b.Reserve(n)
	rows := float64(n)
	vbytes := avgBytes(bvill)
	if vbytes == 0 {
		vbytes = avgBytes(e.pvill)
	}
	reserveStr(b, cV, rows*vbytes)
	for c, a := range map[int]*array.String{cPay: pay, cC: cs, cPer: pid, cP: prog, cPer2: per, cAcct: acct, cHold: holder} {
		if c >= 0 {
			reserveStr(b, c, float64(len(a.ValueBytes())))
		}
	}
	reserveStr(b, cN, rows*avgBytes(e.names))
	reserveStr(b, cHN, rows*avgBytes(e.names))
	reserveStr(b, cPC, rows*6)
	reserveStr(b, cPM, rows*7)
	reserveStr(b, cHRel, rows*6)
	reserveStr(b, cHRelCN, rows*8)
	reserveStr(b, cHRoleCN, rows*6)

	months := map[civil.Month]string{} // paid_month strings, made once per month
	lastMonth, lastMonthStr := civil.Month(0), ""
	prevH, prevHN, prevHKnown, havePrevH := "", int32(-1), false, false
	for i := 0; i < n; i++ {
		person := pid.Value(i)
		nd := node[i]
		known := nd >= 0
		var village string
		if c := e.payCase[i]; c >= 0 {
			village = bvill.Value(int(e.caseFirst[c]))
		} else if known && e.pvill != nil && e.g.Row(nd) >= 0 {
			village = e.pvill.Value(e.g.Row(nd))
		}
		town, err := e.townScope(village)
		if err != nil {
			return nil, err
		}
		paid := civil.Date(paidOn.Value(i))
		b.SetStr(cV, village)
		if cPay >= 0 {
			b.SetStr(cPay, pay.Value(i))
		}
		if cC >= 0 {
			b.SetStr(cC, cs.Value(i))
		}
		if cPer >= 0 {
			b.SetStr(cPer, person)
		}
		e.putName(b, cN, nd, known)
		if cP >= 0 {
			b.SetStr(cP, prog.Value(i))
		}
		b.SetStr(cPC, programCN(prog.Value(i)))
		if cPer2 >= 0 {
			b.SetStr(cPer2, per.Value(i))
		}
		if cPO >= 0 {
			b.SetDate(cPO, paid)
		}
		if m := paid.Month(); m != lastMonth || lastMonthStr == "" {
			pm, ok := months[m]
			if !ok {
				pm = m.String()
				months[m] = pm
			}
			lastMonth, lastMonthStr = m, pm
		}
		b.SetStr(cPM, lastMonthStr)
		if cAmt >= 0 {
			b.SetInt(cAmt, amt.Value(i))
		}
		if acct.IsValid(i) {
			if cAcct >= 0 {
				b.SetStr(cAcct, acct.Value(i))
			}
			b.SetInt(cShared, int64(households[gid[i]]))
		}
		if holder.IsValid(i) {
			h := holder.Value(i)
			if cHold >= 0 {
				b.SetStr(cHold, h)
			}
			if !havePrevH || h != prevH { // an account holder's payments mostly come together
				prevHN, prevHKnown = e.g.Node(h)
				prevH, havePrevH = h, true
			}
			hn, hknown := prevHN, prevHKnown
			e.putName(b, cHN, hn, hknown)
			b.SetBool(cSelf, h == person)
			b.SetBool(cSame, h == person || known && hknown && e.g.SameHousehold(nd, hn))
			if h == person {
				b.SetStr(cHRel, kinship.Self.String())
				b.SetStr(cHRelCN, kinship.Self.CN())
			} else if r, ok := e.findRel(nd, known, hn, hknown); ok {
				b.SetStr(cHRel, r.String())
				b.SetStr(cHRelCN, r.CN())
			} else {
				b.SetStr(cHRelCN, "无亲属关系")
			}
			if c := e.cadreOn(h, village, paid, town); c >= 0 {
				b.SetStr(cHRole, e.cRole.Value(c))
				b.SetStr(cHRoleCN, roleCN[e.cRole.Value(c)])
				b.SetBool(cHCad, true)
			} else {
				b.SetStr(cHRoleCN, "村民")
				b.SetBool(cHCad, false)
			}
		}
		b.SetBool(cKnown, known && e.g.InRegister(nd))
		if d, ok := e.deathOf(nd, known); ok {
			b.SetDate(cDeath, d)
			if m, err := civil.ParseMonth(per.Value(i)); err == nil {
				b.SetInt(cMAD, int64(m-d.Month()))
			}
		}
		b.Next()
	}
	return assemble(ViewPayments, cols, b.Finish(), shared), nil
}

func (e *env) findRel(a int32, aok bool, b int32, bok bool) (kinship.Relation, bool) {
	if !aok || !bok {
		return kinship.None, false
	}
	for _, r := range e.candidates(a)[1:] {
		if r.Other == b {
			return r.Rel, true
		}
	}
	return kinship.None, false
}

// enrolments builds enrolment_overlaps: beneficiary rows grouped by person
// (first appearance order), each group ordered by approved_on then row.
func (e *env) enrolments() (*table.Table, error) {
	bt := e.in.Tables["beneficiaries"]
	b := table.NewBuilder(e.in.Mem, ViewEnrolments, viewCols(ViewEnrolments))
	if bt == nil {
		return b.Finish(), nil
	}
	vill, cs, prog, pid, appr, ended, amt, hb := bt.Str("village_id"), bt.Str("case_id"), bt.Str("program"), bt.Str("person_id"),
		bt.Date("approved_on"), bt.Date("ended_on"), bt.Money("monthly_amount"), bt.Str("handled_by")
	n := bt.Len()
	ord := make(map[string]int32, n)
	grp := make([]int32, n)
	var ng int32
	for i := 0; i < n; i++ {
		g, ok := ord[pid.Value(i)]
		if !ok {
			g = ng
			ord[pid.Value(i)] = g
			ng++
		}
		grp[i] = g
	}
	start := make([]int32, ng+1)
	for _, g := range grp {
		start[g+1]++
	}
	for g := int32(0); g < ng; g++ {
		start[g+1] += start[g]
	}
	rows := make([]int32, n)
	fill := make([]int32, ng)
	for i, g := range grp {
		rows[start[g]+fill[g]] = int32(i)
		fill[g]++
	}
	cV, cPer, cN, cCA, cPA, cFA, cTA, cCB, cPB, cFB, cTB, cSame, cOF, cOT, cOD, cMT := b.Col("village_id"), b.Col("person_id"), b.Col("person_name"),
		b.Col("case_a"), b.Col("program_a"), b.Col("from_a"), b.Col("to_a"), b.Col("case_b"), b.Col("program_b"), b.Col("from_b"), b.Col("to_b"),
		b.Col("same_program"), b.Col("overlap_from"), b.Col("overlap_to"), b.Col("overlap_days"), b.Col("monthly_total")
	cHB, cPAC, cPBC := b.Col("handled_by_b"), b.Col("program_a_cn"), b.Col("program_b_cn")
	for g := int32(0); g < ng; g++ {
		rs := rows[start[g]:start[g+1]]
		if len(rs) < 2 {
			continue
		}
		sort.SliceStable(rs, func(x, y int) bool { return appr.Value(int(rs[x])) < appr.Value(int(rs[y])) })
		for x := 0; x < len(rs); x++ {
			i := int(rs[x])
			fa := civil.Date(appr.Value(i))
			ta, endA := e.receivingEnd(ended, i)
			for y := x + 1; y < len(rs); y++ {
				j := int(rs[y])
				if cs.Value(i) == cs.Value(j) {
					continue
				}
				fb := civil.Date(appr.Value(j))
				tb, endB := e.receivingEnd(ended, j)
				of, ot := max(fa, fb), min(ta, tb)
				if of > ot {
					continue
				}
				node, known := e.g.Node(pid.Value(i))
				b.SetStr(cV, vill.Value(j))
				b.SetStr(cPer, pid.Value(i))
				e.putName(b, cN, node, known)
				b.SetStr(cCA, cs.Value(i))
				b.SetStr(cPA, prog.Value(i))
				b.SetStr(cPAC, programCN(prog.Value(i)))
				b.SetDate(cFA, fa)
				if endA {
					b.SetDate(cTA, ta)
				}
				b.SetStr(cCB, cs.Value(j))
				b.SetStr(cPB, prog.Value(j))
				b.SetStr(cPBC, programCN(prog.Value(j)))
				b.SetDate(cFB, fb)
				if endB {
					b.SetDate(cTB, tb)
				}
				b.SetBool(cSame, prog.Value(i) == prog.Value(j))
				b.SetDate(cOF, of)
				b.SetDate(cOT, ot)
				b.SetInt(cOD, int64(ot-of)+1)
				b.SetInt(cMT, amt.Value(i)+amt.Value(j))
				if hb.IsValid(j) {
					b.SetStr(cHB, hb.Value(j))
				}
				b.Next()
			}
		}
	}
	return b.Finish(), nil
}

// idChecks builds id_checks: every distinct person named by beneficiaries
// (in row order), then those named only by payments.
func (e *env) idChecks() (*table.Table, error) {
	b := table.NewBuilder(e.in.Mem, ViewIDChecks, viewCols(ViewIDChecks))
	cV, cPer, cN, cC, cSrc, cReg, cFmt, cSum, cExp, cIDB, cB, cBM, cIDG, cG, cGM, cProb := b.Col("village_id"), b.Col("person_id"), b.Col("person_name"),
		b.Col("case_id"), b.Col("source"), b.Col("in_register"), b.Col("id_format_ok"), b.Col("checksum_ok"), b.Col("check_expected"),
		b.Col("id_birth_date"), b.Col("birth_date"), b.Col("birth_matches"), b.Col("id_gender"), b.Col("gender"), b.Col("gender_matches"), b.Col("id_problem")
	// persons already listed: graph nodes in a bitmap, others (not in the
	// graph, rare) in a map
	doneNode := make([]bool, e.g.Len())
	doneOther := map[string]struct{}{}
	first := func(person string, node int32, known bool) bool {
		if known {
			if doneNode[node] {
				return false
			}
			doneNode[node] = true
			return true
		}
		if _, ok := doneOther[person]; ok {
			return false
		}
		doneOther[person] = struct{}{}
		return true
	}
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
	emit := func(person string, node int32, known bool, village, caseID, source string) {
		row := -1
		if known {
			row = e.g.Row(node)
		}
		asWritten, old := written15[[2]string{source, person}]
		if !old {
			asWritten = person
		}
		b.SetStr(cV, village)
		b.SetStr(cPer, person)
		b.SetStr(cC, caseID)
		b.SetStr(cSrc, source)
		b.SetBool(cReg, row >= 0)
		r := CheckID(asWritten)
		b.SetBool(cFmt, r.FormatOK)
		b.SetBool(cSum, r.ChecksumOK)
		if r.FormatOK {
			b.SetStr(cExp, string(r.Expected))
			b.SetStr(cIDG, r.Gender)
		}
		if r.BirthOK {
			b.SetDate(cIDB, r.Birth)
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
			b.SetStr(cN, e.names.Value(row))
			if e.birth.IsValid(row) {
				bd := civil.Date(e.birth.Value(row))
				b.SetDate(cB, bd)
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
				b.SetStr(cG, e.gend.Value(row))
				genderMatch = r.FormatOK && e.gend.Value(row) == r.Gender
			}
		} else {
			if len(problem) > 0 {
				problem = append(problem, "；"...)
			}
			problem = append(problem, "户籍中无此人"...)
		}
		b.SetBool(cBM, birthMatch)
		b.SetBool(cGM, genderMatch)
		if len(problem) == 0 {
			b.SetStr(cProb, "")
		} else {
			b.SetStr(cProb, string(problem)) // rare: only a person with a problem
		}
		b.Next()
	}
	if bt := e.in.Tables["beneficiaries"]; bt != nil {
		pid, vill, cs := bt.Str("person_id"), bt.Str("village_id"), bt.Str("case_id")
		for i := 0; i < bt.Len(); i++ {
			node, known := e.g.Node(pid.Value(i))
			if first(pid.Value(i), node, known) {
				emit(pid.Value(i), node, known, vill.Value(i), cs.Value(i), "beneficiaries")
			}
		}
	}
	if pt := e.in.Tables["payments"]; pt != nil {
		var bvill *array.String // a payment's village: its case's last beneficiaries row's
		if bt := e.in.Tables["beneficiaries"]; bt != nil {
			bvill = bt.Str("village_id")
		}
		pid, cs := pt.Str("person_id"), pt.Str("case_id")
		prev, prevNode, prevKnown := "", int32(0), false
		for i := 0; i < pt.Len(); i++ {
			p := pid.Value(i)
			if i == 0 || p != prev { // a person's payments mostly come together
				prevNode, prevKnown = e.g.Node(p)
				prev = p
			}
			if !first(p, prevNode, prevKnown) {
				continue
			}
			var v string
			if c := e.payCase[i]; c >= 0 {
				v = bvill.Value(int(e.caseLast[c]))
			}
			if v == "" {
				if prevKnown && e.g.Row(prevNode) >= 0 {
					v = e.pvill.Value(e.g.Row(prevNode))
				}
			}
			emit(p, prevNode, prevKnown, v, cs.Value(i), "payments")
		}
	}
	return b.Finish(), nil
}

func viewCols(name string) []table.Col {
	for _, v := range (detector{}).Views() {
		if v.Name == name {
			return v.Cols
		}
	}
	panic("no view " + name)
}
