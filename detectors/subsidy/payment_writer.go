package subsidy

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/neijiang/xiaowei/detectors/kinship"
	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/table"
)

// paymentWriter holds the payment_checks columns one chunk of rows writes.
// The copies of payments columns are nil when the view takes the payments
// column over as it is (see sharedPaymentCols).
type paymentWriter struct {
	village, personName, programCN, paidMonth, holderName       *strCol
	holderRel, holderRelCN, holderRole, holderRoleCN            *strCol
	holderIsSelf, sameHousehold, holderIsCadre, personKnown     *boolCol
	deathDate                                                   *fixedCol[arrow.Date32]
	monthsAfterDeath                                            *fixedCol[int64]
	paymentID, caseID, person, program, period, account, holder *strCol // copies
	paidOn                                                      *fixedCol[arrow.Date32]
	amount                                                      *fixedCol[int64]
	byName                                                      map[string]column
}

// newPaymentColumns makes the built columns (cols) for n rows.
func newPaymentColumns(cols []table.Col, n int) map[string]column {
	m := make(map[string]column, len(cols))
	for _, c := range cols {
		m[c.Name] = newColumn(c.Kind, n)
	}
	return m
}

// newPaymentWriter is the writer of payments rows lo..hi-1 into columns.
// Copies of payments columns reserve their bytes, the others the mean
// length of their source times the rows (labels: a few bytes); the first
// chunk reserves for every row, as the chunks' bytes are joined onto its
// own (strCol.join).
func (e *worker) newPaymentWriter(columns map[string]column, in paymentsIn, bvill *array.String, lo, hi int) *paymentWriter {
	end := hi // of the rows whose bytes the writer reserves
	if lo == 0 {
		end = in.person.Len()
	}
	rows := end - lo
	avg := func(a *array.String, dflt float64) int {
		if a == nil || a.Len() == 0 {
			return int(dflt * float64(rows))
		}
		return int(float64(len(a.ValueBytes())) / float64(a.Len()) * float64(rows) * 1.0625)
	}
	vill := bvill
	if vill == nil || vill.Len() == 0 {
		vill = e.pvill
	}
	w := &paymentWriter{byName: map[string]column{}}
	at := func(name string, bytes int) column {
		c, ok := columns[name]
		if !ok {
			return nil
		}
		w.byName[name] = c.chunkAt(lo, bytes)
		return w.byName[name]
	}
	str := func(name string, bytes int) *strCol { c, _ := at(name, bytes).(*strCol); return c }
	copied := func(name string, a *array.String) *strCol {
		if _, ok := columns[name]; !ok {
			return nil
		}
		offs := a.ValueOffsets()
		return str(name, int(offs[end]-offs[lo]))
	}
	boolean := func(name string) *boolCol { c, _ := at(name, 0).(*boolCol); return c }
	date := func(name string) *fixedCol[arrow.Date32] { c, _ := at(name, 0).(*fixedCol[arrow.Date32]); return c }
	integer := func(name string) *fixedCol[int64] { c, _ := at(name, 0).(*fixedCol[int64]); return c }
	w.village, w.personName, w.holderName = str("village_id", avg(vill, 12)), str("person_name", avg(e.names, 9)), str("holder_name", avg(e.names, 9))
	w.programCN, w.paidMonth = str("program_cn", 6*rows), str("paid_month", 7*rows)
	w.holderRel, w.holderRelCN = str("holder_relation", 6*rows), str("holder_relation_cn", 8*rows)
	w.holderRole, w.holderRoleCN = str("holder_cadre_role", 0), str("holder_cadre_role_cn", 6*rows)
	w.holderIsSelf, w.sameHousehold = boolean("holder_is_self"), boolean("holder_same_household")
	w.holderIsCadre, w.personKnown = boolean("holder_is_cadre"), boolean("person_known")
	w.deathDate, w.monthsAfterDeath = date("death_date"), integer("months_after_death")
	w.paymentID, w.caseID, w.person = copied("payment_id", in.paymentID), copied("case_id", in.caseID), copied("person_id", in.person)
	w.program, w.period = copied("program", in.program), copied("period", in.period)
	w.account, w.holder = copied("account_no", in.account), copied("account_holder_id", in.holder)
	w.paidOn, w.amount = date("paid_on"), integer("amount")
	return w
}

// joinPayments is the columns' arrays, in the order of cols, once the
// chunks' writers (in row order) have written every row.
func joinPayments(cols []table.Col, columns map[string]column, writers []*paymentWriter) []arrow.Array {
	out := make([]arrow.Array, len(cols))
	chunks := make([]column, len(writers))
	for k, c := range cols {
		for w, pw := range writers {
			chunks[w] = pw.byName[c.Name]
		}
		out[k] = columns[c.Name].join(chunks)
	}
	return out
}

// copyStr writes a payments value into its copy, if the view copies it.
func copyStr(c *strCol, s string) {
	if c != nil {
		c.add(s)
	}
}

// writePayments writes the view's rows of payments rows lo..hi-1 with w,
// node holding each row's beneficiary node.
//
// Long because it is the view's one hot loop over up to 1.6M payments:
// each row writes every built column from the same looked-up person,
// holder and village, and the caches of the previous row's village,
// program, month, person and holder live across iterations; cutting it
// per column would look each of those up again per column.
func (e *worker) writePayments(w *paymentWriter, in paymentsIn, bvill *array.String, node []int32, lo, hi int) error {
	var months monthNames
	var village, program, programCN string
	var town bool
	prevNd, name, hasName, death, dead := int32(-2), "", false, civil.Date(0), false
	var h holderRun
	for i := lo; i < hi; i++ {
		person := in.person.Value(i)
		nd := node[i]
		known := nd >= 0
		if nd != prevNd || i == lo { // a person's payments mostly come together
			name, hasName = e.name(nd, known)
			death, dead = e.deathOf(nd, known)
			prevNd = nd
		}
		v := ""
		if k := e.payCase[i]; k >= 0 {
			v = bvill.Value(int(e.caseFirst[k]))
		} else if known && e.pvill != nil && e.g.Row(nd) >= 0 {
			v = e.pvill.Value(e.g.Row(nd))
		}
		if v != village || i == lo {
			t, err := e.townScope(v)
			if err != nil {
				return err
			}
			village, town = v, t
		}
		paid := civil.Date(in.paidOn.Value(i))
		w.village.add(village)
		copyStr(w.paymentID, in.paymentID.Value(i))
		copyStr(w.caseID, in.caseID.Value(i))
		copyStr(w.person, person)
		w.personName.addOrNull(name, hasName)
		if p := in.program.Value(i); p != program || i == lo {
			program, programCN = p, contract.ProgramLabels[p]
		}
		copyStr(w.program, program)
		w.programCN.add(programCN)
		copyStr(w.period, in.period.Value(i))
		if w.paidOn != nil {
			w.paidOn.add(arrow.Date32(paid))
		}
		w.paidMonth.add(months.of(paid.Month()))
		if w.amount != nil {
			w.amount.add(in.amount.Value(i))
		}
		if w.account != nil {
			w.account.addOrNull(in.account.Value(i), in.account.IsValid(i))
		}
		if in.holder.IsValid(i) {
			e.writeHolder(w, &h, in.holder.Value(i), person, nd, village, paid, town)
		} else {
			w.holderNull()
		}
		w.personKnown.add(known && e.g.InRegister(nd))
		if dead {
			w.deathDate.add(arrow.Date32(death))
			if m, err := civil.ParseMonth(in.period.Value(i)); err == nil {
				w.monthsAfterDeath.add(int64(m - death.Month()))
			} else {
				w.monthsAfterDeath.null()
			}
		} else {
			w.deathDate.null()
			w.monthsAfterDeath.null()
		}
	}
	return nil
}

// holderRun caches what writeHolder looked up for the previous row's
// account holder: an account holder's payments mostly come together.
type holderRun struct {
	id      string
	started bool
	node    int32
	known   bool
	name    string
	hasName bool
	cadres  []int32 // the holder's cadres rows
	// the relation found for beneficiary relNode (valid when relDone)
	relNode int32
	relDone bool
	rel     kinship.Relation
	related bool
}

// writeHolder writes the holder columns of a row whose account holder is
// holder and beneficiary person (node nd).
func (e *worker) writeHolder(w *paymentWriter, h *holderRun, holder, person string, nd int32, village string, paid civil.Date, town bool) {
	if !h.started || holder != h.id {
		*h = holderRun{id: holder, started: true}
		if holder == person { // most accounts are the beneficiary's own
			h.node, h.known = nd, nd >= 0
		} else {
			h.node, h.known = e.g.Node(holder)
		}
		h.name, h.hasName = e.name(h.node, h.known)
		h.cadres = e.cadreIdx[holder]
	}
	copyStr(w.holder, holder)
	w.holderName.addOrNull(h.name, h.hasName)
	self := holder == person
	known := nd >= 0
	w.holderIsSelf.add(self)
	w.sameHousehold.add(self || known && h.known && e.g.SameHousehold(nd, h.node))
	switch {
	case self:
		w.holderRel.add(kinship.Self.String())
		w.holderRelCN.add(kinship.Self.CN())
	default:
		if !h.relDone || h.relNode != nd {
			h.rel, h.related = e.findRel(nd, known, h.node, h.known)
			h.relNode, h.relDone = nd, true
		}
		if h.related {
			w.holderRel.add(h.rel.String())
			w.holderRelCN.add(h.rel.CN())
		} else {
			w.holderRel.null()
			w.holderRelCN.add("无亲属关系")
		}
	}
	if r := e.cadreIn(h.cadres, village, paid, town); r >= 0 {
		role := e.cRole.Value(r)
		w.holderRole.add(role)
		w.holderRoleCN.add(contract.RoleLabels[role])
		w.holderIsCadre.add(true)
	} else {
		w.holderRole.null()
		w.holderRoleCN.add("村民")
		w.holderIsCadre.add(false)
	}
}

// holderNull writes the holder columns of a row without account holder.
func (w *paymentWriter) holderNull() {
	if w.holder != nil {
		w.holder.null()
	}
	w.holderName.null()
	w.holderIsSelf.null()
	w.sameHousehold.null()
	w.holderRel.null()
	w.holderRelCN.null()
	w.holderRole.null()
	w.holderRoleCN.null()
	w.holderIsCadre.null()
}

// monthNames makes each month's "2006-01" string once: payments rows
// come by case, so the month changes from one row to the next, and a
// slice by month keeps that from costing a map lookup per row.
type monthNames struct {
	first civil.Month // month of names[0]
	names []string
}

func (x *monthNames) of(m civil.Month) string {
	if len(x.names) == 0 {
		x.first = m
	}
	if m < x.first { // shift the slice to start at m
		x.names = append(make([]string, x.first-m), x.names...)
		x.first = m
	}
	k := int(m - x.first)
	if k >= len(x.names) {
		x.names = append(x.names, make([]string, k+1-len(x.names))...)
	}
	if x.names[k] == "" {
		x.names[k] = m.String()
	}
	return x.names[k]
}
