package cash_test

import (
	"strings"
	"testing"

	"github.com/neijiang/xiaowei/internal/fixturetest"
)

// ours says whether a rule belongs to this family (the cash rules and the
// cash journal's data-quality rules, all in rules/cash.yaml).
func ours(ruleID string) bool {
	return strings.HasPrefix(ruleID, "CASH-") || strings.HasPrefix(ruleID, "DQ-CASH-")
}

// TestFixtureShizhong runs the whole pipeline on the shipped fixture and
// checks that the cash family finds exactly what was planted.
func TestFixtureShizhong(t *testing.T) {
	out := fixturetest.Shizhong(t, "../..")
	fixturetest.AssertSame(t, "cash findings", fixturetest.Expected(t, "../..", ours), fixturetest.Got(out.Findings, ours))

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
