package subsidy

import (
	"runtime"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/neijiang/xiaowei/detectors/kinship"
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

// assemble makes a view of the arrays of its columns (by name), some
// written for it, some input arrays used as they are.
func assemble(name string, cols []table.Col, arrs map[string]arrow.Array) *table.Table {
	ordered := make([]arrow.Array, len(cols))
	for i, c := range cols {
		ordered[i] = arrs[c.Name]
	}
	rec := array.NewRecordBatch(table.Schema(cols), ordered, int64(ordered[0].Len()))
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
// paymentChunks), each chunk's rows written by a goroutine of its own into
// its part of the columns (see columns.go); meanwhile another goroutine
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
	node := e.payNode
	var wg sync.WaitGroup
	var households arrow.Array
	wg.Go(func() { households = sharedHouseholds(e.in.Mem, in.account, e.paymentHouseholds(in, node)) })
	columns := newPaymentColumns(rest, n)
	writers := make([]*paymentWriter, len(bounds)-1)
	errs := make([]error, len(writers))
	for k := range writers {
		wg.Go(func() {
			wk := e.env.worker()
			writers[k] = wk.newPaymentWriter(columns, in, bvill, bounds[k], bounds[k+1])
			errs[k] = wk.writePayments(writers[k], in, bvill, node, bounds[k], bounds[k+1])
		})
	}
	wg.Wait()
	defer households.Release()
	for _, err := range errs { // the first chunk's: the first row's, as one pass in row order would meet it
		if err != nil {
			return nil, err
		}
	}
	built := joinPayments(rest, columns, writers)
	for k, c := range rest {
		shared[c.Name] = built[k]
	}
	shared[colSharedHouseholds] = households
	t := assemble(ViewPayments, cols, shared)
	for _, a := range built {
		a.Release()
	}
	return t, nil
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
