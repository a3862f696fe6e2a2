package subsidy

import (
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

// payments builds payment_checks in two passes over payments. The first
// (paymentHouseholds) resolves each row's graph node and counts the
// households per (account, paid month) with integer keys; the second
// (writePayments) writes the rows.
//
// The view has one row per payments row, in table order, so the columns
// that repeat a payments column (payment_id, case_id, …) are that column's
// array itself, not a copy, whenever it says the same: account_no and
// account_holder_id always (null stays null), the others when the input
// has no nulls (the view writes a null input as its zero value). That is
// most of the view's bytes not allocated, zeroed and copied.
func (e *worker) payments() (*table.Table, error) {
	pt := e.in.Tables["payments"]
	cols := viewCols(ViewPayments)
	if pt == nil {
		return table.NewBuilder(e.in.Mem, ViewPayments, cols).Finish(), nil
	}
	shared, rest := sharedPaymentCols(pt, cols)
	b := table.NewBuilder(e.in.Mem, ViewPayments, rest)
	col := func(name string) int { // -1 for a shared column
		if _, ok := shared[name]; ok {
			return -1
		}
		return b.Col(name)
	}
	in := paymentsInOf(pt)
	var bvill *array.String // the village of a case is its first beneficiaries row's
	if bt := e.in.Tables["beneficiaries"]; bt != nil {
		bvill = bt.Str("village_id")
	}
	ph := e.paymentHouseholds(in, pt.Len())
	c := newPaymentCols(col)
	e.reservePayments(b, c, in, bvill, pt.Len())
	if err := e.writePayments(b, c, in, bvill, ph); err != nil {
		return nil, err
	}
	return assemble(ViewPayments, cols, b.Finish(), shared), nil
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

// paymentGroups is what the first pass over payments found, per row.
type paymentGroups struct {
	node       []int32 // the beneficiary's node, -1 when unknown
	gid        []int32 // (account, month) group, -1 without account
	households []int32 // per group: the households paid into that account that month
}

// paymentHouseholds is the first pass: nodes, and households per account
// and month, with integer keys (account ordinal, month, household ordinal):
// no key is built from strings per row. A person in a register household
// counts as that household (its ordinal); anyone else as a household of
// their own: graph nodes after the households, persons outside the graph
// after the nodes.
func (e *worker) paymentHouseholds(in paymentsIn, n int) paymentGroups {
	node := make([]int32, n)
	gid := make([]int32, n)
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
		p := in.person.Value(i)
		if i == 0 || p != prevP { // a person's payments mostly come together
			nd, ok := e.g.Node(p)
			if !ok {
				nd = -1
			}
			prevP, prevNd = p, nd
		}
		nd := prevNd
		node[i], gid[i] = nd, -1
		if in.account.IsNull(i) {
			continue
		}
		if a := in.account.Value(i); prevA < 0 || a != prevAcct { // an account's payments mostly come together
			x, ok := acctIdx[a]
			if !ok {
				x = int32(len(acctIdx))
				acctIdx[a] = x
			}
			prevAcct, prevA = a, x
		}
		k := acctMonthKey{prevA, civil.Date(in.paidOn.Value(i)).Month()}
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
	return paymentGroups{node: node, gid: gid, households: households}
}

// reservePayments sizes the builder's buffers once: columns copied from
// payments take their bytes, the others the mean length of their source
// times the rows (enums and labels: a few bytes each).
func (e *worker) reservePayments(b *table.Builder, c paymentCols, in paymentsIn, bvill *array.String, n int) {
	b.Reserve(n)
	rows := float64(n)
	vbytes := avgBytes(bvill)
	if vbytes == 0 {
		vbytes = avgBytes(e.pvill)
	}
	reserveStr(b, c.village, rows*vbytes)
	for k, a := range map[int]*array.String{c.paymentID: in.paymentID, c.caseID: in.caseID, c.person: in.person, c.program: in.program, c.period: in.period, c.account: in.account, c.holder: in.holder} {
		if k >= 0 {
			reserveStr(b, k, float64(len(a.ValueBytes())))
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

// writePayments is the second pass: one view row per payments row.
//
// Long because it is the view's one hot loop over up to 1.5M payments: each
// row writes every built column from the same looked-up person, holder and
// village, and the caches of the previous row's month and holder live
// across iterations; cutting it per column would look each of those up
// again per column.
func (e *worker) writePayments(b *table.Builder, c paymentCols, in paymentsIn, bvill *array.String, ph paymentGroups) error {
	node, gid, households := ph.node, ph.gid, ph.households
	n := len(node)
	months := map[civil.Month]string{} // paid_month strings, made once per month
	lastMonth, lastMonthStr := civil.Month(0), ""
	prevH, prevHN, prevHKnown, havePrevH := "", int32(-1), false, false
	for i := 0; i < n; i++ {
		person := in.person.Value(i)
		nd := node[i]
		known := nd >= 0
		var village string
		if k := e.payCase[i]; k >= 0 {
			village = bvill.Value(int(e.caseFirst[k]))
		} else if known && e.pvill != nil && e.g.Row(nd) >= 0 {
			village = e.pvill.Value(e.g.Row(nd))
		}
		town, err := e.townScope(village)
		if err != nil {
			return err
		}
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
		if c.program >= 0 {
			b.SetStr(c.program, in.program.Value(i))
		}
		b.SetStr(c.programCN, contract.ProgramLabels[in.program.Value(i)])
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
		if in.account.IsValid(i) {
			if c.account >= 0 {
				b.SetStr(c.account, in.account.Value(i))
			}
			b.SetInt(c.sharedHouseholds, int64(households[gid[i]]))
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
	return nil
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
