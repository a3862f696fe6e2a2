package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestFixtureMajorLeads: the major family's planted findings on the
// fixture reach the leads (one village lead per planted village, family
// "major") and the report, under its Chinese label.
func TestFixtureMajorLeads(t *testing.T) {
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := dispatch(context.Background(), []string{"run", "--data", "../../fixtures/shizhong", "--rules", "../../rules", "--as-of", "2025-06-30", "--quiet", "--out", out}, &stdout, &stderr); code != exitOK {
		t.Fatalf("run: exit %d: %s", code, stderr.String())
	}
	b, err := os.ReadFile(filepath.Join(out, "leads.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	rulesBy := map[string][]string{} // village -> major rules in its leads
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var l struct {
			VillageID string   `json:"village_id"`
			Families  []string `json:"families"`
			Rules     []struct {
				RuleID string `json:"rule_id"`
				Family string `json:"family"`
			} `json:"rules"`
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatal(err)
		}
		for _, r := range l.Rules {
			if r.Family == "major" {
				rulesBy[l.VillageID] = append(rulesBy[l.VillageID], r.RuleID)
			}
		}
	}
	want := map[string]string{
		"511002004002": "MAJ-NO-DECISION,MAJ-QUORUM", "511002004201": "MAJ-NOT-PUBLISHED,MAJ-ORDER",
		"511002004202": "PRJ-DIRECT,PRJ-SPLIT", "511002103203": "PRJ-OVERPAY,PRJ-RELATED",
	}
	for v, w := range want {
		sort.Strings(rulesBy[v])
		if got := strings.Join(rulesBy[v], ","); got != w {
			t.Errorf("village %s: major rules in leads %q, want %q", v, got, w)
		}
	}
	if len(rulesBy) != len(want) {
		t.Errorf("major leads in villages %v, want only the four planted ones", rulesBy)
	}
	if code := dispatch(context.Background(), []string{"report", "--run", out}, &stdout, &stderr); code != exitOK {
		t.Fatalf("report: exit %d: %s", code, stderr.String())
	}
	page, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "重大事项") || !strings.Contains(string(page), "拆分合同规避招标") {
		t.Error("report.html lacks the major family")
	}
}
