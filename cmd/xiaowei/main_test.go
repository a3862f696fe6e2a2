package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neijiang/xiaowei/internal/fixturetest"
)

func ledgerRows() []string {
	return []string{
		"E1,511002101204,2024-01-01,V1,cash,in,3000.00,opening,,期初,,",
		"E2,511002101204,2024-01-05,V2,cash,out,1200.00,expense,某五金店,购材料,P1,",
		"E3,511002101204,2024-01-06,V3,cash,out,999.99,expense,某五金店,购材料,P1,",
		"E4,511002101204,2024-01-07,V4,cash,out,1000.00,expense,某饭店,接待,P1,",
		"E5,511002101204,2024-01-08,V5,bank,out,5000.00,expense,某公司,工程款,P1,",
		"E6,511002101204,2024-13-09,V6,cash,out,1500.00,expense,某饭店,接待,P1,", // line 7: bad date
		"E7,511002101204,2025-07-09,V7,cash,out,1500.00,expense,某饭店,接待,P1,", // after as_of
	}
}

func setup(t *testing.T) (data, rulesDir string) {
	dir := t.TempDir()
	data, rulesDir = filepath.Join(dir, "data"), filepath.Join(dir, "rules")
	os.MkdirAll(data, 0o755)
	os.MkdirAll(rulesDir, 0o755)
	fixturetest.WriteDataset(t, data, map[string][]string{
		"villages": {"511002101204,牛桥村,511002101,史家镇,511002,市中区"},
		"ledger":   ledgerRows(),
	})
	os.WriteFile(filepath.Join(rulesDir, "cash.yaml"), []byte(fixturetest.LargeCashRule), 0o644)
	return data, rulesDir
}

func TestRunEndToEnd(t *testing.T) {
	data, rulesDir := setup(t)
	out := filepath.Join(t.TempDir(), "out")
	var stdout, stderr bytes.Buffer
	code := dispatch(context.Background(), []string{"run", "--data", data, "--out", out, "--rules", rulesDir, "--builtin-rules=false", "--as-of", "2025-06-30"}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	first, err := os.ReadFile(filepath.Join(out, "findings.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(first)), "\n")
	var subjects []string
	for _, l := range lines {
		var f map[string]any
		if err := json.Unmarshal([]byte(l), &f); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"finding_id", "rule_id", "family", "severity", "village_id", "subject", "period", "amount", "message", "evidence"} {
			if _, ok := f[k]; !ok {
				t.Errorf("finding lacks contract field %q: %s", k, l)
			}
		}
		subjects = append(subjects, f["subject"].(string))
	}
	if got := strings.Join(subjects, " "); got != "entry:E2 entry:E4" {
		t.Errorf("findings %q, want entry:E2 entry:E4 (E3 is a fen below, E5 is bank, E6 rejected, E7 after as_of)", got)
	}
	if !strings.Contains(string(first), `"amount":1200.00`) {
		t.Errorf("amount not exact two-decimal JSON number: %s", first)
	}

	// rejected.csv names line 7, the column and the reason.
	rej, _ := os.ReadFile(filepath.Join(out, "rejected.csv"))
	r := csv.NewReader(bytes.NewReader(rej))
	recs, err := r.ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("rejected.csv: %v %q", err, rej)
	}
	if recs[1][0] != "ledger" || recs[1][2] != "7" || recs[1][3] != "date" || recs[1][4] != "2024-13-09" || recs[1][5] == "" {
		t.Errorf("reject row %v", recs[1])
	}

	// summary: read = loaded + rejected, and the as_of cut is counted.
	var sum struct {
		Tables []struct {
			Table                             string
			Read, Loaded, Rejected, AfterAsOf int
		} `json:"tables"`
	}
	b, _ := os.ReadFile(filepath.Join(out, "summary.json"))
	json.Unmarshal(b, &sum)
	for _, tb := range sum.Tables {
		if tb.Table == "ledger" && (tb.Read != 7 || tb.Loaded != 6 || tb.Rejected != 1) {
			t.Errorf("ledger counts %+v", tb)
		}
	}
	if !strings.Contains(string(b), `"after_as_of": 1`) {
		t.Errorf("summary does not count the row after as_of: %s", b)
	}

	// A second run gives a byte-identical findings.jsonl.
	if code := dispatch(context.Background(), []string{"run", "--data", data, "--out", out, "--rules", rulesDir, "--builtin-rules=false", "--as-of", "2025-06-30"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("second run exit %d", code)
	}
	second, _ := os.ReadFile(filepath.Join(out, "findings.jsonl"))
	if !bytes.Equal(first, second) {
		t.Error("second run's findings.jsonl differs")
	}
	// --strict turns the rejected row into exit 2.
	if code := dispatch(context.Background(), []string{"run", "--strict", "--data", data, "--out", out, "--rules", rulesDir, "--builtin-rules=false", "--as-of", "2025-06-30"}, &stdout, &stderr); code != exitBadInput {
		t.Errorf("--strict exit %d, want 2", code)
	}
}

func TestCheckNamesBothProblems(t *testing.T) {
	dir := t.TempDir()
	bad := strings.Replace(fixturetest.LargeCashRule, "    severity: low\n", "    severity: low\n    colour: red\n", 1)
	bad = strings.Replace(bad, "amount >= params.threshold", "amout >= params.threshold", 1)
	os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte(bad), 0o644)
	var stdout, stderr bytes.Buffer
	code := dispatch(context.Background(), []string{"check", dir}, &stdout, &stderr)
	if code != exitBadInput {
		t.Fatalf("exit %d, want 2", code)
	}
	msg := stderr.String()
	if !strings.Contains(msg, "bad.yaml:6:5: rule: unknown field \"colour\"") {
		t.Errorf("unknown field not named with file:line:col:\n%s", msg)
	}
	if !strings.Contains(msg, "bad.yaml:8:54: rule TEST-LARGE-CASH: when: unknown name amout") {
		t.Errorf("unknown column not named with file:line:col:\n%s", msg)
	}
}

// A rule that fails at run time on every row is counted and reported; the
// other rules still produce their findings.
func TestRuntimeErrorsReportedOthersFinish(t *testing.T) {
	data, rulesDir := setup(t)
	broken := `rules:
  - id: TEST-BROKEN
    title: 坏规则
    family: cash
    severity: low
    on: ledger
    when: int(summary) > 0
    subject: "entry:{{entry_id}}"
    message: "x"
`
	os.WriteFile(filepath.Join(rulesDir, "broken.yaml"), []byte(broken), 0o644)
	out := filepath.Join(t.TempDir(), "out")
	var stdout, stderr bytes.Buffer
	code := dispatch(context.Background(), []string{"run", "--data", data, "--out", out, "--rules", rulesDir, "--builtin-rules=false", "--as-of", "2025-06-30"}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "rule TEST-BROKEN failed on 5 rows") {
		t.Errorf("runtime errors not reported:\n%s", stdout.String())
	}
	b, _ := os.ReadFile(filepath.Join(out, "findings.jsonl"))
	if strings.Count(string(b), "\n") != 2 {
		t.Errorf("the healthy rule's findings are missing:\n%s", b)
	}
	sum, _ := os.ReadFile(filepath.Join(out, "summary.json"))
	if !strings.Contains(string(sum), `"error_samples"`) {
		t.Errorf("summary has no error samples:\n%s", sum)
	}
}
