package views_test

import (
	"context"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/table"
)

// TestHandedView: a declared view reading a Go detector's view names it
// (engine.ViewReader) and, when the run hands it over in Input.Views,
// reads that table instead of building it (here it could not: the tables
// cadre_relatives is built from are absent), and leaves it unreleased.
func TestHandedView(t *testing.T) {
	src := `views:
  - name: vt_cadres
    from: cadre_relatives
    filter: via == "self"
  - name: vt_cadre_count
    from: vt_cadres
    group: {by: [village_id], columns: {n: count()}}
  - name: vt_unrelated
    from: vt_orders
    filter: qty > 1
`
	set, err := rules.LoadDirs([]string{writeRules(t, declTables+src)})
	if err != nil {
		t.Fatal(err)
	}
	plan, errs := engine.Compile(set, nil, engine.Geography{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	d := plan.Declared[0]
	reader, ok := d.(engine.ViewReader)
	if !ok {
		t.Fatal("a declared views detector is not an engine.ViewReader")
	}
	want := map[string]bool{"vt_cadre_count": true}
	if got := reader.ReadsViews(want); !slices.Equal(got, []string{"cadre_relatives"}) {
		t.Errorf("ReadsViews(vt_cadre_count) = %q, want [cadre_relatives]", got)
	}
	if got := reader.ReadsViews(map[string]bool{"vt_unrelated": true}); len(got) != 0 {
		t.Errorf("ReadsViews(vt_unrelated) = %q, want none", got)
	}

	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	spec, _, _ := engine.LookupView("cadre_relatives")
	b := table.NewBuilder(mem, "cadre_relatives", spec.Cols)
	for _, r := range [][3]string{{"V1", "P1", "self"}, {"V1", "P2", "household"}, {"V1", "P3", "self"}, {"V2", "P4", "self"}} {
		b.SetStr(b.Col("village_id"), r[0])
		b.SetStr(b.Col("cadre_id"), r[1])
		b.SetStr(b.Col("person_id"), r[1])
		b.SetStr(b.Col("via"), r[2])
		b.Next()
	}
	handed := b.Finish()
	in := engine.NewInput(d, map[string]*table.Table{}, civil.MustParse("2025-06-30"), 0, 0, want, mem, plan.Settings)
	in.Views = map[string]*table.Table{"cadre_relatives": handed}
	out, err := d.Build(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if got := dump(out["vt_cadre_count"]); got != "V1,2\nV2,1\n" {
		t.Errorf("vt_cadre_count =\n%s", got)
	}
	out["vt_cadre_count"].Release()
	if handed.Len() != 4 {
		t.Fatal("handed view changed")
	}
	handed.Release()
	mem.AssertSize(t, 0)
}
