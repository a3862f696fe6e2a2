package views_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	_ "github.com/neijiang/xiaowei/detectors/all"
	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/table"
)

// The declared table every test here reads (a name no shipped rule file
// uses, so the tests do not depend on rules/).
const declTables = `tables:
  - name: vt_orders
    key: [order_id]
    date: day
    columns:
      - {name: order_id, kind: id, required: true}
      - {name: village_id, kind: id, required: true}
      - {name: buyer, kind: id}
      - {name: buyer_name, kind: text}
      - {name: step, kind: enum, values: [ask, check, pay]}
      - {name: day, kind: date, required: true}
      - {name: amount, kind: money}
      - {name: qty, kind: int}
`

func writeRules(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "vt.yaml"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestCheckErrors: every problem in a view is reported at its file:line:col
// by `xiaowei check` (engine.Check), before any data is read.
func TestCheckErrors(t *testing.T) {
	cases := []struct {
		name, views, want string
	}{
		{"unknown column in a group", `
  - name: vt_bad
    from: vt_orders
    group:
      by: [village_id, buyer]
      columns: {total: sum(amont)}
`, `vt.yaml:19:24: view vt_bad: group.columns: total: unknown column "amont"`},
		{"type mismatch in an aggregate", `
  - name: vt_bad
    from: vt_orders
    group:
      by: [village_id]
      columns: {total: sum(buyer_name)}
`, `vt.yaml:19:24: view vt_bad: group.columns: total: type mismatch: sum needs a money or int column, got text`},
		{"unknown column in a filter", `
  - name: vt_bad
    from: vt_orders
    filter: amount > 10 && stepp == "ask"
`, `vt.yaml:17:28: view vt_bad: filter: unknown name stepp`},
		{"type mismatch in a filter", `
  - name: vt_bad
    from: vt_orders
    filter: 'buyer_name > 10'
`, `vt.yaml:17:25: view vt_bad: filter: invalid operation: > (mismatched types string and int)`},
		{"key type mismatch in a lookup", `
  - name: vt_bad
    from: vt_orders
    lookup:
      from: vt_orders
      on: [village_id, day]
      to: [village_id, buyer]
      columns: {other: amount}
`, `vt.yaml:20:24: view vt_bad: lookup: type mismatch: key day is date, buyer of vt_orders is string`},
		{"unknown input", `
  - name: vt_bad
    from: vt_nothing
    filter: "true"
`, `vt.yaml:16:11: view vt_bad: from: no table or view "vt_nothing"`},
		{"unknown step of an enum", `
  - name: vt_bad
    from: vt_orders
    sequence: {by: [village_id, buyer], order: day, step: step, steps: [ask, approve]}
`, `vt.yaml:17:15: view vt_bad: sequence: steps: "approve" is not a value of vt_orders.step`},
		{"rule reads a column the view lacks", `
  - name: vt_ok
    from: vt_orders
    group:
      by: [village_id, buyer]
      columns: {n: count()}
rules:
  - {id: VT-X, title: 测试, family: vt, severity: low, on: vt_ok, when: total > 1, subject: "x:{{buyer}}", message: 测试}
`, `vt.yaml:21:71: rule VT-X: when: unknown name total`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeRules(t, declTables+"views:"+tc.views)
			set, err := rules.LoadDirs([]string{dir})
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			errs := engine.Check(set)
			got := errs.Error()
			want := filepath.Join(dir, tc.want)
			if !strings.Contains(got, want) {
				t.Fatalf("check errors:\n%s\nwant one starting %q", got, want)
			}
		})
	}
}

const orders = `order_id,village_id,buyer,buyer_name,step,day,amount,qty
O1,V1,B1,甲,ask,2025-01-01,100.00,1
O2,V1,B1,甲,check,2025-01-03,200.00,2
O3,V1,B2,乙,pay,2025-01-02,50.00,
O4,V1,B1,甲,pay,2025-01-02,300.00,3
O5,V2,B1,甲,ask,2025-02-01,70.00,4
O6,V1,,无,ask,2025-04-15,10.00,5
O7,V1,B1,甲,ask,2025-04-20,40.00,6
`

// build declares the views, loads vt_orders and builds the wanted view.
func build(t *testing.T, views, want string) *table.Table {
	t.Helper()
	dir := writeRules(t, declTables+"views:"+views)
	set, err := rules.LoadDirs([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	spec, _ := contract.Lookup("vt_orders")
	tb, _, rej, err := load.Table(context.Background(), spec, "vt_orders.csv", strings.NewReader(orders), load.Options{})
	if err != nil || len(rej) > 0 {
		t.Fatalf("load: %v %v", err, rej)
	}
	defer tb.Release()
	plan, errs := engine.Compile(set, nil, engine.Geography{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, d := range plan.Declared {
		for _, v := range d.Views() {
			if v.Name != want {
				continue
			}
			in := engine.NewInput(d, map[string]*table.Table{"vt_orders": tb}, civil.MustParse("2025-06-30"), 0, 0, map[string]bool{want: true}, mem, plan.Settings)
			out, err := d.Build(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { out[want].Release(); mem.AssertSize(t, 0) })
			return out[want]
		}
	}
	t.Fatalf("no view %s", want)
	return nil
}

// dump renders a view as CSV-like lines for comparison.
func dump(t *table.Table) string {
	var b strings.Builder
	for i := 0; i < t.Len(); i++ {
		for j := range t.Cols {
			if j > 0 {
				b.WriteByte(',')
			}
			a := t.Rec.Column(j)
			if a.IsNull(i) {
				continue
			}
			if t.Cols[j].Kind == contract.Date {
				b.WriteString(civil.Date(t.Date(t.Cols[j].Name).Value(i)).String())
			} else {
				b.WriteString(a.ValueStr(i))
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// TestOperations runs each operation on data whose answer is worked out by
// hand (money is in fen in the dump).
func TestOperations(t *testing.T) {
	cases := []struct {
		name, views, view, want string
	}{
		{"filter with a param", `
  - name: vt_f
    from: vt_orders
    params: {min: 100}
    filter: amount >= params.min && has_qty
`, "vt_f", "O1,V1,B1,甲,ask,2025-01-01,10000,1\nO2,V1,B1,甲,check,2025-01-03,20000,2\nO4,V1,B1,甲,pay,2025-01-02,30000,3\n"},
		{"group: every aggregate; a null key is in no group", `
  - name: vt_g
    from: vt_orders
    group:
      by: [village_id, buyer]
      columns: {n: count(), nq: count(qty), total: sum(amount), first_day: min(day), last_day: max(day), first_step: first(step), last_step: last(step), steps: count_distinct(step), top: max(buyer_name)}
`, "vt_g", "V1,B1,4,4,64000,2025-01-01,2025-04-20,ask,ask,3,甲\nV1,B2,1,0,5000,2025-01-02,2025-01-02,pay,pay,1,乙\nV2,B1,1,1,7000,2025-02-01,2025-02-01,ask,ask,1,甲\n"},
		{"group by an a|b key of whole numbers: the key column keeps its type (it was built as text, and the view panicked)", `
  - name: vt_gab
    from: vt_orders
    group: {by: [village_id, "qty|qty"], columns: {n: count()}}
`, "vt_gab", "V1,1,1\nV1,2,1\nV1,3,1\nV2,4,1\nV1,5,1\nV1,6,1\n"},
		{"left lookup with aggregates: no match counts 0", `
  - name: vt_pay
    from: vt_orders
    filter: step == "pay"
    group: {by: [village_id, buyer], columns: {paid: sum(amount), pays: count()}}
  - name: vt_l
    from: vt_orders
    filter: step == "ask"
    lookup: {from: vt_pay, on: [village_id, buyer], columns: {paid: paid, pays: count()}}
`, "vt_l", "O1,V1,B1,甲,ask,2025-01-01,10000,1,30000,1\nO5,V2,B1,甲,ask,2025-02-01,7000,4,,0\nO6,V1,,无,ask,2025-04-15,1000,5,,0\nO7,V1,B1,甲,ask,2025-04-20,4000,6,30000,1\n"},
		{"inner expanded lookup: a row per match", `
  - name: vt_e
    from: vt_orders
    filter: step == "pay"
    lookup: {from: vt_orders, on: [village_id, buyer], kind: inner, expand: true, columns: {other: order_id}}
`, "vt_e", "O3,V1,B2,乙,pay,2025-01-02,5000,,O3\nO4,V1,B1,甲,pay,2025-01-02,30000,3,O1\nO4,V1,B1,甲,pay,2025-01-02,30000,3,O2\nO4,V1,B1,甲,pay,2025-01-02,30000,3,O4\nO4,V1,B1,甲,pay,2025-01-02,30000,3,O7\n"},
		{"window of 2 days (day 2 included); a|b key", `
  - name: vt_w
    from: vt_orders
    window: {by: [village_id, "buyer|buyer_name"], order: day, days: 2, best: total, columns: {total: sum(amount)}}
`, "vt_w", "O1,V1,B1,甲,ask,2025-01-01,10000,1,2025-01-01,2025-01-03,3,60000\nO2,V1,B1,甲,check,2025-01-03,20000,2,2025-01-01,2025-01-03,3,60000\nO3,V1,B2,乙,pay,2025-01-02,5000,,2025-01-02,2025-01-02,1,5000\nO4,V1,B1,甲,pay,2025-01-02,30000,3,2025-01-01,2025-01-03,3,60000\nO5,V2,B1,甲,ask,2025-02-01,7000,4,2025-02-01,2025-02-01,1,7000\nO6,V1,,无,ask,2025-04-15,1000,5,2025-04-15,2025-04-15,1,1000\nO7,V1,B1,甲,ask,2025-04-20,4000,6,2025-04-20,2025-04-20,1,4000\n"},
		{"window per quarter", `
  - name: vt_q
    from: vt_orders
    filter: buyer == "B1"
    window: {by: [buyer], order: day, per: quarter, columns: {total: sum(amount), villages: count_distinct(village_id)}}
`, "vt_q", "O1,V1,B1,甲,ask,2025-01-01,10000,1,2025-01-01,2025-02-01,4,67000,2\nO2,V1,B1,甲,check,2025-01-03,20000,2,2025-01-01,2025-02-01,4,67000,2\nO4,V1,B1,甲,pay,2025-01-02,30000,3,2025-01-01,2025-02-01,4,67000,2\nO5,V2,B1,甲,ask,2025-02-01,7000,4,2025-01-01,2025-02-01,4,67000,2\nO7,V1,B1,甲,ask,2025-04-20,4000,6,2025-04-20,2025-04-20,1,4000,1\n"},
		{"sequence: first occurrences, missing and out of order", `
  - name: vt_s
    from: vt_orders
    sequence: {by: [village_id, buyer], order: day, step: step, steps: [ask, check, pay]}
`, "vt_s", "V1,B1,2025-01-01,2025-01-03,2025-01-02,,0,true,4\nV1,B2,,,2025-01-02,ask,check,2,false,1\nV2,B1,2025-02-01,,,check,pay,2,false,1\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := dump(build(t, tc.views, tc.view))
			if got != tc.want {
				t.Errorf("view %s:\n%s\nwant:\n%s", tc.view, got, tc.want)
			}
		})
	}
}

// TestDeclaredTableValidation: a declared table's cells are validated like
// a contract table's: each bad cell is a reject naming the line, the column,
// the value and what was expected; nothing is dropped silently.
func TestDeclaredTableValidation(t *testing.T) {
	dir := writeRules(t, declTables)
	if _, err := rules.LoadDirs([]string{dir}); err != nil {
		t.Fatal(err)
	}
	spec, ok := contract.Lookup("vt_orders")
	if !ok {
		t.Fatal("vt_orders not declared")
	}
	src := `order_id,village_id,buyer,buyer_name,step,day,amount,qty
O1,V1,B1,甲,ask,2025-01-01,100.00,1
O2,V1,B1,甲,approve,2025-01-03,200.00,2
O3,V1,B2,乙,pay,2025-02-30,50.00,
O4,V1,B1,甲,pay,2025-01-02,300.001,3
O5,V2,B1,甲,ask,2025-02-01,70.00,four
O1,V2,B1,甲,ask,2025-02-01,70.00,4
,V2,B1,甲,ask,2025-02-01,70.00,4
`
	tb, st, rej, err := load.Table(context.Background(), spec, "vt_orders.csv", strings.NewReader(src), load.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tb.Release()
	var got []string
	for _, r := range rej {
		got = append(got, fmt.Sprintf("%d %s %q", r.Line, r.Column, r.Value))
	}
	want := []string{`3 step "approve"`, `4 day "2025-02-30"`, `5 amount "300.001"`, `6 qty "four"`, `7 order_id "O1"`, `8 order_id ""`}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("rejects:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if st.Read != 7 || st.Loaded != 1 || st.Rejected != 6 || tb.Len() != 1 {
		t.Errorf("read %d = loaded %d + rejected %d (table %d rows), want 7 = 1 + 6", st.Read, st.Loaded, st.Rejected, tb.Len())
	}
	for _, r := range rej {
		if r.Reason == "" || r.Table != "vt_orders" {
			t.Errorf("reject without a reason or table: %+v", r)
		}
	}
}
