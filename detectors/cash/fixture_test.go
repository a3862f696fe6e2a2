package cash_test

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	_ "github.com/neijiang/xiaowei/detectors/all"
	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/run"
)

// ours says whether a rule belongs to this family (the cash rules and the
// cash journal's data-quality rules, all in rules/cash.yaml).
func ours(ruleID string) bool {
	return strings.HasPrefix(ruleID, "CASH-") || strings.HasPrefix(ruleID, "DQ-CASH-")
}

// TestFixtureShizhong runs the whole pipeline on the shipped fixture and
// checks that the cash family finds exactly what was planted.
func TestFixtureShizhong(t *testing.T) {
	dir := filepath.Join("..", "..", "fixtures", "shizhong")
	f, err := os.Open(filepath.Join(dir, "expected.csv"))
	if err != nil {
		t.Skipf("fixture not available: %v", err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, r := range recs[1:] {
		if ours(r[0]) {
			want[r[0]+" "+r[1]] = true
		}
	}
	out, err := run.Run(context.Background(), run.Options{
		DataDir: dir, OutDir: t.TempDir(), RuleDirs: []string{filepath.Join("..", "..", "rules")},
		Scope:        run.Scope{AsOf: civil.MustParse("2025-06-30")},
		SkipBadRules: true, // other families' rule files may be mid-edit; ours must be good (checked below)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range out.Summary.BadRules {
		if ours(b) || strings.Contains(b, "cash.yaml") {
			t.Fatalf("bad cash rule: %s", b)
		}
	}
	got := map[string]bool{}
	sev := map[string]string{}
	for _, fd := range out.Findings {
		if ours(fd.RuleID) {
			k := fd.RuleID + " " + fd.Subject
			got[k] = true
			sev[k] = fd.Severity
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
		t.Errorf("cash findings differ from expected.csv\nmissing: %v\nextra: %v", missing, extra)
	}
	if len(want) == 0 {
		t.Fatal("expected.csv has no cash findings: the fixture plants some")
	}

	// The Meitangwan village (朝阳镇 梅堂湾村): critical CASH-UNBANKED,
	// CASH-HANDLER on the same receipts, and an over-limit run.
	const mtw = "511002103201"
	var crit, handler, over int
	var unbanked int64
	for _, fd := range out.Findings {
		if fd.VillageID != mtw {
			continue
		}
		switch {
		case fd.RuleID == "CASH-UNBANKED" && fd.Severity == "critical":
			crit++
			if fd.Amount != nil {
				unbanked += fd.Amount.Fen
			}
		case fd.RuleID == "CASH-HANDLER":
			handler++
		case fd.RuleID == "CASH-OVER-LIMIT":
			over++
		}
	}
	if crit == 0 || handler == 0 || over == 0 {
		t.Errorf("Meitangwan: critical unbanked %d, handler %d, over-limit %d; want all > 0", crit, handler, over)
	}
	if unbanked != 16800000 {
		t.Errorf("Meitangwan: %d fen unbanked at stake, want 168,000.00 yuan", unbanked)
	}
}
