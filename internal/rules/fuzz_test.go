package rules

import (
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the rule-file parser: it must return
// errors with positions, never panic. Seeds cover rule, override and test
// files and some malformed shapes.
func FuzzParse(f *testing.F) {
	seeds := []string{
		"rules:\n  - id: A-B\n    title: t\n    family: cash\n    severity: low\n    on: ledger\n    when: amount > 1\n    subject: \"entry:{{entry_id}}\"\n    message: m\n",
		"overrides:\n  - town_id: \"1\"\n    rules:\n      A-B: {params: {x: 1}, enabled: false}\n",
		"tests:\n  - name: n\n    as_of: 2025-06-30\n    tables:\n      ledger: |\n        a,b\n    expect:\n      - {rule: A, subject: s}\n",
		"settings:\n  cash: {limit: 5000, roles: [a, b]}\n",
		"rules: [",
		"- a\n- b\n",
		"rules:\n  - id: x\n    params: {a: [1, {b: 2}]}\n",
		"\xff\xfe",
		"rules:\n  - &a {id: X}\n  - *a\n",
		"",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		s := &Set{}
		errs := s.add("fuzz.yaml", src)
		for _, e := range errs {
			if e.Pos.File != "fuzz.yaml" || e.Pos.Line < 0 {
				t.Fatalf("error without a position: %v", e)
			}
			if strings.TrimSpace(e.Msg) == "" {
				t.Fatalf("error without a message at %s", e.Pos)
			}
		}
	})
}

func TestExprPositions(t *testing.T) {
	cases := []struct {
		name string
		e    Expr
		line int
		col  int
		want Pos
	}{
		{"plain", Expr{Pos: Pos{"f", 8, 11}}, 1, 21, Pos{"f", 8, 32}},
		{"quoted", Expr{Pos: Pos{"f", 3, 11}, Quoted: true}, 1, 0, Pos{"f", 3, 12}},
		{"block second line", Expr{Pos: Pos{"f", 5, 11}, Block: true, Indent: 6}, 2, 4, Pos{"f", 7, 11}},
		{"plain folded onto line 2", Expr{Pos: Pos{"f", 5, 11}}, 2, 3, Pos{"f", 6, 4}},
	}
	for _, c := range cases {
		if got := c.e.At(c.line, c.col); got != c.want {
			t.Errorf("%s: At(%d,%d) = %v, want %v", c.name, c.line, c.col, got, c.want)
		}
	}
}
