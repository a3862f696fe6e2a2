package findings

import (
	"encoding/json"
	"testing"
)

func TestSeverityRankLabelAndJSON(t *testing.T) {
	for _, tc := range []struct {
		sev   Severity
		rank  int
		label string
	}{
		{Low, 0, "低"},
		{Medium, 1, "中"},
		{High, 2, "高"},
		{Critical, 3, "严重"},
		{"urgent", -1, ""},
		{"", -1, ""},
	} {
		t.Run(string(tc.sev), func(t *testing.T) {
			if got := tc.sev.Rank(); got != tc.rank {
				t.Errorf("Rank() = %d, want %d", got, tc.rank)
			}
			if got := tc.sev.Label(); got != tc.label {
				t.Errorf("Label() = %q, want %q", got, tc.label)
			}
			// findings.jsonl and the database hold the plain name
			b, err := json.Marshal(Finding{Severity: tc.sev})
			if err != nil {
				t.Fatal(err)
			}
			var back map[string]any
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if back["severity"] != string(tc.sev) {
				t.Errorf("severity marshals as %v, want %q", back["severity"], tc.sev)
			}
		})
	}
	if got, want := SeverityNames(), []string{"low", "medium", "high", "critical"}; len(got) != len(want) || got[0] != want[0] || got[3] != want[3] {
		t.Errorf("SeverityNames() = %v, want %v", got, want)
	}
}
