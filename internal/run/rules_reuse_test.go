package run

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/rules"
)

// TestRunReusesRuleSet checks that a run given Options.Rules evaluates that
// set and does not read RuleDirs again: the folder named there is removed
// before the run, and the run still finds what the fixture holds.
func TestRunReusesRuleSet(t *testing.T) {
	dir := t.TempDir()
	ruleDir := filepath.Join(dir, "rules")
	if err := os.CopyFS(ruleDir, os.DirFS(filepath.Join("..", "..", "rules"))); err != nil {
		t.Fatal(err)
	}
	set, err := rules.LoadDirs([]string{ruleDir})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(ruleDir); err != nil {
		t.Fatal(err)
	}
	o := Options{DataDir: filepath.Join("..", "..", "fixtures", "shizhong"), OutDir: filepath.Join(dir, "out"),
		RuleDirs: []string{ruleDir}, Rules: set, Scope: Scope{AsOf: civil.MustParse("2025-06-30")}, Version: "test"}
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatalf("run with a read rule set and its folder gone: %v", err)
	}
	defer res.Dataset.Release()
	if len(res.Findings) != 76 {
		t.Errorf("%d findings, want the fixture's 76", len(res.Findings))
	}
}
