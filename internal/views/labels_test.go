package views_test

import (
	"context"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/table"
)

// A declared enum whose values carry Chinese labels, and one (the old list
// form) without.
const labelTables = `tables:
  - name: vt_deals
    key: [deal_id]
    columns:
      - {name: deal_id, kind: id, required: true}
      - {name: village_id, kind: id, required: true}
      - {name: how, kind: enum, values: {direct: 直接委托, bid: 公开招标}, required: true}
      - {name: stage, kind: enum, values: [open, closed]}
      - {name: note, kind: text}
`

// TestEnumLabels: {{label col}} shows the declared label of an enum value,
// on the table itself and through a view (a lookup's plain column and a
// group's first() keep the labels); {{col}} still shows the code.
func TestEnumLabels(t *testing.T) {
	src := labelTables + `views:
  - name: vt_deal_first
    from: vt_deals
    group: {by: [village_id], columns: {first_how: first(how), n: count()}}
  - name: vt_deal_with_first
    from: vt_deals
    lookup: {from: vt_deal_first, on: [village_id], columns: {first_how: first_how}}
rules:
  - {id: VT-T, title: 测试, family: vt, severity: low, on: vt_deals, when: "true", subject: "d:{{deal_id}}", message: "{{deal_id}}以{{label how}}（{{how}}）发包"}
  - {id: VT-V, title: 测试, family: vt, severity: low, on: vt_deal_with_first, when: "true", subject: "d:{{deal_id}}", message: "{{deal_id}}：本村首份为{{label first_how}}"}
`
	dir := writeRules(t, src)
	set, err := rules.LoadDirs([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if errs := engine.Check(set); len(errs) > 0 {
		t.Fatal(errs)
	}
	spec, _ := contract.Lookup("vt_deals")
	data := "deal_id,village_id,how,stage,note\nD1,V1,direct,open,\nD2,V1,bid,,\nD3,V2,bid,closed,\n"
	tb, _, rej, err := load.Table(context.Background(), spec, "vt_deals.csv", strings.NewReader(data), load.Options{})
	if err != nil || len(rej) > 0 {
		t.Fatalf("load: %v %v", err, rej)
	}
	defer tb.Release()
	plan, errs := engine.Compile(set, nil, engine.Geography{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	views := map[string]*table.Table{"vt_deals": tb}
	asOf := civil.MustParse("2025-06-30")
	for _, d := range plan.Declared {
		want := map[string]bool{"vt_deal_with_first": true}
		in := engine.NewInput(d, map[string]*table.Table{"vt_deals": tb}, asOf, 0, 0, want, mem, plan.Settings)
		out, err := d.Build(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		for name, v := range out {
			views[name] = v
			defer v.Release()
		}
	}
	res, err := engine.Evaluate(context.Background(), plan, views, engine.EvalOptions{AsOf: asOf, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.RuleID+" "+f.Message)
	}
	sort.Strings(got)
	want := []string{
		"VT-T D1以直接委托（direct）发包",
		"VT-T D2以公开招标（bid）发包",
		"VT-T D3以公开招标（bid）发包",
		"VT-V D1：本村首份为直接委托",
		"VT-V D2：本村首份为直接委托",
		"VT-V D3：本村首份为公开招标",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("messages:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestEnumLabelErrors: a label of a column that is not there, is not an
// enum, or is an enum without labels, and a value without a label, are
// reported at file:line:col by check (the column of the name or label).
func TestEnumLabelErrors(t *testing.T) {
	rule := func(msg string) string {
		return labelTables + "rules:\n  - {id: VT-L, title: 测试, family: vt, severity: low, on: vt_deals, when: \"true\", subject: \"d:{{deal_id}}\", message: \"" + msg + "\"}\n"
	}
	cases := []struct{ name, src, want string }{
		{"unknown column", rule("按{{label hw}}发包"), `vt.yaml:11:127: rule VT-L: message: unknown column "hw" in {{label hw}}`},
		{"not an enum", rule("按{{label note}}发包"), `vt.yaml:11:127: rule VT-L: message: {{label note}}: column "note" is a text column`},
		{"an enum without labels", rule("{{deal_id}}：{{label stage}}"), `vt.yaml:11:138: rule VT-L: message: {{label stage}}: column "stage" is an enum without labels`},
		{"a value without a label", strings.Replace(labelTables, "bid: 公开招标", `bid: ""`, 1), `vt.yaml:7:61: values.bid: want the value's Chinese label`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeRules(t, tc.src)
			set, err := rules.LoadDirs([]string{dir})
			var got string
			if err != nil {
				got = err.Error()
			} else {
				got = engine.Check(set).Error()
			}
			if want := filepath.Join(dir, tc.want); !strings.Contains(got, want) {
				t.Fatalf("errors:\n%s\nwant one starting %q", got, want)
			}
		})
	}
}
