package campaign

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/yamlpos/goldentest"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/*.bad.yaml.golden from Parse's output (review the diff!)")

// Every problem in a campaign file is reported at its file:line:col.
func TestBadFilesGolden(t *testing.T) {
	goldentest.Run(t, *updateGolden, func(file string) error {
		_, err := Load(file)
		return err
	})
}

func TestParse(t *testing.T) {
	c, err := Parse("c.yaml", []byte("campaign:\n  id: cash-2025\n  name: 现金管理专项督查\n  towns: [\"511002103\"]\n  from: 2025-01-01\n  to: 2025-06-30\n  rules: [CASH-*, \"family:relative\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "现金管理专项督查" || c.Towns[0] != "511002103" {
		t.Fatalf("%+v", c)
	}
	for _, tc := range []struct{ name, src, want string }{
		{"unknown field", "campaign:\n  name: x\n  bogus: 1\n", `c.yaml:3:3: campaign: unknown field "bogus"`},
		{"no name", "campaign:\n  id: x\n", "c.yaml:2:3: campaign.name is required"},
		{"bad date", "campaign:\n  name: x\n  from: 2025-13-01\n", `c.yaml:3:9: campaign.from: "2025-13-01" is not a calendar date`},
		{"empty window", "campaign:\n  name: x\n  from: 2025-02-01\n  to: 2025-01-01\n", "c.yaml:3:9: campaign.from 2025-02-01 is after campaign.to 2025-01-01"},
		{"short town", "campaign:\n  name: x\n  towns: [\"5110\"]\n", `c.yaml:3:11: campaign.towns: "5110" is not a 9-digit town code`},
		{"no campaign", "other: 1\n", `c.yaml:1:1: document: unknown field "other"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(tc.src))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error %v, want one starting %q", err, tc.want)
			}
		})
	}
}

func TestExpand(t *testing.T) {
	dir := t.TempDir()
	rule := func(id, fam string) string {
		return "  - id: " + id + "\n    title: t\n    family: " + fam + "\n    severity: low\n    on: ledger\n    when: amount > 0\n    subject: \"entry:{{entry_id}}\"\n    message: m\n"
	}
	os.WriteFile(filepath.Join(dir, "r.yaml"), []byte("rules:\n"+rule("CASH-A", "cash")+rule("CASH-B", "cash")+rule("REL-A", "relative")+rule("DIS-A", "disclosure")), 0o644)
	set, err := rules.LoadDirs([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	c := &Campaign{Name: "x", Rules: []string{"CASH-*", "family:relative"}}
	only, err := c.Expand(set)
	if err != nil || len(only) != 3 || only["DIS-A"] || strings.Join(c.RuleIDs, ",") != "CASH-A,CASH-B,REL-A" {
		t.Fatalf("%v %v %v", only, c.RuleIDs, err)
	}
	c.Rules = []string{"CASH-X"}
	if _, err := c.Expand(set); err == nil {
		t.Fatal("pattern matching nothing accepted")
	}
}
