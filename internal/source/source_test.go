package source

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/table"
)

// dump renders a table row by row, for comparing two loads.
func dump(t *table.Table) []string {
	rec := t.Rec
	out := make([]string, rec.NumRows())
	for i := range out {
		var b strings.Builder
		for c := 0; c < int(rec.NumCols()); c++ {
			col := rec.Column(c)
			if col.IsNull(i) {
				b.WriteString("∅|")
				continue
			}
			b.WriteString(col.ValueStr(i) + "|")
		}
		out[i] = b.String()
	}
	return out
}

// TestExportFixtureLoadsLikeContract: the mapped xlsx + GBK fixture loads
// into exactly the tables the contract fixture gives, with no rejects.
func TestExportFixtureLoadsLikeContract(t *testing.T) {
	ctx := context.Background()
	want, err := load.Load(ctx, contractFixture, load.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer want.Release()
	m, err := ReadMapping(exportFixture + "/sources.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Load(ctx, m, load.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer got.Release()
	for _, r := range got.Rejects {
		t.Errorf("reject: %+v", r)
	}
	if fmt.Sprint(got.Missing) != fmt.Sprint(want.Missing) {
		t.Errorf("missing %v, want %v", got.Missing, want.Missing)
	}
	for _, spec := range contract.Tables {
		w, g := want.Tables[spec.Name], got.Tables[spec.Name]
		if (w == nil) != (g == nil) {
			t.Errorf("%s: present in one load only", spec.Name)
			continue
		}
		if w == nil {
			continue
		}
		if !w.Rec.Schema().Equal(g.Rec.Schema()) {
			t.Errorf("%s: schema %v, want %v", spec.Name, g.Rec.Schema(), w.Rec.Schema())
			continue
		}
		wr, gr := dump(w), dump(g)
		if len(wr) != len(gr) {
			t.Errorf("%s: %d rows, want %d", spec.Name, len(gr), len(wr))
			continue
		}
		t.Logf("%s: %d rows equal", spec.Name, len(wr))
		bad := 0
		for i := range wr {
			if wr[i] != gr[i] && bad < 5 {
				t.Errorf("%s row %d:\n got %s\nwant %s", spec.Name, i+1, gr[i], wr[i])
				bad++
			}
		}
	}
}
