package run

import (
	"context"
	"maps"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/ident"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/table"
)

// TestNormaliseTables: every altered identifier is replaced by its normal
// form in the tables the detectors read, reported once with its table,
// column, row, subject and village (a payment's from its case), and a key
// that becomes a duplicate is flagged. Clean tables are not copied, and no
// Arrow memory leaks.
func TestNormaliseTables(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	src := map[string]string{
		"villages": "511002101204,牛桥村,511002101,史家镇,511002,市中区\n",
		"persons": "511002196001011328,王秀英,M,1960-01-01,HH2,head,511002101204,\n" +
			"511002196001011328\u200b,王秀英,M,1960-01-01,HH9,head,511002101204,\n" +
			"11010519491231002x,罗 红,F,1949-12-31,HH16,head,511002101204,\n",
		"beneficiaries": "B2,dibao,５１１００２１９６００１０１１３２８,511002101204,2024-03-01,2024-03-05,,600.00,,false\n",
		"payments":      "Y1,B2 ,511002196001011328,dibao,2025-01,600.00,2025-01-10,6217-0000 0000-0001,511002196001011328\n",
		"cadres":        "511002196202021418,511002101204,secretary,2021-01-01,\n",
	}
	callers := map[string]*table.Table{}
	for name, rows := range src {
		spec, _ := contract.Lookup(name)
		tb, _, rejects, err := load.LoadTable(context.Background(), spec, name, strings.NewReader(spec.Header()+"\n"+rows), load.Options{Mem: mem})
		if err != nil || len(rejects) > 0 {
			t.Fatalf("%s: %v %v", name, err, rejects)
		}
		callers[name] = tb
	}
	defer func() {
		for _, tb := range callers {
			tb.Release()
		}
	}()
	normal := maps.Clone(callers)
	changes, err := normaliseTables(normal, callers, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer releaseNew(normal, callers)
	want := []ident.Change{
		{Table: "persons", Column: "person_id", Kind: ident.Person, Row: 1, Original: "511002196001011328\u200b", Normalised: "511002196001011328",
			Subject: "person:511002196001011328", VillageID: "511002101204", Duplicate: true},
		{Table: "persons", Column: "person_id", Kind: ident.Person, Row: 2, Original: "11010519491231002x", Normalised: "11010519491231002X",
			Subject: "person:11010519491231002X", VillageID: "511002101204"},
		{Table: "persons", Column: "name", Kind: ident.Name, Row: 2, Original: "罗 红", Normalised: "罗红",
			Subject: "person:11010519491231002X", VillageID: "511002101204"},
		{Table: "beneficiaries", Column: "person_id", Kind: ident.Person, Row: 0, Original: "５１１００２１９６００１０１１３２８", Normalised: "511002196001011328",
			Subject: "case:B2", VillageID: "511002101204"},
		{Table: "payments", Column: "case_id", Kind: ident.Code, Row: 0, Original: "B2 ", Normalised: "B2",
			Subject: "payment:Y1", VillageID: "511002101204"},
		{Table: "payments", Column: "account_no", Kind: ident.Account, Row: 0, Original: "6217-0000 0000-0001", Normalised: "6217000000000001",
			Subject: "payment:Y1", VillageID: "511002101204"},
	}
	if len(changes) != len(want) {
		t.Fatalf("%d changes, want %d: %+v", len(changes), len(want), changes)
	}
	for i := range want {
		t.Run(want[i].Table+"."+want[i].Column+"/"+want[i].Normalised, func(t *testing.T) {
			if changes[i] != want[i] {
				t.Errorf("change %d:\n got %+v\nwant %+v", i, changes[i], want[i])
			}
			if got := normal[want[i].Table].Str(want[i].Column).Value(want[i].Row); got != want[i].Normalised {
				t.Errorf("table holds %q, want %q", got, want[i].Normalised)
			}
		})
	}
	for _, name := range []string{"villages", "cadres"} {
		if normal[name] != callers[name] {
			t.Errorf("%s has no altered value but was copied", name)
		}
	}
	if normal["persons"] == callers["persons"] || callers["persons"].Str("person_id").Value(1) != "511002196001011328\u200b" {
		t.Error("the caller's persons table must stay as loaded; the run reads a normalised copy")
	}
}
