package engine

import "testing"

func TestDidYouMean(t *testing.T) {
	cols := []string{"entry_id", "amount", "voucher_no", "handled_by", "date"}
	for _, tc := range []struct{ name, want string }{
		{"amout", ` (did you mean "amount"?)`},
		{"Amount", ` (did you mean "amount"?)`},
		{"voucher", ` (did you mean "voucher_no"?)`},
		{"dte", ` (did you mean "date"?)`},
		{"xyz", ""},     // nothing close
		{"handler", ""}, // three edits from handled_by: a guess would mislead
		{"ab", ""},      // too short to guess
		{"amount", ""},  // an exact name is never "suggested"
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := didYouMean(tc.name, cols); got != tc.want {
				t.Errorf("didYouMean(%q) = %q, want %q", tc.name, got, tc.want)
			}
		})
	}
}
