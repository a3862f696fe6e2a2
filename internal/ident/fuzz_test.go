package ident

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzNormalize: for any text and kind, the normal form is a fixed point
// (normalising it again changes nothing), holds no space or invisible
// character, reports a change exactly when it differs, and PlainColumn never
// calls a value plain that Normalize would change.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"51100219400101001X", "51100219400101001x\u200b", "５１１", " 6217-0000 ", "张 三", "\ufeff\u202eabc", "ｘ", "Ｘ", "\u00ad-", "买买提·艾力", "\xff\xfe", "e\u200b\u0301", "e\u00a0\u0301", "\u00a8", "110105491231002", "５１１００２４００１０１００１"} {
		for k := Code; k <= Name; k++ {
			f.Add(s, uint8(k))
		}
	}
	f.Fuzz(func(t *testing.T, s string, kb uint8) {
		k := Kind(kb % 4)
		n, changed := Normalize(s, k)
		if changed != (n != s) {
			t.Fatalf("Normalize(%q, %s) = %q, changed %v", s, k, n, changed)
		}
		if !utf8.ValidString(s) {
			return // invalid UTF-8 comes out as U+FFFD: not a fixed-point question
		}
		if n2, again := Normalize(n, k); again {
			t.Fatalf("not a fixed point: %q -> %q -> %q", s, n, n2)
		}
		if strings.IndexFunc(n, func(r rune) bool { return invisible(r) || space(r) }) >= 0 {
			t.Fatalf("normal form %q of %q holds an invisible or space character", n, s)
		}
		if PlainColumn([]byte(s), []int32{0, int32(len(s))}, k) && changed {
			t.Fatalf("PlainColumn(%q) but Normalize changes it to %q", s, n)
		}
		if Plain([]byte(s), k) && changed {
			t.Fatalf("Plain(%q) but Normalize changes it to %q", s, n)
		}
	})
}
