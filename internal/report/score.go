package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/leads"
)

// scoreFormula is the lead score as the report explains it, written from
// the weights and constants leads.RuleScore and leads.build use, so the
// text cannot drift from the arithmetic.
func scoreFormula() string {
	var w []string
	for _, s := range slices.Backward(findings.Severities) {
		w = append(w, fmt.Sprintf("%s %g", s.Label(), leads.Weights[s]))
	}
	return fmt.Sprintf("得分 = Σ各规则 严重程度权重 ×（1 + log10(1 + 金额/%d)）×（1 + %g × log2(该规则发现数)）＋ %d ×（规则数 − 1）＋ %d ×（问题类别数 − 1）；权重：%s。已核实的线索排在最前。",
		leads.AmountUnit, leads.RepeatFactor, leads.PerExtraRule, leads.PerExtraFamily, strings.Join(w, "、"))
}

// severityCounts is "严重 n · 高 n · 中 n · 低 n", most severe first.
func severityCounts(by map[findings.Severity]int) string {
	var parts []string
	for _, s := range slices.Backward(findings.Severities) {
		parts = append(parts, fmt.Sprintf("%s %d", s.Label(), by[s]))
	}
	return strings.Join(parts, " · ")
}
