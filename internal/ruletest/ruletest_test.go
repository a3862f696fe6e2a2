package ruletest

import (
	"bytes"
	"context"
	"flag"
	"os"
	"testing"

	"github.com/neijiang/xiaowei/internal/rules"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the runner's output (review the diff!)")

// The runner's own output is what a rule author reads when a test fails, so
// it is pinned: one passing case, then each way a case can fail (missing,
// unexpected, wrong severity/amount/period, a rejected inline row, an unknown
// rule), each with the case's file:line:col.
func TestReportGolden(t *testing.T) {
	set, err := rules.LoadDirs([]string{"testdata/cases.yaml", "testdata/cases.test.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	results := RunAll(context.Background(), set)
	var out bytes.Buffer
	passed, failed := Report(&out, results)
	if passed != 1 || failed != 5 {
		t.Errorf("passed %d, failed %d; want 1 and 5\n%s", passed, failed, out.String())
	}
	const golden = "testdata/report.golden"
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it, then review it)", err)
	}
	if got := out.String(); got != string(want) {
		t.Errorf("report differs from %s:\n--- got\n%s--- want\n%s", golden, got, want)
	}
}

// Each case's verdict, by name, so a change in how a failure is classified
// shows up even if the golden text were regenerated carelessly.
func TestCaseVerdicts(t *testing.T) {
	set, err := rules.LoadDirs([]string{"testdata/cases.yaml", "testdata/cases.test.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	results := RunAll(context.Background(), set)
	want := []struct {
		missing, unexpected, differs, rejects int
		err                                   bool
	}{
		{0, 0, 0, 0, false},
		{1, 0, 0, 0, false},
		{0, 1, 0, 0, false},
		{0, 0, 1, 0, false},
		{1, 0, 0, 1, false},
		{0, 0, 0, 0, true},
	}
	if len(results) != len(want) {
		t.Fatalf("%d results, want %d", len(results), len(want))
	}
	for i, r := range results {
		t.Run(r.Name, func(t *testing.T) {
			w := want[i]
			if len(r.Missing) != w.missing || len(r.Unexpected) != w.unexpected || len(r.Differs) != w.differs || len(r.Rejects) != w.rejects || (r.Err != nil) != w.err {
				t.Errorf("missing %v, unexpected %v, differs %v, rejects %v, err %v", r.Missing, r.Unexpected, r.Differs, r.Rejects, r.Err)
			}
		})
	}
}
