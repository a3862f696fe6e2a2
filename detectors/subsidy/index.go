package subsidy

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/neijiang/xiaowei/detectors/kinship"
	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/table"
)

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
	cadres   *table.Table
	cadreIdx map[string][]int32 // person_id -> cadres rows (in table order)
	cPerson  *array.String
	cVillage *array.String
	cRole    *array.String
	cStart   *array.Date32
	cEnd     *array.Date32

	ben benIn // beneficiaries columns (zero when the table is absent)

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

	// per beneficiaries and payments row: the person's graph node, -1 when
	// not in the graph; looked up once for all views (nil when no wanted
	// view reads them)
	benNode, payNode []int32

	// payments summed per (case, person), kept at the first beneficiaries
	// row of the case naming the person (paidRow); see sumPaid
	paidSum []int64
	paidRow []int32
}

// benIn holds the beneficiaries columns the views read, resolved once.
type benIn struct {
	village, caseID, program, person, handledBy *array.String
	approved, ended                             *array.Date32
	monthly                                     *array.Int64
	filed                                       *array.Boolean
}

func benInOf(bt *table.Table) benIn {
	if bt == nil {
		return benIn{}
	}
	return benIn{village: bt.Str("village_id"), caseID: bt.Str("case_id"), program: bt.Str("program"), person: bt.Str("person_id"),
		handledBy: bt.Str("handled_by"), approved: bt.Date("approved_on"), ended: bt.Date("ended_on"), monthly: bt.Money("monthly_amount"),
		filed: bt.Bool("relative_filed")}
}

// worker is one goroutine's view of env: env is read-only once built, and
// what a view writes as it goes (the relative buffer, the per-village
// setting caches) is the worker's own.
type worker struct {
	*env
	buf       []kinship.Rel
	closeSets map[string]kinship.Set
	scopeTown map[string]bool
}

func (e *env) worker() *worker {
	return &worker{env: e, closeSets: map[string]kinship.Set{}, scopeTown: map[string]bool{}}
}

// newEnv builds the graph and the indexes. The kinship graph (the largest
// part: every person of the register) is built on one core while the
// cadre, village and case indexes are built on the other.
func newEnv(in *engine.Input, want envNeeds) *env {
	e := &env{in: in, asOf: in.AsOf, ben: benInOf(in.Tables["beneficiaries"])}
	persons := in.Tables["persons"]
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.g = kinship.Build(persons, in.Tables["kinship"], nil)
	}()
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
	if want.paid {
		e.sumPaid()
	}
	<-done
	if want.benNodes {
		e.benNode = e.nodesOf(e.in.Tables["beneficiaries"], "person_id")
	}
	if want.payNodes {
		e.payNode = e.nodesOf(e.in.Tables["payments"], "person_id")
	}
	return e
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

// sumPaid sums payments per (case, person) at the first beneficiaries row
// of the case naming the person: with the case index instead of a map
// keyed by (case_id, person_id) strings. Built before the views run (they
// run concurrently and only read it).
func (e *env) sumPaid() {
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

// paidTotal is the sum of payments to beneficiaries row i's person in its
// case (payments rows with the same case_id and person_id).
func (e *env) paidTotal(i int) int64 { return e.paidSum[e.paidRow[i]] }

// closeSet is the village's close_relations setting (cached per village).
func (e *worker) closeSet(village string) (kinship.Set, error) {
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
func (e *worker) townScope(village string) (bool, error) {
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
	return e.cadreIn(e.cadreIdx[person], village, day, town)
}

// cadreIn is cadreOn for a person's cadres rows.
func (e *env) cadreIn(rows []int32, village string, day civil.Date, town bool) int {
	for _, c := range rows {
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
func (e *worker) candidates(n int32) []kinship.Rel {
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
