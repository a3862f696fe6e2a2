package cash

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
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

func (o out) strOpt(col int, s string) {
	if s != "" {
		o.b.SetStr(col, s)
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
	r := &replay{in: in, L: readLedger(lt), asOf: in.AsOf}
	specs := map[string][]table.Col{}
	for _, v := range d.Views() {
		specs[v.Name] = v.Cols
	}
	mk := func(name string) out {
		if !in.Want[name] {
			return out{}
		}
		return out{table.NewBuilder(in.Mem, name, specs[name])}
	}
	r.days, r.split, r.iss = mk(vDays), mk(vSplits), mk(vIssues)
	r.keepColl, r.keepPay = in.Want[vCollections], in.Want[vPayments]
	wantHand := in.Want[vHandlers]
	if err := r.index(); err != nil {
		return nil, err
	}
	r.colls = make([]collState, 0, r.nColl)
	if r.keepPay {
		r.pays = make([]payState, 0, r.nPay)
	}
	if wantHand {
		r.roles = newRoleIndex(in.Tables["cadres"])
	}
	r.names = handlerNames(in.Tables["persons"], r.L, r.cashRows, r.splitRows)

	segs := r.byVillage()
	var handlers *table.Table
	if wantHand {
		// Built column-wise before the replay, which it does not depend
		// on (handlers.go).
		handlers = r.buildHandlers(segs)
	}
	for k, rows := range segs {
		if k&63 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		r.replayVillage(rows)
	}
	if r.split.b != nil {
		r.splitGroups()
	}
	res := map[string]*table.Table{}
	if r.keepColl {
		res[vCollections] = r.buildCollections()
	}
	if r.keepPay {
		res[vPayments] = r.buildPayments()
	}
	if handlers != nil {
		res[vHandlers] = handlers
	}
	for name, o := range map[string]out{vDays: r.days, vSplits: r.split, vIssues: r.iss} {
		if o.b != nil {
			res[name] = o.b.Finish()
		}
	}
	return res, nil
}

type receipt struct {
	rem  int64
	coll int32 // index into replay.colls, -1 for income
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

type replay struct {
	in   *engine.Input
	L    ledgerCols
	asOf civil.Date

	days, split, iss out

	// collections and payments are kept as replay results and built
	// column-wise at the end (views.go)
	keepColl, keepPay bool
	pays              []payState

	// villages: id in order of first appearance, rank in village_id order.
	vid    map[string]int32
	vnames []string
	sets   []vset
	rowV   []int32 // cash row -> village id (parallel to cashRows)

	cashRows    []int32 // ledger rows on the cash account, dated <= as_of
	nColl, nPay int     // cash collections and cash payments among them
	splitRows   []int32 // ledger expense outflows (both accounts) below the village's tier with a counterparty
	splitV      []int32

	roles *roleIndex
	names map[string]string

	// per-village replay state, reused
	village  string
	vs       vset
	spend    int64 // spendable cash (may go negative: data problem)
	rsum     int64 // receipts on hand
	q        []receipt
	head     int
	colls    []collState // every village's collections, in emission order
	over     run
	neg      run
	negDays  int
	overDays int
}

// index makes one pass over the ledger: villages, their settings, the
// cash rows and the split candidates.
func (r *replay) index() error {
	L := r.L
	r.vid = map[string]int32{}
	r.cashRows = make([]int32, 0, L.n)
	lastV, lastID := "", int32(-1)
	r.rowV = make([]int32, 0, L.n)
	for i := 0; i < L.n; i++ {
		if L.village.IsNull(i) || L.date.IsNull(i) || L.amount.IsNull(i) {
			continue
		}
		d := civil.Date(L.date.Value(i))
		if r.asOf != 0 && d > r.asOf {
			continue
		}
		v := L.village.Value(i)
		id, ok := lastID, v == lastV && lastID >= 0 // a village's rows are usually adjacent
		if !ok {
			id, ok = r.vid[v]
		}
		if !ok {
			s, err := r.settings(v)
			if err != nil {
				return err
			}
			id = int32(len(r.vnames))
			r.vid[v] = id
			r.vnames = append(r.vnames, v)
			r.sets = append(r.sets, s)
		}
		lastV, lastID = v, id
		acct := L.account.Value(i)
		if acct == "cash" {
			r.cashRows = append(r.cashRows, int32(i))
			r.rowV = append(r.rowV, id)
			switch categoryOf(L.category.Value(i)) {
			case catCollection:
				r.nColl++
			case catExpense, catPayout:
				r.nPay++
			}
		}
		if r.split.b != nil && L.direction.Value(i) == "out" && L.category.Value(i) == "expense" &&
			L.amount.Value(i) < r.sets[id].tier && str(L.counterparty, i) != "" {
			r.splitRows = append(r.splitRows, int32(i))
			r.splitV = append(r.splitV, id)
		}
	}
	return nil
}

func (r *replay) settings(v string) (vset, error) {
	in := r.in
	s := vset{limit: in.MoneyFen(v, setLimit), tier: in.MoneyFen(v, setTier),
		deadline: int32(in.Int(v, setDeadline)), window: int32(in.Int(v, setWindow))}
	for _, name := range in.Strings(v, setEntitled) {
		b := roleBit(name)
		if b == 0 {
			return s, fmt.Errorf("setting cash.%s for village %s: unknown role %q (known: %s)", setEntitled, v, name, strings.Join(contract.Roles, ", "))
		}
		s.entitled |= b
	}
	return s, nil
}

// ranks orders village ids by village_id.
func (r *replay) ranks() []int32 {
	order := make([]int32, len(r.vnames))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return strings.Compare(r.vnames[a], r.vnames[b]) })
	rank := make([]int32, len(order))
	for k, id := range order {
		rank[id] = int32(k)
	}
	return rank
}

// byVillage groups the cash rows by village (village_id order) with a
// stable counting sort, then orders each village's rows by date keeping
// journal order within a day (a stable sort, skipped when the journal is
// already in date order, the usual case). Rows are indices: nothing is
// copied.
func (r *replay) byVillage() [][]int32 {
	nv := len(r.vnames)
	rank := r.ranks()
	start := make([]int32, nv+1)
	for _, id := range r.rowV {
		start[rank[id]+1]++
	}
	for k := 0; k < nv; k++ {
		start[k+1] += start[k]
	}
	sorted := make([]int32, len(r.cashRows))
	next := slices.Clone(start[:nv])
	for k, row := range r.cashRows {
		rk := rank[r.rowV[k]]
		sorted[next[rk]] = row
		next[rk]++
	}
	dates := r.L.date.Date32Values()
	byDate := func(a, b int32) int { return int(dates[a]) - int(dates[b]) }
	segs := make([][]int32, 0, nv)
	for k := 0; k < nv; k++ {
		seg := sorted[start[k]:start[k+1]]
		if len(seg) == 0 {
			continue
		}
		if !slices.IsSortedFunc(seg, byDate) {
			slices.SortStableFunc(seg, byDate)
		}
		segs = append(segs, seg)
	}
	return segs
}
