package run

import (
	"context"
	"maps"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/ident"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/rules"
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
	callers := loadRows(t, mem, src)
	defer releaseAll(callers)
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

// TestPipelineNormalisesBeforeScope: through the whole pipeline with a
// checked allocator, a table normalised and then cut by as_of (payments, one
// row after as_of) and one normalised and kept whole (persons) are both
// released; the altered row after as_of is still reported (the export
// carries it), and a campaign scope drops the changes of other villages
// (a payment's village is its case's).
func TestPipelineNormalisesBeforeScope(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	src := map[string]string{
		"villages": "511002101204,牛桥村,511002101,史家镇,511002,市中区\n511002101205,邻村,511002101,史家镇,511002,市中区\n",
		"persons": "511002196001011328\u200b,王秀英,F,1960-01-01,HH2,head,511002101204,\n" +
			"511002194501012328 ,吴桂兰,F,1945-01-01,HH11,head,511002101205,\n",
		"beneficiaries": "B2,dibao,511002196001011328,511002101204,2024-03-01,2024-03-05,,600.00,,false\n",
		"payments": "Y1,B2,511002196001011328,dibao,2025-01,600.00,2025-01-10,6217-0001,511002196001011328\n" +
			"Y2,B2,511002196001011328,dibao,2025-07,600.00,2025-07-10,6217-0001,511002196001011328\n",
	}
	callers := loadRows(t, mem, src)
	defer releaseAll(callers)
	for _, tc := range []struct {
		name     string
		villages []string
		want     []string
	}{
		{"whole", nil, []string{"persons.person_id person:511002196001011328", "persons.person_id person:511002194501012328",
			"payments.account_no payment:Y1", "payments.account_no payment:Y2"}},
		{"campaign_one_village", []string{"511002101205"}, []string{"persons.person_id person:511002194501012328"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			asOf, _ := civil.Parse("2025-06-30")
			ev, err := Pipeline(context.Background(), callers, EvalConfig{Rules: &rules.Set{}, Scope: Scope{AsOf: asOf, Villages: tc.villages}, Mem: mem, Workers: 1})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range ev.Altered {
				got = append(got, c.Table+"."+c.Column+" "+c.Subject)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("altered %v, want %v", got, tc.want)
			}
		})
	}
}

// TestNormaliseUpgrades15: a valid 15-digit ID number in a person column is
// replaced by its 18-digit form and marked Upgraded; it is Mixed only when
// the same person is written in the 18-digit form in another row (here the
// payments), not when every row uses the old form (a second person).
func TestNormaliseUpgrades15(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	src := map[string]string{
		"villages": "511002101204,牛桥村,511002101,史家镇,511002,市中区\n",
		"persons": "511002600101132,王秀英,F,1960-01-01,HH2,head,511002101204,\n" +
			"511002450101232,吴桂兰,F,1945-01-01,HH11,head,511002101204,\n" +
			"511002451301232,错日期,F,1945-01-01,HH12,head,511002101204,\n",
		"payments": "Y1,B2,511002196001011328,dibao,2025-01,600.00,2025-01-10,6217000000000001,511002196001011328\n",
	}
	callers := loadRows(t, mem, src)
	defer releaseAll(callers)
	normal := maps.Clone(callers)
	changes, err := normaliseTables(normal, callers, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer releaseNew(normal, callers)
	want := []ident.Change{
		{Table: "persons", Column: "person_id", Kind: ident.Person, Row: 0, Original: "511002600101132", Normalised: "511002196001011328",
			Subject: "person:511002196001011328", VillageID: "511002101204", Upgraded: true, Mixed: true},
		{Table: "persons", Column: "person_id", Kind: ident.Person, Row: 1, Original: "511002450101232", Normalised: "511002194501012328",
			Subject: "person:511002194501012328", VillageID: "511002101204", Upgraded: true},
	}
	if len(changes) != len(want) {
		t.Fatalf("%d changes, want %d: %+v", len(changes), len(want), changes)
	}
	for i := range want {
		t.Run(want[i].Normalised, func(t *testing.T) {
			if changes[i] != want[i] {
				t.Errorf("change %d:\n got %+v\nwant %+v", i, changes[i], want[i])
			}
			if got := normal["persons"].Str("person_id").Value(want[i].Row); got != want[i].Normalised {
				t.Errorf("table holds %q, want %q", got, want[i].Normalised)
			}
		})
	}
	if got := normal["persons"].Str("person_id").Value(2); got != "511002451301232" {
		t.Errorf("a 15-digit value without a calendar birth date is kept as written, got %q", got)
	}
}

// loadRows loads each table of src (contract table -> CSV rows without the
// header) into mem, failing the test on any error or reject.
func loadRows(t *testing.T, mem memory.Allocator, src map[string]string) map[string]*table.Table {
	t.Helper()
	tables := map[string]*table.Table{}
	for name, rows := range src {
		spec, _ := contract.Lookup(name)
		tb, _, rejects, err := load.Table(context.Background(), spec, name, strings.NewReader(spec.Header()+"\n"+rows), load.Options{Mem: mem})
		if err != nil || len(rejects) > 0 {
			releaseAll(tables)
			t.Fatalf("%s: %v %v", name, err, rejects)
		}
		tables[name] = tb
	}
	return tables
}

func releaseAll(tables map[string]*table.Table) {
	for _, tb := range tables {
		tb.Release()
	}
}
