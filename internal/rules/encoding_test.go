package rules

import "testing"

// TestNotUTF8NamesTheByte: a rule or override file with a non-UTF-8 byte
// (saved as GBK) is reported at that byte's line and column, not at 1:1.
func TestNotUTF8NamesTheByte(t *testing.T) {
	for _, c := range []struct{ name, src, want string }{
		{"override reason in GBK", "overrides:\n  - rule: CASH-LARGE\n    reason: \"\xb4\xe5\"\n", "o.yaml:3:14: byte 0xB4 is not UTF-8: save the file as UTF-8 (it looks like GBK or another legacy encoding)"},
		{"after UTF-8 text on the line", "rules:\n  - id: A\n    title: 大额\xff\n", "o.yaml:3:14: byte 0xFF is not UTF-8: save the file as UTF-8 (it looks like GBK or another legacy encoding)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			errs := (&Set{}).add("o.yaml", []byte(c.src))
			if len(errs) != 1 || errs[0].Error() != c.want {
				t.Errorf("got %v\nwant %s", errs, c.want)
			}
		})
	}
}
