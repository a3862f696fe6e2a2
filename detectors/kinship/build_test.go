package kinship

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/table"
)

// TestBuildAgainstMaps: on registers with rows without id or household,
// households listed in several runs, and with duplicate ids (the in-order
// path) or without (the sharded one, on several cores when large enough),
// every node has the row, household and household members that a plain
// map over the rows in order gives.
func TestBuildAgainstMaps(t *testing.T) {
	for _, c := range []struct{ rows, dupEvery int }{{1000, 97}, {1000, 0}, {50000, 0}, {50000, 4999}} {
		t.Run(fmt.Sprintf("rows=%d,dup=%d", c.rows, c.dupEvery), func(t *testing.T) { checkAgainstMaps(t, c.rows, c.dupEvery) })
	}
}

func checkAgainstMaps(t *testing.T, nrows, dupEvery int) {
	roles := []string{"head", "spouse", "child", "child", "parent"}
	spec, _ := contract.Lookup("persons")
	b := table.NewBuilder(memory.DefaultAllocator, "persons", table.ContractCols(spec)) // load would reject the duplicates
	type row struct{ id, hh string }
	var rows []row
	for i := 0; i < nrows; i++ {
		id := fmt.Sprintf("P%d", i)
		if dupEvery > 0 && i%dupEvery == 50 {
			id = fmt.Sprintf("P%d", i-40) // a duplicate: the first row stays
		}
		hh := fmt.Sprintf("H%d", i/3)
		if i%41 == 7 {
			hh = fmt.Sprintf("H%d", i/3-20) // a household listed again later
		}
		if i%53 == 11 {
			hh = ""
		}
		if i%71 == 3 {
			id = ""
		}
		rows = append(rows, row{id, hh})
		if id != "" {
			b.SetStr(b.Col("person_id"), id)
		}
		if hh != "" {
			b.SetStr(b.Col("household_id"), hh)
		}
		b.SetStr(b.Col("relation_to_head"), roles[i%len(roles)])
		b.Next()
	}
	g := Build(b.Finish(), nil, nil)
	firstRow := map[string]int{}
	members := map[string][]string{}
	for i, r := range rows {
		if _, dup := firstRow[r.id]; dup || r.id == "" {
			continue
		}
		firstRow[r.id] = i
		if r.hh != "" {
			members[r.hh] = append(members[r.hh], r.id)
		}
	}
	if g.Len() != len(firstRow) {
		t.Fatalf("%d nodes, want %d", g.Len(), len(firstRow))
	}
	for id, i := range firstRow {
		n, ok := g.Node(id)
		if !ok || g.ID(n) != id || g.Row(n) != i || g.Household(n) != rows[i].hh {
			t.Fatalf("%s: node %d %v row %d household %q, want row %d household %q", id, n, ok, g.Row(n), g.Household(n), i, rows[i].hh)
		}
		if rows[i].hh == "" {
			continue
		}
		var got []string
		h := g.hh[n]
		for _, m := range g.hhMember[g.hhStart[h]:g.hhStart[h+1]] {
			got = append(got, g.ID(m))
		}
		if fmt.Sprint(got) != fmt.Sprint(members[rows[i].hh]) {
			t.Errorf("household %s: members %v, want %v", rows[i].hh, got, members[rows[i].hh])
		}
	}
}
