package disclosure

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/run"
	"github.com/neijiang/xiaowei/internal/table"
)

const (
	hLedger = "entry_id,village_id,date,voucher_no,account,direction,amount,category,counterparty,summary,handled_by,approved_by\n"
	hDiscl  = "disclosure_id,village_id,item,period,posted_on,removed_on,amount_total\n"
	hBenef  = "case_id,program,person_id,village_id,applied_on,approved_on,ended_on,monthly_amount,handled_by,relative_filed\n"
	vA      = "511002101204"
	vB      = "511002101205"
	opening = "E0,511002101204,2024-01-01,V0,cash,in,3000.00,opening,,期初,,\n"
)

var ruleIDs = []string{"DIS-MISSING", "DIS-LATE", "DIS-SHORT", "DIS-NO-NOTICE", "DIS-NOTICE-SHORT", "DIS-MISMATCH"}

// loadTables loads inline CSV (header included) for the named contract
// tables; absent required tables are empty.
func loadTables(t *testing.T, mem memory.Allocator, csvs map[string]string) map[string]*table.Table {
	t.Helper()
	out := map[string]*table.Table{}
	for _, spec := range contract.Tables {
		src, ok := csvs[spec.Name]
		if !ok {
			if spec.Optional {
				continue
			}
			src = spec.Header() + "\n"
		}
		tb, _, rejects, err := load.Table(context.Background(), spec, spec.Name, strings.NewReader(src), load.Options{Mem: mem})
		if err != nil {
			t.Fatalf("load %s: %v", spec.Name, err)
		}
		if len(rejects) > 0 {
			t.Fatalf("load %s: rejected %+v", spec.Name, rejects)
		}
		out[spec.Name] = tb
	}
	t.Cleanup(func() {
		for _, tb := range out {
			tb.Release()
		}
	})
	return out
}

var ruleSet *rules.Set

func loadRules(t testing.TB) *rules.Set {
	t.Helper()
	if ruleSet == nil {
		set, err := rules.LoadDirs([]string{"../../rules/disclosure.yaml", "../../rules/tests/disclosure.test.yaml"})
		if err != nil {
			t.Fatalf("rules: %v", err)
		}
		ruleSet = set
	}
	return ruleSet
}

// findingsOf runs the real pipeline with the disclosure rules and returns
// "RULE subject" for every finding, sorted.
func findingsOf(t *testing.T, csvs map[string]string, asOf, from, to string) []string {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	tables := loadTables(t, mem, csvs)
	scope := run.Scope{AsOf: civil.MustParse(asOf)}
	if from != "" {
		scope.From = civil.MustParse(from)
	}
	if to != "" {
		scope.To = civil.MustParse(to)
	}
	only := map[string]bool{}
	for _, id := range ruleIDs {
		only[id] = true
	}
	ev, err := run.Pipeline(context.Background(), tables, run.EvalConfig{Rules: loadRules(t), Only: only, Scope: scope, Workers: 1, Mem: mem})
	if err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, f := range ev.Result.Findings {
		got = append(got, f.RuleID+" "+f.Subject)
	}
	sort.Strings(got)
	return got
}

func TestRulesAtBoundaries(t *testing.T) {
	cases := []struct {
		name           string
		asOf, from, to string
		ledger, discl  string
		benef          string
		want           []string
	}{
		{
			name: "posted exactly on the due day is on time; a day later is late",
			asOf: "2024-04-30", ledger: opening,
			discl: "D1,511002101204,finance,2024-Q1,2024-04-15,,0.00\nD2,511002101204,dibao_roster,2024-Q1,2024-04-16,,\n",
			want:  []string{"DIS-LATE obligation:511002101204/dibao_roster/2024-Q1"},
		},
		{
			name: "due exactly on as_of is owed; due a day after is not",
			asOf: "2024-04-15", ledger: opening,
			want: []string{"DIS-MISSING obligation:511002101204/dibao_roster/2024-Q1", "DIS-MISSING obligation:511002101204/finance/2024-Q1"},
		},
		{
			name: "due a day after as_of is not owed",
			asOf: "2024-04-14", ledger: opening,
			want: []string{},
		},
		{
			name: "a village with no notices at all misses every item of every owed period, across the year end",
			asOf: "2025-01-15", ledger: "E0,511002101204,2024-07-01,V0,cash,in,3000.00,opening,,期初,,\n",
			want: []string{
				"DIS-MISSING obligation:511002101204/dibao_roster/2024-Q3", "DIS-MISSING obligation:511002101204/dibao_roster/2024-Q4",
				"DIS-MISSING obligation:511002101204/finance/2024-Q3", "DIS-MISSING obligation:511002101204/finance/2024-Q4",
			},
		},
		{
			name: "a journal that starts mid-quarter owes from the next quarter",
			asOf: "2024-07-15", ledger: "E0,511002101204,2024-01-02,V0,cash,in,3000.00,opening,,期初,,\n",
			want: []string{"DIS-MISSING obligation:511002101204/dibao_roster/2024-Q2", "DIS-MISSING obligation:511002101204/finance/2024-Q2"},
		},
		{
			name: "a window that starts mid-quarter owes only the whole quarters inside it",
			asOf: "2024-12-31", from: "2024-02-15", to: "2024-09-30", ledger: opening,
			discl: "D1,511002101204,finance,2024-Q2,2024-07-01,,0.00\nD2,511002101204,dibao_roster,2024-Q2,2024-07-01,,\n",
			want:  []string{"DIS-MISSING obligation:511002101204/dibao_roster/2024-Q3", "DIS-MISSING obligation:511002101204/finance/2024-Q3"},
		},
		{
			name: "removed after exactly the minimum is fine; a day less is short; a removal after as_of is still up",
			asOf: "2024-05-20",
			discl: "D1,511002101204,finance,2023-Q4,2024-01-10,2024-01-25,0.00\n" +
				"D2,511002101204,finance,2024-Q1,2024-04-10,2024-04-24,0.00\n" +
				"D3,511002101204,dibao_roster,2024-Q1,2024-05-10,2024-05-21,\n" +
				"D4,511002101204,dibao_notice,C9,2024-03-01,2024-03-08,\n" +
				"D5,511002101204,dibao_notice,C8,2024-03-01,2024-03-07,\n",
			want: []string{"DIS-SHORT disclosure:D2", "DIS-SHORT disclosure:D5"},
		},
		{
			name: "notice exactly 7 days before approval is enough; 6 is short; after approval is short; none is no notice",
			asOf: "2024-12-31", ledger: opening,
			benef: "C1,dibao,511002199001010011,511002101204,,2024-03-08,,500.00,P1,false\n" +
				"C2,dibao,511002199001010021,511002101204,,2024-03-08,,500.00,P1,false\n" +
				"C3,tekun,511002199001010031,511002101204,,2024-03-08,,500.00,P1,false\n" +
				"C4,dibao,511002199001010041,511002101204,,2024-03-08,,500.00,P1,false\n" +
				"C5,dibao,511002199001010051,511002101204,,2023-12-31,,500.00,P1,false\n",
			discl: "D1,511002101204,dibao_notice,C1,2024-03-01,,\nD2,511002101204,dibao_notice,C2,2024-03-02,,\nD3,511002101204,dibao_notice,C3,2024-03-09,,\n" +
				"F1,511002101204,finance,2024-Q1,2024-04-01,,0.00\nF2,511002101204,dibao_roster,2024-Q1,2024-04-01,,\n" +
				"F3,511002101204,finance,2024-Q2,2024-07-01,,0.00\nF4,511002101204,dibao_roster,2024-Q2,2024-07-01,,\n" +
				"F5,511002101204,finance,2024-Q3,2024-10-01,,0.00\nF6,511002101204,dibao_roster,2024-Q3,2024-10-01,,\n",
			want: []string{"DIS-NOTICE-SHORT case:C2", "DIS-NOTICE-SHORT case:C3", "DIS-NO-NOTICE case:C4"},
		},
		{
			name: "totals off by exactly the tolerance do not fire; one fen more does; transfers are not expenditure; no expenditure compares 0",
			asOf: "2024-04-30",
			ledger: opening +
				"E1,511002101204,2024-02-01,V1,bank,out,100000.00,expense,某公司,工程款,P1,P2\n" +
				"E2,511002101204,2024-03-01,V2,bank,out,9000.00,withdrawal,,提现,P1,P2\n" +
				"E3,511002101204,2024-03-02,V3,cash,out,9000.00,deposit,,存现,P1,P2\n" +
				"E4,511002101205,2024-01-01,V0,cash,in,3000.00,opening,,期初,,\n" +
				"E5,511002101205,2024-02-01,V1,cash,out,1000.00,expense,某店,材料,P1,P2\n",
			discl: "D1,511002101204,finance,2024-Q1,2024-04-10,,100500.00\nD2,511002101204,finance,2024-Q1,2024-04-10,,99499.99\n" +
				"D3,511002101205,finance,2024-Q1,2024-04-10,,900.00\nD4,511002101205,finance,2024-Q1,2024-04-10,,1100.01\n" +
				"D5,511002101205,finance,2024-01,2024-02-10,,1100.00\nD6,511002101204,finance,2024-04,2024-04-20,,100.01\n" +
				"R1,511002101204,dibao_roster,2024-Q1,2024-04-10,,\nR2,511002101205,dibao_roster,2024-Q1,2024-04-10,,\n",
			want: []string{"DIS-MISMATCH disclosure:D2", "DIS-MISMATCH disclosure:D4", "DIS-MISMATCH disclosure:D5", "DIS-MISMATCH disclosure:D6"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := findingsOf(t, map[string]string{"ledger": hLedger + c.ledger, "disclosures": hDiscl + c.discl, "beneficiaries": hBenef + c.benef}, c.asOf, c.from, c.to)
			sort.Strings(c.want)
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("findings:\n got  %q\n want %q", got, c.want)
			}
		})
	}
}

// buildViews calls the detector directly with the default settings.
func buildViews(t *testing.T, csvs map[string]string, asOf, from, to civil.Date) map[string]*table.Table {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) }) // runs last: after views and tables are released
	tables := loadTables(t, mem, csvs)
	res, errs := engine.NewSettingsResolver(&rules.Set{}, nil, engine.GeographyOf(tables["villages"]))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	want := map[string]bool{viewObligations: true, viewNotices: true, viewCases: true, viewFinance: true}
	out, err := detector{}.Build(context.Background(), engine.NewInput(detector{}, tables, asOf, from, to, want, mem, res))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, v := range out {
			v.Release()
		}
	})
	for _, v := range (detector{}).Views() {
		tb := out[v.Name]
		if len(tb.Cols) != len(v.Cols) {
			t.Fatalf("view %s: %d columns, declared %d", v.Name, len(tb.Cols), len(v.Cols))
		}
	}
	return out
}

func TestObligationsView(t *testing.T) {
	out := buildViews(t, map[string]string{
		"ledger": hLedger + opening,
		"disclosures": hDiscl +
			"D1,511002101204,finance,2024-Q1,2024-04-17,2024-06-01,10.00\n" +
			"D2,511002101204,finance,2024-Q1,2024-04-20,,10.00\n" +
			"D3,511002101204,dibao_roster,2024-Q1,2024-04-01,2024-07-30,\n",
	}, civil.MustParse("2024-07-15"), 0, 0)
	ob := out[viewObligations]
	if ob.Len() != 4 {
		t.Fatalf("obligations: %d rows, want 4 (2 items x 2 quarters)", ob.Len())
	}
	// order: items in settings order, then periods
	item, period, id := ob.Str("item"), ob.Str("period"), ob.Str("disclosure_id")
	late, days, n := ob.Int("days_late"), ob.Int("days_posted"), ob.Int("notices")
	due, removed := ob.Date("due_on"), ob.Date("removed_on")
	type row struct {
		item, period, id string
		late, days, n    int64
		due              string
		removed          bool
	}
	want := []row{
		{"finance", "2024-Q1", "D1", 2, 45, 2, "2024-04-15", true},
		{"finance", "2024-Q2", "", 0, 0, 0, "2024-07-15", false},
		{"dibao_roster", "2024-Q1", "D3", -14, 105, 1, "2024-04-15", false}, // removal after as_of: still up
		{"dibao_roster", "2024-Q2", "", 0, 0, 0, "2024-07-15", false},
	}
	for i, w := range want {
		g := row{item.Value(i), period.Value(i), "", 0, 0, n.Value(i), civil.Date(due.Value(i)).String(), removed.IsValid(i)}
		if id.IsValid(i) {
			g.id, g.late, g.days = id.Value(i), late.Value(i), days.Value(i)
		}
		if g != w {
			t.Errorf("row %d: got %+v, want %+v", i, g, w)
		}
	}
}

func TestCaseAndFinanceViews(t *testing.T) {
	out := buildViews(t, map[string]string{
		"ledger": hLedger + opening + "E1,511002101204,2024-05-01,V1,cash,out,250.50,expense,,,P1,\nE2,511002101204,2024-06-30,V2,bank,out,100.00,subsidy_payout,,,P1,\n",
		"beneficiaries": hBenef +
			"C1,dibao,511002199001010011,511002101204,,2024-03-08,,500.00,,false\n" +
			"C1,dibao,511002199001010012,511002101204,,2024-03-08,,300.00,P7,false\n" +
			"C2,dibao,511002199001010013,511002101209,,2024-03-08,,300.00,P7,false\n", // village with no journal
		"disclosures": hDiscl +
			"D1,511002101204,dibao_notice,C1,2024-03-05,,\nD2,511002101204,dibao_notice,C1,2024-02-20,2024-03-20,\n" +
			"F1,511002101204,finance,2024-Q2,2024-07-01,,350.50\nF2,511002101204,finance,第二季度,2024-07-01,,350.50\n",
	}, civil.MustParse("2024-07-15"), 0, 0)
	cs := out[viewCases]
	if cs.Len() != 1 {
		t.Fatalf("case_notices: %d rows, want 1 (C2's village has no journal)", cs.Len())
	}
	if g := cs.Str("disclosure_id").Value(0); g != "D2" {
		t.Errorf("case notice: %s, want the earliest D2", g)
	}
	if g := cs.Int("days_before").Value(0); g != 17 {
		t.Errorf("days_before %d, want 17", g)
	}
	if g, w := cs.Money("monthly_total").Value(0), int64(80000); g != w || cs.Int("persons").Value(0) != 2 || cs.Str("handled_by").Value(0) != "P7" {
		t.Errorf("case aggregate: monthly %d persons %d handler %s", g, cs.Int("persons").Value(0), cs.Str("handled_by").Value(0))
	}
	ft := out[viewFinance]
	if ft.Len() != 2 {
		t.Fatalf("finance_totals: %d rows, want 2", ft.Len())
	}
	if g := ft.Money("books_total").Value(0); g != 35050 {
		t.Errorf("books_total %d fen, want 35050", g)
	}
	if !ft.Bool("books_complete").Value(0) || ft.Bool("books_complete").Value(1) {
		t.Errorf("books_complete: want true for 2024-Q2, false for an unparsable label")
	}
	if ft.Date("period_start").IsValid(1) {
		t.Errorf("unparsable label has a period_start")
	}
}

func TestNoLedgerOwesNothing(t *testing.T) {
	out := buildViews(t, map[string]string{"disclosures": hDiscl}, civil.MustParse("2024-07-15"), 0, 0)
	if n := out[viewObligations].Len(); n != 0 {
		t.Errorf("obligations without any journal: %d rows, want 0", n)
	}
}

func TestBadScheduleSetting(t *testing.T) {
	mem := memory.NewGoAllocator()
	tables := loadTables(t, mem, map[string]string{"ledger": hLedger + opening})
	set := &rules.Set{Files: []*rules.File{{Settings: rules.Settings{"disclosure": {"finance_frequency": {Value: "weekly"}}}}}}
	res, errs := engine.NewSettingsResolver(set, nil, nil)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	_, err := detector{}.Build(context.Background(), engine.NewInput(detector{}, tables, civil.MustParse("2024-07-15"), 0, 0, map[string]bool{viewObligations: true}, mem, res))
	if err == nil || !strings.Contains(err.Error(), "weekly") {
		t.Errorf("want an error naming the bad frequency, got %v", err)
	}
}

func TestPeriods(t *testing.T) {
	cases := []struct {
		from      string
		freq      string
		labels    []string // three periods from `from`
		lastDays  []string
		firstDays []string
	}{
		{"2024-11-15", "quarterly", []string{"2025-Q1", "2025-Q2", "2025-Q3"}, []string{"2025-03-31", "2025-06-30", "2025-09-30"}, []string{"2025-01-01", "2025-04-01", "2025-07-01"}},
		{"2024-10-01", "quarterly", []string{"2024-Q4", "2025-Q1", "2025-Q2"}, []string{"2024-12-31", "2025-03-31", "2025-06-30"}, []string{"2024-10-01", "2025-01-01", "2025-04-01"}},
		{"2024-02-15", "quarterly", []string{"2024-Q2", "2024-Q3", "2024-Q4"}, []string{"2024-06-30", "2024-09-30", "2024-12-31"}, []string{"2024-04-01", "2024-07-01", "2024-10-01"}},
		{"2024-11-02", "monthly", []string{"2024-12", "2025-01", "2025-02"}, []string{"2024-12-31", "2025-01-31", "2025-02-28"}, []string{"2024-12-01", "2025-01-01", "2025-02-01"}},
		{"2024-02-01", "monthly", []string{"2024-02", "2024-03", "2024-04"}, []string{"2024-02-29", "2024-03-31", "2024-04-30"}, []string{"2024-02-01", "2024-03-01", "2024-04-01"}},
		{"2024-01-01", "yearly", []string{"2024", "2025", "2026"}, []string{"2024-12-31", "2025-12-31", "2026-12-31"}, []string{"2024-01-01", "2025-01-01", "2026-01-01"}},
		{"2024-01-02", "yearly", []string{"2025", "2026", "2027"}, []string{"2025-12-31", "2026-12-31", "2027-12-31"}, []string{"2025-01-01", "2026-01-01", "2027-01-01"}},
	}
	for _, c := range cases {
		n, ok := frequencyMonths(c.freq)
		if !ok {
			t.Fatal(c.freq)
		}
		p := firstPeriodFrom(civil.MustParse(c.from), n)
		for k := range 3 {
			if p.label() != c.labels[k] || p.end().String() != c.lastDays[k] || p.start().String() != c.firstDays[k] {
				t.Errorf("%s %s #%d: %s %s..%s, want %s %s..%s", c.from, c.freq, k, p.label(), p.start(), p.end(), c.labels[k], c.firstDays[k], c.lastDays[k])
			}
			q, ok := parsePeriod(p.label())
			if !ok || q != p {
				t.Errorf("parsePeriod(%s) = %+v %v, want %+v", p.label(), q, ok, p)
			}
			p = p.next()
		}
	}
	for _, bad := range []string{"", "C123", "2024-Q5", "2024-Q0", "2024-13", "2024-00", "24-Q1", "+024", "2024Q1", "JC202401"} {
		if _, ok := parsePeriod(bad); ok {
			t.Errorf("parsePeriod(%q) accepted", bad)
		}
	}
}
