package cadrekin

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/table"
)

func loadTable(tb testing.TB, name, body string) *table.Table {
	tb.Helper()
	spec, _ := contract.Lookup(name)
	t, _, rej, err := load.Table(context.Background(), spec, name+".csv", strings.NewReader(spec.Header()+"\n"+body), load.Options{})
	if err != nil || len(rej) > 0 {
		tb.Fatalf("%s: %v %v", name, err, rej)
	}
	tb.Cleanup(t.Release)
	return t
}

func build(tb testing.TB, tables map[string]*table.Table) *table.Table {
	tb.Helper()
	in := engine.NewInput(detector{}, tables, 0, 0, 0, map[string]bool{View: true}, memory.DefaultAllocator, nil)
	out, err := detector{}.Build(context.Background(), in)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(out[View].Release)
	return out[View]
}

// TestCadreRelatives builds the view over a register where the answer is
// known: the cadre, the members of the cadre's household (and no one from
// a household the register lists before or after it), and a declared
// relative in either direction.
func TestCadreRelatives(t *testing.T) {
	const v = "511002101204"
	person := func(id, hh, rel string) string {
		return id + ",某," + "M,1970-01-01," + hh + "," + rel + "," + v + ",\n"
	}
	tables := map[string]*table.Table{
		"persons": loadTable(t, "persons", person("P1", "H0", "head")+person("C1", "H1", "head")+person("S1", "H1", "spouse")+
			person("P2", "H2", "head")+person("K1", "H1", "child")+person("B1", "H3", "head")),
		"cadres":  loadTable(t, "cadres", "C1,"+v+",secretary,2021-01-01,\n"),
		"kinship": loadTable(t, "kinship", "B1,C1,sibling\nC1,P2,parent\n"),
	}
	got := build(t, tables)
	want := []string{"C1 self self", "S1 spouse household", "K1 child household", "B1 sibling kinship", "P2 parent kinship"}
	pid, rel, via := got.Str("person_id"), got.Str("relation"), got.Str("via")
	var rows []string
	for i := 0; i < got.Len(); i++ {
		rows = append(rows, pid.Value(i)+" "+rel.Value(i)+" "+via.Value(i))
	}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
}

// BenchmarkCadreRelatives reports ns per register row: 200,000 persons in
// households of four, one cadre in a hundred households (the M dataset's
// proportions).
func BenchmarkCadreRelatives(b *testing.B) {
	const households = 50_000
	var persons, cadres strings.Builder
	for h := 0; h < households; h++ {
		for m, rel := range []string{"head", "spouse", "child", "child"} {
			fmt.Fprintf(&persons, "5110021970%04d%04d,某,M,1970-01-01,H%07d,%s,511002101204,\n", h, m, h, rel)
		}
		if h%100 == 0 {
			fmt.Fprintf(&cadres, "5110021970%04d0000,511002101204,secretary,2021-01-01,\n", h)
		}
	}
	tables := map[string]*table.Table{"persons": loadTable(b, "persons", persons.String()), "cadres": loadTable(b, "cadres", cadres.String())}
	for b.Loop() {
		in := engine.NewInput(detector{}, tables, 0, 0, 0, map[string]bool{View: true}, memory.DefaultAllocator, nil)
		out, err := detector{}.Build(context.Background(), in)
		if err != nil {
			b.Fatal(err)
		}
		out[View].Release()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(4*households), "ns/row")
}
