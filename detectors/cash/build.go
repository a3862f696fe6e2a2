package cash

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/table"
)

type category uint8

const (
	catOther category = iota
	catOpening
	catCollection
	catRemit
	catDeposit
	catWithdrawal
	catIncome
	catExpense
	catPayout
	catTransfer
)

func categoryOf(s string) category {
	switch s {
	case "opening":
		return catOpening
	case "collection":
		return catCollection
	case "remit":
		return catRemit
	case "deposit":
		return catDeposit
	case "withdrawal":
		return catWithdrawal
	case "income":
		return catIncome
	case "expense":
		return catExpense
	case "subsidy_payout":
		return catPayout
	case "transfer":
		return catTransfer
	}
	return catOther
}

// kind is a ledger row's category and direction, read once by index: the
// replay and cash_handlers then compare no strings.
type kind uint8

const (
	kindIn  kind = 1 << 4
	kindOut kind = 1 << 5
)

func kindOf(c category, direction string) kind {
	switch direction {
	case "in":
		return kind(c) | kindIn
	case "out":
		return kind(c) | kindOut
	}
	return kind(c)
}

func (k kind) category() category { return category(k & 15) }

// vset is one village's detector settings, resolved once per village.
type vset struct {
	limit, tier      int64 // fen
	deadline, window int32 // days
	entitled         uint16
}

// ledgerCols are the ledger columns the detector reads.
type ledgerCols struct {
	n                                                 int
	entry, village, account, direction, category      *array.String
	counterparty, summary, handledBy, approvedBy, vch *array.String
	date                                              *array.Date32
	amount                                            *array.Int64
}

func readLedger(t *table.Table) ledgerCols {
	return ledgerCols{
		n: t.Len(), entry: t.Str("entry_id"), village: t.Str("village_id"), account: t.Str("account"),
		direction: t.Str("direction"), category: t.Str("category"), counterparty: t.Str("counterparty"),
		summary: t.Str("summary"), handledBy: t.Str("handled_by"), approvedBy: t.Str("approved_by"),
		vch: t.Str("voucher_no"), date: t.Date("date"), amount: t.Money("amount"),
	}
}

// str reads a string cell; "" for null.
func str(a *array.String, i int) string {
	if a.IsNull(i) {
		return ""
	}
	return a.Value(i)
}

// out is a view being built (nil builder = not wanted).
type out struct {
	b *table.Builder
}

func (o out) str(col int, a *array.String, i int) {
	if !a.IsNull(i) {
		o.b.SetStr(col, a.Value(i))
	}
}

func colIdx(cols []table.Col, name string) int {
	for i, c := range cols {
		if c.Name == name {
			return i
		}
	}
	panic("cash: no column " + name)
}

// Build derives the wanted views.
func (d detector) Build(ctx context.Context, in *engine.Input) (map[string]*table.Table, error) {
	lt := in.Tables["ledger"]
	if lt == nil {
		return nil, fmt.Errorf("ledger table absent")
	}
	L := readLedger(lt)
	r := &replay{in: in, L: L, Lb: readLedgerBytes(L), asOf: in.AsOf, want: in.Want, specs: map[string][]table.Col{}}
	for _, v := range d.Views() {
		r.specs[v.Name] = v.Cols
	}
	if err := r.index(); err != nil {
		return nil, err
	}
	if r.want[vHandlers] {
		r.roles = newRoleIndex(in.Tables["cadres"])
	}
	r.names = handlerNames(in.Tables["persons"], r.L, r.cashRows, r.splitRows)
	r.byVillage()
	cs := r.chunks(runtime.GOMAXPROCS(0))
	if err := r.run(ctx, cs); err != nil {
		return nil, err
	}
	return r.finish(cs), nil
}

type receipt struct {
	rem  int64
	coll int32 // index into the chunk's colls, -1 for income
}

type collState struct {
	row                        int32
	amount, byDeadline, banked int64
	spent                      int64
	deadline, bankedOn         civil.Date
	fullyBanked                bool
}

// run is an open run of closing balances above the limit (or below zero).
type run struct {
	open                   bool
	first, peakDay         civil.Date
	firstBal, peak, trough int64
}

// replay is what every chunk of villages reads: the ledger, the villages
// and their settings, the cash rows grouped by village. Once the chunks run
// (chunks.go), each writes only its own villages' rows: their order in
// sorted and cands, and their rows of the views.
type replay struct {
	in    *engine.Input
	L     ledgerCols
	asOf  civil.Date
	want  map[string]bool
	specs map[string][]table.Col

	// villages: id in order of first appearance
	vid     map[string]int32
	vnames  []string
	sets    []vset
	vcounts []vcount // at most so many collections and payments (to size a chunk's)
	rank    []int32  // village id -> rank in village_id order
	order   []int32  // rank -> village id

	kinds     []kind  // per ledger row (those with a village, date and amount, dated <= as_of)
	cashRows  []int32 // ledger rows on the cash account, dated <= as_of
	rowV      []int32 // cash row -> village id (parallel to cashRows)
	splitRows []int32 // ledger expense outflows (both accounts) below the village's tier with a counterparty
	splitV    []int32

	// byVillage: the cash rows and the split candidates grouped by village
	// rank; village rank k has sorted[start[k]:start[k+1]] and
	// cands[cstart[k]:cstart[k+1]].
	sorted, start []int32
	cands         []cand
	cstart        []int32

	roles *roleIndex
	names map[string]string

	// the column-wise views being built (nil = not wanted); chunks write
	// disjoint rows of them
	Lb ledgerBytes
	hv *handlersView
	cv *collView
	pv *payView
	sv *splitView
}

// vcount bounds a village's collections and payments.
type vcount struct{ colls, pays int }

// ranks orders village ids by village_id.
func (r *replay) ranks() (order, rank []int32) {
	order = make([]int32, len(r.vnames))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return strings.Compare(r.vnames[a], r.vnames[b]) })
	rank = make([]int32, len(order))
	for k, id := range order {
		rank[id] = int32(k)
	}
	return order, rank
}

// byVillage groups the cash rows and the split candidates by village
// (village_id order) with stable counting sorts: rows are indices, nothing
// is copied. Each chunk then orders its villages' rows (chunks.go).
func (r *replay) byVillage() {
	r.order, r.rank = r.ranks()
	r.sorted, r.start = groupByRank(r.cashRows, r.rowV, r.rank)
	rows, start := groupByRank(r.splitRows, r.splitV, r.rank)
	r.cands, r.cstart = make([]cand, len(rows)), start
	for k, row := range rows {
		r.cands[k] = cand{row: row}
	}
}

// groupByRank orders rows (of villages ids) by their village's rank,
// keeping their order within a village; village rank k's rows are
// sorted[start[k]:start[k+1]].
func groupByRank(rows, ids, rank []int32) (sorted, start []int32) {
	nv := len(rank)
	start = make([]int32, nv+1)
	for _, id := range ids {
		start[rank[id]+1]++
	}
	for k := range nv {
		start[k+1] += start[k]
	}
	sorted = make([]int32, len(rows))
	next := slices.Clone(start[:nv])
	for k, row := range rows {
		rk := rank[ids[k]]
		sorted[next[rk]] = row
		next[rk]++
	}
	return sorted, start
}
