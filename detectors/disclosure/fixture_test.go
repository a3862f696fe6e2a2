package disclosure_test

import (
	"strings"
	"testing"

	"github.com/neijiang/xiaowei/internal/fixturetest"
)

// TestShizhongFixture runs the whole pipeline on fixtures/shizhong and
// checks that the disclosure rules find exactly the planted instances of
// expected.csv: no more, no fewer.
func TestShizhongFixture(t *testing.T) {
	ours := func(id string) bool { return strings.HasPrefix(id, "DIS-") }
	out := fixturetest.Shizhong(t, "../..")
	fixturetest.AssertSame(t, "disclosure findings", fixturetest.Expected(t, "../..", ours), fixturetest.Got(out.Findings, ours))
	fired := map[string]int{}
	for _, fd := range out.Findings {
		fired[fd.RuleID]++
	}
	for _, id := range []string{"DIS-MISSING", "DIS-LATE", "DIS-SHORT", "DIS-NO-NOTICE", "DIS-NOTICE-SHORT", "DIS-MISMATCH"} {
		if fired[id] == 0 {
			t.Errorf("%s never fired on the fixture", id)
		}
	}
	for _, b := range out.Summary.BadRules {
		if strings.HasPrefix(b, "DIS-") {
			t.Errorf("bad disclosure rule: %s", b)
		}
	}
	for _, s := range out.Summary.SkippedRules {
		if strings.HasPrefix(s.RuleID, "DIS-") {
			t.Errorf("%s skipped: %s", s.RuleID, s.Reason)
		}
	}
}
