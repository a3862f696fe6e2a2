package csvguard

import "testing"

func TestCell(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"empty", "", ""},
		{"text", "购材料", "购材料"},
		{"formula", "=1+1", "'=1+1"},
		{"hyperlink", `=HYPERLINK("http://x","点击")`, `'=HYPERLINK("http://x","点击")`},
		{"dde after numeric prefix", "-1+cmd|' /C calc'!A0", "'-1+cmd|' /C calc'!A0"},
		{"plus dde", "+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"},
		{"at", "@SUM(A1)", "'@SUM(A1)"},
		{"tab", "\t=1", "'\t=1"},
		{"carriage return", "\r=1", "'\r=1"},
		{"negative number", "-1200.50", "-1200.50"},
		{"signed integer", "+12", "+12"},
		{"negative exponent", "-1e3", "'-1e3"},
		{"negative inf", "-Inf", "'-Inf"},
		{"trailing point", "-12.", "'-12."},
		{"bare minus", "-", "'-"},
		{"number then text", "-12 元", "'-12 元"},
		{"dash in middle", "2024-01-05", "2024-01-05"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Cell(c.in); got != c.want {
				t.Errorf("Cell(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}
