package load

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/table"
)

// personsTable is a persons table with only a name column (nil = null).
func personsTable(names []*string) *table.Table {
	b := table.NewBuilder(memory.DefaultAllocator, "persons", []table.Col{{Name: "name", Kind: contract.Text}})
	for _, n := range names {
		if n != nil {
			b.SetStr(0, *n)
		}
		b.Next()
	}
	return b.Finish()
}

func strp(s string) *string { return &s }

// TestPersonNamesShared: concurrent callers share one computation, and
// the names stay valid after the table is released (TestPersonNames checks
// the list itself).
func TestPersonNamesShared(t *testing.T) {
	pt := personsTable([]*string{strp("乙"), strp("甲"), strp("乙")})
	ds := &Dataset{Tables: map[string]*table.Table{"persons": pt}}
	got := make([][]string, 4)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() { got[i] = ds.PersonNames() })
	}
	wg.Wait()
	pt.Release()
	for i := range got {
		if &got[i][0] != &got[0][0] {
			t.Fatalf("caller %d got its own list; want one shared computation", i)
		}
	}
	if want := []string{"乙", "甲"}; !slices.Equal(got[0], want) {
		t.Fatalf("PersonNames = %q, want %q", got[0], want)
	}
}

// TestPrefetchNames: names prefetched in the background are the list
// PersonNames gives, computed once, and Release waits for the scan (run
// with -race: a Release racing the scan is reported).
func TestPrefetchNames(t *testing.T) {
	names := make([]*string, 100_000)
	for i := range names {
		names[i] = strp(fmt.Sprintf("名%d", i%997))
	}
	ds := &Dataset{Tables: map[string]*table.Table{"persons": personsTable(names)}}
	ds.PrefetchNames()
	ds.PrefetchNames() // a second call starts nothing more
	got := ds.PersonNames()
	if len(got) != 997 || !slices.IsSorted(got) {
		t.Fatalf("%d names (sorted %v), want 997 sorted", len(got), slices.IsSorted(got))
	}
	if again := ds.PersonNames(); &again[0] != &got[0] {
		t.Fatal("PersonNames after the prefetch computed the list again")
	}
	other := &Dataset{Tables: map[string]*table.Table{"persons": personsTable(names)}}
	other.PrefetchNames()
	other.Release() // must wait for the scan, not free the table under it
	if other.Tables != nil {
		t.Fatal("Release kept the tables")
	}
	(&Dataset{Tables: map[string]*table.Table{}}).PrefetchNames() // no persons table: nothing to do
	ds.Release()
}

// BenchmarkPersonNames reports ns per register row for a register with
// the province data's ratio of rows to distinct names.
func BenchmarkPersonNames(b *testing.B) {
	const rows = 200_000
	names := make([]*string, rows)
	for i := range names {
		names[i] = strp(fmt.Sprintf("名%d", i%(rows/13)))
	}
	pt := personsTable(names)
	defer pt.Release()
	b.ResetTimer()
	for b.Loop() {
		if len(distinctNames(pt.Str("name"))) == 0 {
			b.Fatal("no names")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/rows, "ns/row")
}
