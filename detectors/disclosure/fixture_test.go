package disclosure_test

import (
	"context"
	"encoding/csv"
	"os"
	"sort"
	"strings"
	"testing"

	_ "github.com/neijiang/xiaowei/detectors/all"
	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/run"
)

// TestShizhongFixture runs the whole pipeline on fixtures/shizhong and
// checks that the disclosure rules find exactly the planted instances of
// expected.csv: no more, no fewer.
func TestShizhongFixture(t *testing.T) {
	const dir = "../../fixtures/shizhong"
	f, err := os.Open(dir + "/expected.csv")
	if err != nil {
		t.Skipf("fixture not there yet: %v", err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, r := range rows[1:] {
		if strings.HasPrefix(r[0], "DIS-") {
			want = append(want, r[0]+" "+r[1])
		}
	}
	sort.Strings(want)

	out, err := run.Run(context.Background(), run.Options{
		DataDir: dir, OutDir: t.TempDir(), RuleDirs: []string{"../../rules"},
		Scope: run.Scope{AsOf: civil.MustParse("2025-06-30")},
		// Other families' rules are not this test's business: a bad one is
		// skipped (and listed in the summary) rather than failing the run.
		SkipBadRules: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Dataset.Release()
	var got []string
	fired := map[string]int{}
	for _, fd := range out.Findings {
		if fd.Family == "disclosure" {
			got = append(got, fd.RuleID+" "+fd.Subject)
			fired[fd.RuleID]++
		}
	}
	sort.Strings(got)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("disclosure findings differ from expected.csv\n got:\n  %s\n want:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
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
