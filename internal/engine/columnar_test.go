package engine

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/table"
)

// A view with a column of every kind, for the differential test.
var colTestCols = []table.Col{
	{Name: "row_id", Kind: contract.ID},
	{Name: "village_id", Kind: contract.ID},
	{Name: "s1", Kind: contract.Text},
	{Name: "s2", Kind: contract.Enum},
	{Name: "m1", Kind: contract.Month},
	{Name: "amt", Kind: contract.Money},
	{Name: "amt2", Kind: contract.Money},
	{Name: "d1", Kind: contract.Date},
	{Name: "d2", Kind: contract.Date},
	{Name: "n1", Kind: contract.Int},
	{Name: "n2", Kind: contract.Int},
	{Name: "f1", Kind: contract.Float},
	{Name: "b1", Kind: contract.Bool},
	{Name: "b2", Kind: contract.Bool},
}

type colTestDetector struct{}

func (colTestDetector) Name() string            { return "coltest" }
func (colTestDetector) Settings() []SettingSpec { return nil }
func (colTestDetector) Views() []ViewSpec {
	return []ViewSpec{{Name: "coltest_rows", Cols: colTestCols, DateCol: "d1"}}
}
func (colTestDetector) Build(context.Context, *Input) (map[string]*table.Table, error) {
	return nil, nil
}

func init() { Register(colTestDetector{}) }

var colStrs = []string{"a", "b", "c", "ab", "", "现金", "bank"}

func colTestTable(r *rand.Rand, n int) *table.Table {
	b := table.NewBuilder(nil, "coltest_rows", colTestCols)
	null := func() bool { return r.IntN(5) == 0 }
	base := civil.MustParse("2024-01-01")
	for i := 0; i < n; i++ {
		b.SetStr(0, fmt.Sprintf("R%05d", i))
		// villages mostly in runs (as views are), sometimes interleaved
		v := i / 97 % 6
		if r.IntN(10) == 0 {
			v = r.IntN(6)
		}
		if !(r.IntN(40) == 0) {
			b.SetStr(1, fmt.Sprintf("V%d", v))
		}
		for _, c := range []int{2, 3, 4} {
			if !null() {
				b.SetStr(c, colStrs[r.IntN(len(colStrs))])
			}
		}
		for _, c := range []int{5, 6} {
			if !null() {
				b.SetInt(c, int64(r.IntN(400000)-20000))
			}
		}
		for _, c := range []int{7, 8} {
			if !null() {
				b.SetDate(c, base+civil.Date(r.IntN(500)))
			}
		}
		for _, c := range []int{9, 10} {
			if !null() {
				b.SetInt(c, int64(r.IntN(21)-5))
			}
		}
		if !null() {
			b.SetFloat(11, float64(r.IntN(2000))/8-50)
		}
		for _, c := range []int{12, 13} {
			if !null() {
				b.SetBool(c, r.IntN(2) == 0)
			}
		}
		b.Next()
	}
	return b.Finish()
}

// exprGen writes random, well-typed expressions.
type exprGen struct{ r *rand.Rand }

func (g exprGen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

func (g exprGen) boolean(d int) string {
	if d <= 0 {
		switch g.r.IntN(6) {
		case 0:
			return g.pick("b1", "b2", "params.flag", "true", "false")
		case 1:
			return g.pick("has_s1", "has_amt", "has_d1", "has_n1", "has_f1", "has_b1", "has_village_id")
		case 2:
			return g.str(0) + " " + g.pick("==", "!=", "<", ">=") + " " + g.str(0)
		case 3:
			return g.str(0) + g.pick(" in ", " not in ") + g.strList()
		default:
			return g.num(0) + " " + g.pick("==", "!=", "<", "<=", ">", ">=") + " " + g.num(0)
		}
	}
	switch g.r.IntN(12) {
	case 0, 1:
		return "(" + g.boolean(d-1) + ") && (" + g.boolean(d-1) + ")"
	case 2, 3:
		return "(" + g.boolean(d-1) + ") || (" + g.boolean(d-1) + ")"
	case 4:
		return "!(" + g.boolean(d-1) + ")"
	case 5:
		return "not (" + g.boolean(d-1) + ") " + g.pick("and", "or") + " " + g.boolean(d-1)
	case 6:
		return g.num(d-1) + " " + g.pick("==", "!=", "<", "<=", ">", ">=") + " " + g.num(d-1)
	case 7:
		return g.str(0) + " in " + g.pick("params.kinds", g.strList())
	case 8:
		return g.pick("n1", "n2", "d1 - d2") + g.pick(" in ", " not in ") + g.pick("[1, 2, 3]", "[0, -1]", "[5, 2.5]", `[1, "a"]`)
	case 9:
		return g.str(0) + " " + g.pick("contains", "startsWith", "endsWith") + " " + g.str(0)
	case 10:
		return "(" + g.boolean(d-1) + ") == (" + g.boolean(d-1) + ")"
	default:
		return g.boolean(0)
	}
}

func (g exprGen) strList() string {
	n := 1 + g.r.IntN(3)
	var xs []string
	for i := 0; i < n; i++ {
		xs = append(xs, fmt.Sprintf("%q", colStrs[g.r.IntN(len(colStrs))]))
	}
	return "[" + strings.Join(xs, ", ") + "]"
}

func (g exprGen) str(int) string {
	return g.pick("s1", "s2", "m1", "village_id", "params.kind", `"a"`, `"ab"`, `""`, `"现金"`)
}

func (g exprGen) num(d int) string {
	if d <= 0 || g.r.IntN(3) == 0 {
		switch g.r.IntN(4) {
		case 0:
			return g.pick("amt", "amt2", "f1", "params.threshold", "params.ratio")
		case 1:
			return g.pick("n1", "n2", "d1", "d2", "params.days", "as_of", "from", "to")
		case 2:
			return g.pick("0", "1", "3", "-2", "1000", "0.5", "2.25", "1e3")
		default:
			return g.pick(`day("2024-06-01")`, "d1 - d2", "as_of - d1", "-n1", "amt * 100")
		}
	}
	return "(" + g.num(d-1) + " " + g.pick("+", "-", "*", "/") + " " + g.num(d-1) + ")"
}

const colRuleTpl = `  - id: R-%d
    title: 随机规则
    family: test
    severity: low
    on: coltest_rows
    when: %s
    params: {threshold: 1000, ratio: 0.5, days: 30, flag: true, kind: "a", kinds: ["a", "c", "bank"]}
    escalate:
      - {when: amt >= params.threshold * 50, severity: high}
    subject: "row:{{row_id}}"
    period: "{{m1}}"
    amount: %s
    message: "{{s1}} {{amt}} {{params.threshold}}"
    evidence: [row_id, amt]
`

const colOverrides = `overrides:
  - town_id: "T1"
    rules:
%s
  - village_id: "V4"
    rules:
%s
  - village_id: "V5"
    rules:
%s
`

func TestColumnarMatchesVM(t *testing.T) {
	seed := uint64(20250630)
	r := rand.New(rand.NewPCG(seed, 7))
	g := exprGen{r}
	const nRules = 200
	var src, town, v4, v5 strings.Builder
	src.WriteString("rules:\n")
	var whens []string
	for i := 0; i < nRules; i++ {
		w := g.boolean(1 + r.IntN(4))
		whens = append(whens, w)
		amount := g.pick("amt", "amt2 + 1", "n1")
		fmt.Fprintf(&src, colRuleTpl, i, yamlQuote(w), yamlQuote(amount))
		fmt.Fprintf(&town, "      R-%d: {params: {threshold: %d, kind: b, flag: false}}\n", i, r.IntN(3000))
		fmt.Fprintf(&v4, "      R-%d: {params: {ratio: %g, days: %d, kinds: [b, \"\"]}}\n", i, float64(r.IntN(8))/4, r.IntN(60))
		fmt.Fprintf(&v5, "      R-%d: {enabled: %v}\n", i, r.IntN(2) == 0)
	}
	dir := t.TempDir()
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("rules.yaml", src.String())
	write("local.yaml", fmt.Sprintf(colOverrides, town.String(), v4.String(), v5.String()))
	set, err := rules.LoadDirs([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	geo := Geography{"V0": "T0", "V1": "T1", "V2": "T1", "V3": "T0", "V4": "T1", "V5": "T0"}
	plan, errs := Compile(set, nil, geo)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	translated := 0
	for _, c := range plan.Rules {
		if c.col != nil {
			translated++
		}
	}
	t.Logf("%d of %d random rules evaluated column-wise", translated, len(plan.Rules))
	if translated < len(plan.Rules)*3/4 || testing.Verbose() {
		for i, c := range plan.Rules {
			if c.col == nil && i < 400 && testing.Verbose() {
				t.Logf("VM only: %s", whens[i])
			}
		}
		if translated < len(plan.Rules)*3/4 {
			t.Errorf("only %d of %d rules translated", translated, len(plan.Rules))
		}
	}
	tb := colTestTable(r, 800)
	defer tb.Release()
	views := map[string]*table.Table{"coltest_rows": tb}
	for _, opt := range []EvalOptions{
		{AsOf: civil.MustParse("2025-06-30"), ChunkRows: 1000, Towns: map[string]string{"V1": "T1"}},
		{AsOf: civil.MustParse("2025-06-30"), From: civil.MustParse("2024-03-01"), To: civil.MustParse("2024-12-31"), ChunkRows: 777, Workers: 3},
	} {
		col, err := Evaluate(context.Background(), plan, views, opt)
		if err != nil {
			t.Fatal(err)
		}
		opt.RowWise = true
		vmr, err := Evaluate(context.Background(), plan, views, opt)
		if err != nil {
			t.Fatal(err)
		}
		var a, b bytes.Buffer
		if err := findings.WriteJSONL(&a, col.Findings); err != nil {
			t.Fatal(err)
		}
		if err := findings.WriteJSONL(&b, vmr.Findings); err != nil {
			t.Fatal(err)
		}
		t.Logf("window %v..%v: %d findings, %d bytes", opt.From, opt.To, len(col.Findings), a.Len())
		if len(col.Findings) == 0 {
			t.Fatal("no findings at all: the test data does not exercise the rules")
		}
		for i := range col.Stats {
			cs, vs := col.Stats[i], vmr.Stats[i]
			if cs.RuleID != vs.RuleID || cs.Rows != vs.Rows || cs.Fired != vs.Fired || cs.Errors != vs.Errors {
				var w string
				for j, c := range plan.Rules {
					if c.Rule.ID == cs.RuleID {
						w = whens[j]
					}
				}
				t.Errorf("%s (%s): column-wise rows %d fired %d errors %d; VM rows %d fired %d errors %d %v",
					cs.RuleID, w, cs.Rows, cs.Fired, cs.Errors, vs.Rows, vs.Fired, vs.Errors, vs.Samples)
			}
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("findings.jsonl differ (column-wise %d bytes, VM %d bytes)", a.Len(), b.Len())
		}
	}
}

func yamlQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// TestColumnarFallback: rules outside the supported set run on the VM.
func TestColumnarFallback(t *testing.T) {
	for when, want := range map[string]bool{
		`amt >= params.threshold && s1 == "a"`:      true,
		`s2 in ["a", "b"] || !b1`:                   true,
		`d1 - d2 > params.days && has_d2`:           true,
		`n1 % 2 == 0`:                               false,
		`month_of(d1) == "2024-03"`:                 false,
		`len(s1) > 1`:                               false,
		`(s1 + s2) == "ab"`:                         false,
		`amt > 0 ? b1 : b2`:                         false,
		`s1 matches "^a"`:                           false,
		`d1 >= day("2024-03-01")`:                   true,
		`s1 in params.kinds and not (n1 in [1, 2])`: true,
	} {
		src := fmt.Sprintf("rules:\n"+colRuleTpl, 1, yamlQuote(when), "amt")
		set, err := rulesFromString(t, src)
		if err != nil {
			t.Fatal(err)
		}
		plan, errs := Compile(set, nil, Geography{})
		if len(errs) > 0 {
			t.Fatalf("%s: %v", when, errs)
		}
		if got := plan.Rules[0].col != nil; got != want {
			t.Errorf("%s: column-wise %v, want %v", when, got, want)
		}
	}
}

// BenchmarkThreeConditionPath compares the two evaluation paths on the
// three-condition rule of BenchmarkThreeConditionRule (1M ledger rows):
//
//	go test -run XXX -bench ThreeConditionPath -count 6 ./internal/engine/ | benchstat -col /path -
func BenchmarkThreeConditionPath(b *testing.B) {
	const n = 1_000_000
	rows := make([]ledgerRow, n)
	for i := range rows {
		acct, dir := "cash", "out"
		if i%3 == 0 {
			acct = "bank"
		}
		if i%5 == 0 {
			dir = "in"
		}
		rows[i] = ledgerRow{fmt.Sprintf("E%d", i), fmt.Sprintf("V%d", i/1000), "2024-03-01", acct, dir, int64(i%1000) * 101}
	}
	tb := ledgerTable(rows)
	defer tb.Release()
	// A threshold few rows reach, so the benchmark measures the condition,
	// not finding construction.
	set, err := rulesFromString(b, strings.Replace(largeRule, "threshold: 1000", "threshold: 1005", 1))
	if err != nil {
		b.Fatal(err)
	}
	plan, errs := Compile(set, nil, Geography{})
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	views := map[string]*table.Table{"ledger": tb}
	for _, path := range []string{"vm", "columnar"} {
		b.Run("path="+path, func(b *testing.B) {
			opt := EvalOptions{AsOf: civil.MustParse("2025-06-30"), RowWise: path == "vm"}
			b.ReportAllocs()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for i := 0; i < b.N; i++ {
				if _, err := Evaluate(context.Background(), plan, views, opt); err != nil {
					b.Fatal(err)
				}
			}
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N*n), "allocs/row")
		})
	}
}
