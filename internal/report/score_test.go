package report

import (
	"strings"
	"testing"

	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/leads"
)

// The formula the report prints is the one leads.RuleScore computes: this
// pins the text for today's weights, and checks that changing a weight
// changes the text.
func TestScoreFormulaFollowsWeights(t *testing.T) {
	want := "得分 = Σ各规则 严重程度权重 ×（1 + log10(1 + 金额/10000)）×（1 + 0.25 × log2(该规则发现数)）＋ 15 ×（规则数 − 1）＋ 25 ×（问题类别数 − 1）；权重：严重 40、高 20、中 8、低 2。已核实的线索排在最前。"
	if got := scoreFormula(); got != want {
		t.Fatalf("scoreFormula() =\n%s\nwant\n%s", got, want)
	}
	old := leads.Weights[findings.High]
	t.Cleanup(func() { leads.Weights[findings.High] = old })
	leads.Weights[findings.High] = 12.5
	if got := scoreFormula(); !strings.Contains(got, "高 12.5、") {
		t.Errorf("after changing the high weight to 12.5, the formula still reads %s", got)
	}
}

func TestSeverityCountsMostSevereFirst(t *testing.T) {
	for _, tc := range []struct {
		name string
		by   map[findings.Severity]int
		want string
	}{
		{"none", nil, "严重 0 · 高 0 · 中 0 · 低 0"},
		{"mixed", map[findings.Severity]int{findings.Low: 3, findings.Critical: 1, "unknown": 9}, "严重 1 · 高 0 · 中 0 · 低 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := severityCounts(tc.by); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
