package subsidy

import (
	"runtime"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/neijiang/xiaowei/detectors/kinship"
	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/table"
)

// paymentsIn holds the payments columns the view reads, resolved once.
type paymentsIn struct {
	paymentID, caseID, person, program, period *array.String
	paidOn                                     *array.Date32
	amount                                     *array.Int64
	account, holder                            *array.String
}

func paymentsInOf(pt *table.Table) paymentsIn {
	return paymentsIn{paymentID: pt.Str("payment_id"), caseID: pt.Str("case_id"), person: pt.Str("person_id"), program: pt.Str("program"),
		period: pt.Str("period"), paidOn: pt.Date("paid_on"), amount: pt.Money("amount"), account: pt.Str("account_no"), holder: pt.Str("account_holder_id")}
}

// paymentCols are the positions of payment_checks' columns in its builder,
// resolved once (-1 for a column taken over from payments as it is).
type paymentCols struct {
	village, paymentID, caseID, person, personName, program, programCN, period, paidOn, paidMonth, amount      int
	account, holder, holderName, holderIsSelf, sameHousehold, holderRel, holderRelCN, holderRole, holderRoleCN int
	holderIsCadre, personKnown, deathDate, monthsAfterDeath, sharedHouseholds                                  int
}

func newPaymentCols(col func(string) int) paymentCols {
	return paymentCols{village: col("village_id"), paymentID: col("payment_id"), caseID: col("case_id"), person: col("person_id"),
		personName: col("person_name"), program: col("program"), programCN: col("program_cn"), period: col("period"), paidOn: col("paid_on"),
		paidMonth: col("paid_month"), amount: col("amount"), account: col("account_no"), holder: col("account_holder_id"),
		holderName: col("holder_name"), holderIsSelf: col("holder_is_self"), sameHousehold: col("holder_same_household"),
		holderRel: col("holder_relation"), holderRelCN: col("holder_relation_cn"), holderRole: col("holder_cadre_role"),
		holderRoleCN: col("holder_cadre_role_cn"), holderIsCadre: col("holder_is_cadre"), personKnown: col("person_known"),
		deathDate: col("death_date"), monthsAfterDeath: col("months_after_death"), sharedHouseholds: col("shared_households")}
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

// payments builds payment_checks: one view row per payments row, in
// table order.
//
// The columns that repeat a payments column (payment_id, case_id, …) are
// that column's array itself, not a copy, whenever it says the same:
// account_no and account_holder_id always (null stays null), the others
// when the input has no nulls (the view writes a null input as its zero
// value). That is most of the view's bytes not allocated, zeroed and
// copied.
//
// The rest is built on every core: the rows are cut into chunks (see
// paymentChunks), each chunk's nodes are looked up and its rows written
// by a goroutine of its own into a builder of its own, and the chunks'
// columns are concatenated in row order; meanwhile another goroutine
// counts the households per account and month (shared_households), the
// one part that needs every row before any row's answer.
func (e *worker) payments() (*table.Table, error) {
	pt := e.in.Tables["payments"]
	cols := viewCols(ViewPayments)
	if pt == nil {
		return table.NewBuilder(e.in.Mem, ViewPayments, cols).Finish(), nil
	}
	n := pt.Len()
	shared, rest := sharedPaymentCols(pt, cols)
	rest = withoutCol(rest, colSharedHouseholds)
	in := paymentsInOf(pt)
	var bvill *array.String // the village of a case is its first beneficiaries row's
	if bt := e.in.Tables["beneficiaries"]; bt != nil {
		bvill = bt.Str("village_id")
	}
	bounds := paymentChunks(n, runtime.GOMAXPROCS(0))
	node := make([]int32, n)
	var wg sync.WaitGroup
	for k := range len(bounds) - 1 {
		wg.Go(func() { e.paymentNodes(in, node, bounds[k], bounds[k+1]) })
	}
	wg.Wait()
	var ph paymentGroups
	wg.Go(func() { ph = e.paymentHouseholds(in, node) })
	parts := make([]*table.Table, len(bounds)-1)
	errs := make([]error, len(parts))
	for k := range parts {
		wg.Go(func() {
			parts[k], errs[k] = e.env.worker().writePayments(rest, in, bvill, node, bounds[k], bounds[k+1])
		})
	}
	wg.Wait()
	built, err := concatParts(e.in.Mem, ViewPayments, rest, parts, errs)
	if err != nil {
		return nil, err
	}
	households := sharedHouseholds(e.in.Mem, in.account, ph)
	defer households.Release()
	shared[colSharedHouseholds] = households
	return assemble(ViewPayments, cols, built, shared), nil
}

// sharedPaymentCols picks the payments columns the view takes over as they
// are (by name) and returns the view's other columns, the ones it builds.
func sharedPaymentCols(pt *table.Table, cols []table.Col) (map[string]arrow.Array, []table.Col) {
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
	return shared, rest
}

// reservePayments sizes the builder's buffers once for payments rows
// lo..hi-1: columns copied from payments take their bytes, the others the
// mean length of their source times the rows (enums and labels: a few
// bytes each).
func (e *worker) reservePayments(b *table.Builder, c paymentCols, in paymentsIn, bvill *array.String, lo, hi int) {
	b.Reserve(hi - lo)
	rows := float64(hi - lo)
	vbytes := avgBytes(bvill)
	if vbytes == 0 {
		vbytes = avgBytes(e.pvill)
	}
	reserveStr(b, c.village, rows*vbytes)
	for k, a := range map[int]*array.String{c.paymentID: in.paymentID, c.caseID: in.caseID, c.person: in.person, c.program: in.program, c.period: in.period, c.account: in.account, c.holder: in.holder} {
		if k >= 0 {
			offs := a.ValueOffsets()
			reserveStr(b, k, float64(offs[hi]-offs[lo]))
		}
	}
	reserveStr(b, c.personName, rows*avgBytes(e.names))
	reserveStr(b, c.holderName, rows*avgBytes(e.names))
	reserveStr(b, c.programCN, rows*6)
	reserveStr(b, c.paidMonth, rows*7)
	reserveStr(b, c.holderRel, rows*6)
	reserveStr(b, c.holderRelCN, rows*8)
	reserveStr(b, c.holderRoleCN, rows*6)
}

// writePayments writes the view's rows of payments rows lo..hi-1 into a
// table of the built columns (cols), node holding each row's beneficiary
// node.
//
// Long because it is the view's one hot loop over up to 1.5M payments: each
// row writes every built column from the same looked-up person, holder and
// village, and the caches of the previous row's village, program, month
// and holder live across iterations; cutting it per column would look each
// of those up again per column.
func (e *worker) writePayments(cols []table.Col, in paymentsIn, bvill *array.String, node []int32, lo, hi int) (*table.Table, error) {
	b := table.NewBuilder(e.in.Mem, ViewPayments, cols)
	built := map[string]int{}
	for k, col := range cols {
		built[col.Name] = k
	}
	c := newPaymentCols(func(name string) int { // -1 for a column not built here
		if k, ok := built[name]; ok {
			return k
		}
		return -1
	})
	e.reservePayments(b, c, in, bvill, lo, hi)
	months := map[civil.Month]string{} // paid_month strings, made once per month
	lastMonth, lastMonthStr := civil.Month(0), ""
	prevH, prevHN, prevHKnown, havePrevH := "", int32(-1), false, false
	prevVillage, prevTown, havePrevVillage := "", false, false // a case's payments come together
	prevProgram, prevProgramCN := "", ""
	for i := lo; i < hi; i++ {
		person := in.person.Value(i)
		nd := node[i]
		known := nd >= 0
		var village string
		if k := e.payCase[i]; k >= 0 {
			village = bvill.Value(int(e.caseFirst[k]))
		} else if known && e.pvill != nil && e.g.Row(nd) >= 0 {
			village = e.pvill.Value(e.g.Row(nd))
		}
		if !havePrevVillage || village != prevVillage {
			town, err := e.townScope(village)
			if err != nil {
				b.Finish().Release()
				return nil, err
			}
			prevVillage, prevTown, havePrevVillage = village, town, true
		}
		town := prevTown
		paid := civil.Date(in.paidOn.Value(i))
		b.SetStr(c.village, village)
		if c.paymentID >= 0 {
			b.SetStr(c.paymentID, in.paymentID.Value(i))
		}
		if c.caseID >= 0 {
			b.SetStr(c.caseID, in.caseID.Value(i))
		}
		if c.person >= 0 {
			b.SetStr(c.person, person)
		}
		e.putName(b, c.personName, nd, known)
		program := in.program.Value(i)
		if c.program >= 0 {
			b.SetStr(c.program, program)
		}
		if program != prevProgram || i == lo {
			prevProgram, prevProgramCN = program, contract.ProgramLabels[program]
		}
		b.SetStr(c.programCN, prevProgramCN)
		if c.period >= 0 {
			b.SetStr(c.period, in.period.Value(i))
		}
		if c.paidOn >= 0 {
			b.SetDate(c.paidOn, paid)
		}
		if m := paid.Month(); m != lastMonth || lastMonthStr == "" {
			pm, ok := months[m]
			if !ok {
				pm = m.String()
				months[m] = pm
			}
			lastMonth, lastMonthStr = m, pm
		}
		b.SetStr(c.paidMonth, lastMonthStr)
		if c.amount >= 0 {
			b.SetInt(c.amount, in.amount.Value(i))
		}
		if in.account.IsValid(i) && c.account >= 0 {
			b.SetStr(c.account, in.account.Value(i))
		}
		if in.holder.IsValid(i) {
			h := in.holder.Value(i)
			if c.holder >= 0 {
				b.SetStr(c.holder, h)
			}
			if !havePrevH || h != prevH { // an account holder's payments mostly come together
				prevHN, prevHKnown = e.g.Node(h)
				prevH, havePrevH = h, true
			}
			hn, hknown := prevHN, prevHKnown
			e.putName(b, c.holderName, hn, hknown)
			b.SetBool(c.holderIsSelf, h == person)
			b.SetBool(c.sameHousehold, h == person || known && hknown && e.g.SameHousehold(nd, hn))
			if h == person {
				b.SetStr(c.holderRel, kinship.Self.String())
				b.SetStr(c.holderRelCN, kinship.Self.CN())
			} else if r, ok := e.findRel(nd, known, hn, hknown); ok {
				b.SetStr(c.holderRel, r.String())
				b.SetStr(c.holderRelCN, r.CN())
			} else {
				b.SetStr(c.holderRelCN, "无亲属关系")
			}
			if r := e.cadreOn(h, village, paid, town); r >= 0 {
				b.SetStr(c.holderRole, e.cRole.Value(r))
				b.SetStr(c.holderRoleCN, contract.RoleLabels[e.cRole.Value(r)])
				b.SetBool(c.holderIsCadre, true)
			} else {
				b.SetStr(c.holderRoleCN, "村民")
				b.SetBool(c.holderIsCadre, false)
			}
		}
		b.SetBool(c.personKnown, known && e.g.InRegister(nd))
		if d, ok := e.deathOf(nd, known); ok {
			b.SetDate(c.deathDate, d)
			if m, err := civil.ParseMonth(in.period.Value(i)); err == nil {
				b.SetInt(c.monthsAfterDeath, int64(m-d.Month()))
			}
		}
		b.Next()
	}
	return b.Finish(), nil
}

func (e *worker) findRel(a int32, aok bool, b int32, bok bool) (kinship.Relation, bool) {
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
