package subsidy_test

import (
	"context"
	"encoding/csv"
	"os"
	"sort"
	"strings"
	"testing"

	_ "github.com/neijiang/xiaowei/detectors/all"
	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/run"
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
	const dir = "../../fixtures/shizhong"
	f, err := os.Open(dir + "/expected.csv")
	if err != nil {
		t.Skipf("fixture not there yet: %v", err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	mine := familyRules(t)
	want := map[string]bool{}
	for _, r := range recs[1:] {
		if mine[r[0]] {
			want[r[0]+" "+r[1]] = true
		}
	}
	out, err := run.Run(context.Background(), run.Options{DataDir: dir, OutDir: t.TempDir(), RuleDirs: []string{"../../rules"},
		Scope: run.Scope{AsOf: civil.MustParse("2025-06-30")}, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range out.Findings {
		if mine[f.RuleID] {
			got[f.RuleID+" "+f.Subject] = true
			if testing.Verbose() {
				t.Logf("%s %s [%s] %s", f.RuleID, f.Subject, f.Severity, f.Message)
			}
		}
	}
	var missing, extra []string
	for k := range want {
		if !got[k] {
			missing = append(missing, k)
		}
	}
	for k := range got {
		if !want[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing)+len(extra) > 0 {
		t.Errorf("fixture findings differ from expected.csv\nmissing: %v\nunexpected: %v", missing, extra)
	}
	if len(want) == 0 {
		t.Error("expected.csv has no findings of this family")
	}
	t.Logf("%d findings of this family, as expected", len(got))
}
