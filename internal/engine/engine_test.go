package engine

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/table"
)

func loadRules(t *testing.T, files map[string]string) (*rules.Set, error) {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return rules.LoadDirs([]string{dir})
}

const largeRule = `rules:
  - id: CASH-LARGE
    title: 大额现金支付
    family: cash
    severity: low
    on: ledger
    when: account == "cash" && direction == "out" && amount >= params.threshold
    params:
      threshold: 1000
    subject: "entry:{{entry_id}}"
    period: "{{date}}"
    amount: amount
    message: "{{date}}现金支付{{amount}}元"
`

type ledgerRow struct {
	id, village, date, account, dir string
	fen                             int64
}

func ledgerTable(rows []ledgerRow) *table.Table {
	spec, _ := contract.Lookup("ledger")
	b := table.NewBuilder(nil, "ledger", table.ContractCols(spec))
	for _, r := range rows {
		b.SetStr(b.Col("entry_id"), r.id)
		b.SetStr(b.Col("village_id"), r.village)
		b.SetDate(b.Col("date"), civil.MustParse(r.date))
		b.SetStr(b.Col("account"), r.account)
		b.SetStr(b.Col("direction"), r.dir)
		b.SetInt(b.Col("amount"), r.fen)
		b.SetStr(b.Col("category"), "expense")
		b.Next()
	}
	return b.Finish()
}

func TestEvaluateWithOverrides(t *testing.T) {
	set, err := loadRules(t, map[string]string{"cash.yaml": largeRule, "local.yaml": `overrides:
  - town_id: "T1"
    rules:
      CASH-LARGE: {params: {threshold: 2000}}
  - village_id: "V3"
    rules:
      CASH-LARGE: {enabled: false}
`})
	if err != nil {
		t.Fatal(err)
	}
	geo := Geography{"V1": "T0", "V2": "T1", "V3": "T1"}
	plan, errs := Compile(set, nil, geo)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	tb := ledgerTable([]ledgerRow{
		{"E1", "V1", "2024-03-01", "cash", "out", 100000}, // exactly 1000: fires
		{"E2", "V1", "2024-03-01", "cash", "out", 99999},  // one fen below
		{"E3", "V2", "2024-03-02", "cash", "out", 150000}, // town limit 2000: no
		{"E4", "V2", "2024-03-02", "cash", "out", 200000}, // fires at town limit
		{"E5", "V3", "2024-03-02", "cash", "out", 900000}, // disabled in V3
		{"E6", "V1", "2024-03-03", "bank", "out", 900000}, // bank
	})
	defer tb.Release()
	res, err := Evaluate(context.Background(), plan, map[string]*table.Table{"ledger": tb}, EvalOptions{AsOf: civil.MustParse("2025-06-30")})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.Subject+"@"+f.Amount.String())
	}
	want := "entry:E1@1000.00 entry:E4@2000.00"
	if strings.Join(got, " ") != want {
		t.Fatalf("got %v, want %s", got, want)
	}
	f := res.Findings[1]
	if f.Evidence["params_scope"] != "town:T1" || f.Evidence["params"].(map[string]any)["threshold"] != int64(2000) {
		t.Errorf("evidence does not record the town params: %v", f.Evidence)
	}
	if f.Message != "2024-03-02现金支付2,000.00元" {
		t.Errorf("message %q", f.Message)
	}
}

func TestCheckReportsPositions(t *testing.T) {
	src := `rules:
  - id: CASH-LARGE
    title: 大额现金支付
    family: cash
    colour: red
    severity: low
    on: ledger
    when: account == "cash" && amout > 5
    subject: "entry:{{entry_id}}"
    message: "x"
`
	set, err := loadRules(t, map[string]string{"bad.yaml": src})
	errs, _ := err.(rules.Errors)
	errs = append(errs, Check(set)...)
	all := errs.Error()
	if !strings.Contains(all, "bad.yaml:5:5: rule: unknown field \"colour\"") {
		t.Errorf("unknown field not reported at 5:5:\n%s", all)
	}
	// "amout" starts at column 32 of line 8 (1-based)
	if !strings.Contains(all, "bad.yaml:8:32:") || !strings.Contains(all, "amout") {
		t.Errorf("unknown column not reported at 8:32:\n%s", all)
	}
}

func rulesFromString(tb testing.TB, src string) (*rules.Set, error) {
	dir := tb.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "r.yaml"), []byte(src), 0o644); err != nil {
		tb.Fatal(err)
	}
	return rules.LoadDirs([]string{dir})
}

// TestTemplateContractLabels: the contract's own labelled enums (a cadre's
// role) show in Chinese through {{label role}}; {{role}} keeps the code.
func TestTemplateContractLabels(t *testing.T) {
	set, err := loadRules(t, map[string]string{"roles.yaml": `rules:
  - {id: ROLE-T, title: 测试, family: cash, severity: low, on: cadres, when: "true", subject: "cadre:{{person_id}}", message: "{{person_id}}任{{label role}}（{{role}}）"}
`})
	if err != nil {
		t.Fatal(err)
	}
	plan, errs := Compile(set, nil, Geography{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	spec, _ := contract.Lookup("cadres")
	b := table.NewBuilder(nil, "cadres", table.ContractCols(spec))
	for _, r := range [][2]string{{"P1", "secretary"}, {"P2", "cashier"}} {
		b.SetStr(b.Col("person_id"), r[0])
		b.SetStr(b.Col("village_id"), "V1")
		b.SetStr(b.Col("role"), r[1])
		b.SetDate(b.Col("term_start"), civil.MustParse("2021-01-01"))
		b.Next()
	}
	tb := b.Finish()
	defer tb.Release()
	res, err := Evaluate(context.Background(), plan, map[string]*table.Table{"cadres": tb}, EvalOptions{AsOf: civil.MustParse("2025-06-30")})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.Message)
	}
	sort.Strings(got)
	if want := "P1任书记（secretary）|P2任出纳/报账员（cashier）"; strings.Join(got, "|") != want {
		t.Errorf("messages %q, want %q", strings.Join(got, "|"), want)
	}
}
