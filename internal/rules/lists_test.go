package rules

import (
	"strings"
	"testing"
)

// Every list field reports a non-list at its position with what it wants.
func TestListFieldsWantLists(t *testing.T) {
	cases := []struct{ src, want string }{
		{"rules: 5\n", "f.yaml:1:8: rules: want a list of rules"},
		{"overrides: {a: 1}\n", "f.yaml:1:12: overrides: want a list"},
		{"tests: x\n", "f.yaml:1:8: tests: want a list"},
		{"tests:\n  - name: n\n    as_of: 2025-06-30\n    expect: 3\n", "f.yaml:4:13: expect: want a list of {rule, subject}"},
		{"tests:\n  - name: n\n    as_of: 2025-06-30\n    overrides: 3\n", "f.yaml:4:16: overrides: want a list"},
		{"rules:\n  - id: A\n    escalate: high\n", "f.yaml:3:15: escalate: want a list of {when, severity}"},
	}
	for _, c := range cases {
		errs := (&Set{}).add("f.yaml", []byte(c.src))
		if !strings.Contains(errs.Error(), c.want) {
			t.Errorf("%q:\n got %v\nwant %s", c.src, errs, c.want)
		}
	}
}
