package cash

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/neijiang/xiaowei/internal/civil"
)

// mixedLedger is a ledger of villages of very different sizes (one cash
// row, a few, hundreds, none but bank expenses), one village listed in two
// places (its rows are not contiguous), days listed out of order, missing
// openings, unknown and empty handlers and counterparties, with the cadres
// of the handlers.
func mixedLedger() (ledger, cadres []string) {
	r := rand.New(rand.NewPCG(7, 11))
	start := civil.MustParse("2024-01-01")
	cats := []struct{ acct, dir, cat string }{
		{"cash", "in", "collection"}, {"cash", "in", "income"}, {"cash", "out", "deposit"}, {"cash", "out", "remit"},
		{"cash", "out", "expense"}, {"bank", "out", "expense"}, {"cash", "out", "subsidy_payout"},
		{"cash", "in", "withdrawal"}, {"cash", "out", "transfer"}, {"cash", "in", "collection"},
	}
	n := 0
	emit := func(v string, rows int, opening bool, from civil.Date) {
		if opening {
			ledger = append(ledger, L(fmt.Sprintf("E%d@%s", n, v), from.String(), "cash", "in", "3000.00", "opening", "", v+"C"))
			n++
		}
		for k := range rows {
			c := cats[r.IntN(len(cats))]
			d := from + civil.Date(k/3+r.IntN(4)) // days now and then listed out of order
			cp := []string{"", "供应商甲", "供应商乙", "区医保局"}[r.IntN(4)]
			by := []string{"", v + "C", v + "C", v + "D", "unknown"}[r.IntN(5)]
			amt := fmt.Sprintf("%d.%02d", 100+r.IntN(6000), r.IntN(100))
			ledger = append(ledger, L(fmt.Sprintf("E%d@%s", n, v), d.String(), c.acct, c.dir, amt, c.cat, cp, by))
			n++
		}
	}
	sizes := []int{0, 1, 3, 400, 7, 60, 0, 250, 2}
	for k, size := range sizes {
		v := fmt.Sprintf("5110021012%02d", 90-k) // listed against village_id order
		emit(v, size, k%3 != 1, start)
		cadres = append(cadres, v+"C,"+v+",cashier,2020-01-01,", v+"D,"+v+",director,2024-03-01,2024-06-30")
	}
	emit("511002101290", 120, false, start+200) // the first village again, later in the journal
	for k := range 40 {                         // a village with bank expenses only
		ledger = append(ledger, L(fmt.Sprintf("E%d@511002101299", n), (start+civil.Date(k/2)).String(), "bank", "out", "1500.00", "expense", "供应商丙", ""))
		n++
	}
	return ledger, cadres
}

// TestChunkedEqualsUnchunked: however the villages are cut into chunks
// (and the ledger into index parts: the village listed twice falls in two),
// every view has the same rows in the same order.
func TestChunkedEqualsUnchunked(t *testing.T) {
	defer func(rows, force int) { minChunkRows, forceChunks = rows, force }(minChunkRows, forceChunks)
	ledger, cadres := mixedLedger()
	minChunkRows, forceChunks = 1, 1
	want := map[string][]map[string]string{}
	for name, tb := range build(t, "2025-06-30", ledger, cadres) {
		want[name] = rows(tb)
		if len(want[name]) == 0 && name != vIssues {
			t.Errorf("%s: no rows, the test data should give some", name)
		}
	}
	for _, chunks := range []int{2, 3, 4, 7, 50} {
		forceChunks = chunks
		for name, tb := range build(t, "2025-06-30", ledger, cadres) {
			if got := rows(tb); !reflect.DeepEqual(got, want[name]) {
				t.Errorf("%d chunks: %s differs from one chunk (%d rows, want %d)", chunks, name, len(got), len(want[name]))
			}
		}
	}
}

// TestChunkCut: chunks end before the village whose middle passes their
// share of the cash rows, never split a village, cover every village, and
// are never more than the villages.
func TestChunkCut(t *testing.T) {
	defer func(rows, force int) { minChunkRows, forceChunks = rows, force }(minChunkRows, forceChunks)
	minChunkRows = 1
	for _, tc := range []struct {
		sizes   []int32 // cash rows per village, in rank order
		workers int
		want    [][2]int32
	}{
		{[]int32{10, 10, 10, 10}, 2, [][2]int32{{0, 2}, {2, 4}}},
		{[]int32{100, 1, 1, 1}, 2, [][2]int32{{0, 1}, {1, 4}}},
		{[]int32{1, 1, 1, 100}, 2, [][2]int32{{0, 3}, {3, 4}}},
		{[]int32{1, 1, 1, 100}, 3, [][2]int32{{0, 3}, {3, 4}}},
		{[]int32{30, 1, 30, 1, 30}, 3, [][2]int32{{0, 2}, {2, 3}, {3, 5}}},
		{[]int32{5, 0, 5}, 8, [][2]int32{{0, 1}, {1, 2}, {2, 3}}},
		{[]int32{3}, 4, [][2]int32{{0, 1}}},
		{nil, 2, [][2]int32{{0, 0}}},
	} {
		r := &replay{vnames: make([]string, len(tc.sizes)), start: []int32{0}}
		for _, s := range tc.sizes {
			r.start = append(r.start, r.start[len(r.start)-1]+s)
		}
		r.sorted = make([]int32, r.start[len(r.start)-1])
		var got [][2]int32
		for _, c := range r.chunks(tc.workers) {
			got = append(got, [2]int32{c.lo, c.hi})
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("sizes %v on %d workers: got %v, want %v", tc.sizes, tc.workers, got, tc.want)
		}
	}
}

// TestNoCashRows: a ledger without cash rows (bank entries only, or a cash
// entry after as_of) still gives every view, the split groups among them.
func TestNoCashRows(t *testing.T) {
	ledger := []string{
		L("E1", "2024-03-01", "bank", "out", "3000.00", "expense", "供应商丙", ""),
		L("E2", "2024-03-02", "bank", "out", "3000.00", "expense", "供应商丙", ""),
		L("E3", "2025-08-01", "cash", "in", "10.00", "opening", "", ""),
	}
	out := build(t, "2025-06-30", ledger, nil)
	for name, tb := range out {
		if want := map[bool]int{true: 1}[name == vSplits]; tb.Len() != want {
			t.Errorf("%s: %d rows, want %d", name, tb.Len(), want)
		}
	}
}
