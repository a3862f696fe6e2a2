package subsidy_test

import (
	"strings"
	"testing"

	"github.com/neijiang/xiaowei/internal/fixturetest"
	"github.com/neijiang/xiaowei/internal/rules"
)

// familyRules are the rules of rules/relative.yaml.
func familyRules(t *testing.T) map[string]bool {
	t.Helper()
	set, err := rules.LoadDirs([]string{"../../rules"})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, r := range set.Rules() {
		if strings.HasSuffix(r.Pos.File, "relative.yaml") {
			out[r.ID] = true
		}
	}
	if len(out) < 10 {
		t.Fatalf("relative.yaml has %d rules", len(out))
	}
	return out
}

// TestFixtureShizhong runs the whole pipeline on the shipped fixture and
// checks that this family finds exactly what the generator planted.
func TestFixtureShizhong(t *testing.T) {
	mine := familyRules(t)
	ours := func(id string) bool { return mine[id] }
	out := fixturetest.Shizhong(t, "../..")
	fixturetest.AssertSame(t, "relative findings", fixturetest.Expected(t, "../..", ours), fixturetest.Got(out.Findings, ours))
}
