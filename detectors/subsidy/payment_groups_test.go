package subsidy

import (
	"testing"

	"github.com/neijiang/xiaowei/internal/civil"
)

// TestAccountMonths: groups are numbered in order of first appearance of
// (account, month), whatever order an account's months come in and however
// often an account comes back.
func TestAccountMonths(t *testing.T) {
	m := func(k int) civil.Month { return civil.MonthOf(2024, 1) + civil.Month(k) }
	steps := []struct {
		acct  int32
		month civil.Month
		group int32
		isNew bool
	}{
		{0, m(0), 0, true},
		{0, m(0), 0, false}, // same month again
		{0, m(1), 1, true},
		{1, m(1), 2, true},  // another account, same month
		{0, m(0), 0, false}, // back to an older month of account 0
		{0, m(2), 3, true},
		{1, m(0), 4, true}, // a month before account 1's latest
		{1, m(1), 2, false},
		{1, m(0), 4, false},
		{2, m(5), 5, true},
		{0, m(1), 1, false},
	}
	var x accountMonths
	for i, s := range steps {
		g, isNew := x.group(s.acct, s.month)
		if g != s.group || isNew != s.isNew {
			t.Errorf("step %d: group(%d, %s) = %d %v, want %d %v", i, s.acct, s.month, g, isNew, s.group, s.isNew)
		}
	}
}

// TestMonthNames: each month's string, in whatever order months come.
func TestMonthNames(t *testing.T) {
	var x monthNames
	for _, s := range []string{"2024-03", "2024-03", "2024-01", "2025-12", "2023-12", "2024-02", "2024-03"} {
		m, err := civil.ParseMonth(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := x.of(m); got != s {
			t.Errorf("of(%s) = %q", s, got)
		}
	}
}
