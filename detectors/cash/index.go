package cash

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
)

// indexPart is what index finds in a part of the ledger's rows, its
// villages numbered in their order of first appearance in the part.
type indexPart struct {
	vid       map[string]int32
	vnames    []string
	vcounts   []vcount
	cashRows  []int32
	rowV      []int32
	splitRows []int32 // expense outflows with a counterparty (the tier is checked when merging)
	splitV    []int32
}

// index makes one pass over the ledger, in parts side by side: the
// villages, their settings, each row's kind, the cash rows and the split
// candidates. The parts are merged in ledger order, villages numbered in
// their order of first appearance in the whole ledger, so the result does
// not depend on the cut.
func (r *replay) index() error {
	n := r.L.n
	k := max(1, min(runtime.GOMAXPROCS(0), n/minChunkRows))
	if forceChunks > 0 {
		k = max(1, min(forceChunks, n))
	}
	r.kinds = make([]kind, n)
	parts := make([]indexPart, k)
	parallel(k, func(p int) { r.indexRows(&parts[p], n*p/k, n*(p+1)/k) })
	return r.mergeIndex(parts)
}

// indexRows indexes ledger rows lo..hi-1 into p.
func (r *replay) indexRows(p *indexPart, lo, hi int) {
	L := r.L
	p.vid = map[string]int32{}
	p.cashRows, p.rowV = make([]int32, 0, hi-lo), make([]int32, 0, hi-lo)
	lastV, lastID := "", int32(-1)
	for i := lo; i < hi; i++ {
		if L.village.IsNull(i) || L.date.IsNull(i) || L.amount.IsNull(i) {
			continue
		}
		if d := civil.Date(L.date.Value(i)); r.asOf != 0 && d > r.asOf {
			continue
		}
		v := L.village.Value(i)
		id, ok := lastID, v == lastV && lastID >= 0 // a village's rows are usually adjacent
		if !ok {
			id, ok = p.vid[v]
		}
		if !ok {
			id = int32(len(p.vnames))
			p.vid[v] = id
			p.vnames = append(p.vnames, v)
			p.vcounts = append(p.vcounts, vcount{})
		}
		lastV, lastID = v, id
		k := kindOf(categoryOf(L.category.Value(i)), L.direction.Value(i))
		r.kinds[i] = k
		if L.account.Value(i) == "cash" {
			p.cashRows = append(p.cashRows, int32(i))
			p.rowV = append(p.rowV, id)
			switch k.category() {
			case catCollection:
				p.vcounts[id].colls++
			case catExpense, catPayout:
				p.vcounts[id].pays++
			}
		}
		if r.want[vSplits] && k&kindOut != 0 && k.category() == catExpense && str(L.counterparty, i) != "" {
			p.splitRows = append(p.splitRows, int32(i))
			p.splitV = append(p.splitV, id)
		}
	}
}

// mergeIndex joins the parts in ledger order, resolving each village's
// settings at its first appearance (so a bad setting is reported for the
// same village as a single pass would) and keeping the split candidates
// below their village's tier.
func (r *replay) mergeIndex(parts []indexPart) error {
	r.vid = map[string]int32{}
	cash := 0
	for _, p := range parts {
		cash += len(p.cashRows)
	}
	r.cashRows, r.rowV = make([]int32, 0, cash), make([]int32, 0, cash)
	amounts := r.L.amount.Int64Values()
	for _, p := range parts {
		ids := make([]int32, len(p.vnames)) // part's village -> village id
		for k, v := range p.vnames {
			id, ok := r.vid[v]
			if !ok {
				s, err := r.settings(v)
				if err != nil {
					return err
				}
				id = int32(len(r.vnames))
				r.vid[v] = id
				r.vnames, r.sets, r.vcounts = append(r.vnames, v), append(r.sets, s), append(r.vcounts, vcount{})
			}
			ids[k] = id
			r.vcounts[id].colls += p.vcounts[k].colls
			r.vcounts[id].pays += p.vcounts[k].pays
		}
		r.cashRows = append(r.cashRows, p.cashRows...)
		for _, v := range p.rowV {
			r.rowV = append(r.rowV, ids[v])
		}
		for k, row := range p.splitRows {
			if id := ids[p.splitV[k]]; amounts[row] < r.sets[id].tier {
				r.splitRows = append(r.splitRows, row)
				r.splitV = append(r.splitV, id)
			}
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
