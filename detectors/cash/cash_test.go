package cash

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/money"
	"github.com/neijiang/xiaowei/internal/table"
)

const V = "511002101204"

const ledgerHeader = "entry_id,village_id,date,voucher_no,account,direction,amount,category,counterparty,summary,handled_by,approved_by\n"

// L is a compact ledger row: id, date, account, direction, amount, category,
// counterparty, handler (village V unless the id has a "@village" suffix).
func L(id, date, acct, dir, amount, cat, cp, by string) string {
	v := V
	if k := strings.IndexByte(id, '@'); k >= 0 {
		id, v = id[:k], id[k+1:]
	}
	return strings.Join([]string{id, v, date, "V" + id, acct, dir, amount, cat, cp, "", by, ""}, ",")
}

func opening(amount string) string {
	return L("E0", "2024-01-01", "cash", "in", amount, "opening", "", "")
}

func loadCSV(t testing.TB, mem memory.Allocator, name, csv string) *table.Table {
	t.Helper()
	spec, _ := contract.Lookup(name)
	tb, _, rej, err := load.Table(context.Background(), spec, name+".csv", strings.NewReader(csv), load.Options{Mem: mem})
	if err != nil {
		t.Fatal(err)
	}
	if len(rej) > 0 {
		t.Fatalf("rejected: %+v", rej)
	}
	return tb
}

// build runs the detector on inline rows and returns every view.
func build(t testing.TB, asOf string, ledger []string, cadres []string) map[string]*table.Table {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	tables := map[string]*table.Table{
		"ledger": loadCSV(t, mem, "ledger", ledgerHeader+strings.Join(ledger, "\n")+"\n"),
		"cadres": loadCSV(t, mem, "cadres", "person_id,village_id,role,term_start,term_end\n"+strings.Join(cadres, "\n")+"\n"),
	}
	res, errs := engine.NewSettingsResolver(nil, nil, engine.Geography{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	want := map[string]bool{}
	for _, v := range (detector{}).Views() {
		want[v.Name] = true
	}
	in := engine.NewInput(detector{}, tables, civil.MustParse(asOf), 0, 0, want, mem, res)
	out, err := detector{}.Build(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if tb, ok := t.(*testing.T); ok {
		tb.Cleanup(func() {
			for _, x := range out {
				x.Release()
			}
			for _, x := range tables {
				x.Release()
			}
			mem.AssertSize(t, 0)
		})
	}
	for _, v := range (detector{}).Views() {
		got := out[v.Name]
		if got == nil || len(got.Cols) != len(v.Cols) {
			t.Fatalf("view %s missing or wrong width", v.Name)
		}
		for k := range v.Cols {
			if got.Rec.Schema().Field(k).Name != v.Cols[k].Name {
				t.Fatalf("view %s column %d: %s", v.Name, k, got.Rec.Schema().Field(k).Name)
			}
		}
	}
	return out
}

// rows renders a view as one map per row (null = "∅").
func rows(tb *table.Table) []map[string]string {
	var out []map[string]string
	for i := 0; i < tb.Len(); i++ {
		m := map[string]string{}
		for k, c := range tb.Cols {
			a := tb.Rec.Column(k)
			if a.IsNull(i) {
				m[c.Name] = "∅"
				continue
			}
			switch c.Kind {
			case contract.Money:
				m[c.Name] = money.Format(tb.Money(c.Name).Value(i))
			case contract.Date:
				m[c.Name] = civil.Date(tb.Date(c.Name).Value(i)).String()
			case contract.Int:
				m[c.Name] = strconv.FormatInt(tb.Int(c.Name).Value(i), 10)
			case contract.Bool:
				m[c.Name] = strconv.FormatBool(tb.Bool(c.Name).Value(i))
			default:
				m[c.Name] = tb.Str(c.Name).Value(i)
			}
		}
		out = append(out, m)
	}
	return out
}

// check compares a view with the wanted rows on the columns each names.
func check(t *testing.T, view string, tb *table.Table, want []map[string]string) {
	t.Helper()
	got := rows(tb)
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, want %d:\n%v", view, len(got), len(want), got)
	}
	for i := range want {
		for k, v := range want[i] {
			if got[i][k] != v {
				t.Errorf("%s row %d: %s = %q, want %q (row %v)", view, i, k, got[i][k], v, got[i])
			}
		}
	}
}

type M = map[string]string

func TestCollections(t *testing.T) {
	cases := []struct {
		name   string
		asOf   string
		ledger []string
		want   []M
	}{
		{"deposit exactly on day 3 is within the deadline", "2025-06-30", []string{
			opening("1000.00"),
			L("C1", "2024-03-01", "cash", "in", "2000.00", "collection", "医保局", "P1"),
			L("D1", "2024-03-04", "cash", "out", "2000.00", "deposit", "", "P1"),
		}, []M{{"entry_id": "C1", "deadline": "2024-03-04", "banked_by_deadline": "2000.00", "unbanked_at_deadline": "0.00", "unbanked_at_as_of": "0.00", "banked_on": "2024-03-04", "days_to_bank": "3"}}},
		{"deposit on day 4 misses it", "2025-06-30", []string{
			opening("1000.00"),
			L("C1", "2024-03-01", "cash", "in", "2000.00", "collection", "医保局", "P1"),
			L("D1", "2024-03-05", "cash", "out", "2000.00", "deposit", "", "P1"),
		}, []M{{"entry_id": "C1", "unbanked_at_deadline": "2000.00", "unbanked_at_as_of": "0.00", "days_to_bank": "4"}}},
		{"partly banked by the deadline, partly never", "2025-06-30", []string{
			opening("1000.00"),
			L("C1", "2024-03-01", "cash", "in", "3000.00", "collection", "医保局", "P1"),
			L("R1", "2024-03-02", "cash", "out", "1000.00", "remit", "医保局", "P1"),
		}, []M{{"entry_id": "C1", "banked_by_deadline": "1000.00", "unbanked_at_deadline": "2000.00", "unbanked_at_as_of": "2000.00", "banked_on": "∅", "days_to_bank": "∅"}}},
		{"a deposit before the receipt in journal order does not match it", "2025-06-30", []string{
			opening("3000.00"),
			L("D1", "2024-03-01", "cash", "out", "500.00", "deposit", "", "P1"),
			L("C1", "2024-03-01", "cash", "in", "500.00", "collection", "医保局", "P1"),
		}, []M{{"entry_id": "C1", "unbanked_at_as_of": "500.00"}}},
		{"one deposit carrying income and a collection: matched in receipt order, income first", "2025-06-30", []string{
			opening("1000.00"),
			L("I1", "2024-03-01", "cash", "in", "500.00", "income", "摊位", "P1"),
			L("C1", "2024-03-01", "cash", "in", "1000.00", "collection", "医保局", "P1"),
			L("D1", "2024-03-02", "cash", "out", "1200.00", "deposit", "", "P1"),
			L("D2", "2024-03-09", "cash", "out", "300.00", "deposit", "", "P1"),
		}, []M{{"entry_id": "C1", "banked_by_deadline": "700.00", "unbanked_at_deadline": "300.00", "banked": "1000.00", "banked_on": "2024-03-09", "days_to_bank": "8"}}},
		{"a deposit larger than receipts takes the rest from spendable cash", "2025-06-30", []string{
			opening("1000.00"),
			L("C1", "2024-03-01", "cash", "in", "200.00", "collection", "医保局", "P1"),
			L("D1", "2024-03-01", "cash", "out", "1200.00", "deposit", "", "P1"),
			L("C2", "2024-03-02", "cash", "in", "300.00", "collection", "医保局", "P1"),
		}, []M{{"entry_id": "C1", "unbanked_at_deadline": "0.00"}, {"entry_id": "C2", "unbanked_at_as_of": "300.00"}}},
		{"a collection spent on the spot (坐支) stays unbanked", "2025-06-30", []string{
			opening("100.00"),
			L("C1", "2024-03-01", "cash", "in", "500.00", "collection", "医保局", "P1"),
			L("X1", "2024-03-01", "cash", "out", "300.00", "expense", "某店", "P1"),
			L("D1", "2024-03-02", "cash", "out", "300.00", "deposit", "", "P1"),
		}, []M{{"entry_id": "C1", "spent": "200.00", "banked": "300.00", "unbanked_at_deadline": "200.00", "unbanked_at_as_of": "200.00", "banked_on": "∅"}}},
		{"oldest receipt first across collections", "2025-06-30", []string{
			opening("100.00"),
			L("C1", "2024-03-01", "cash", "in", "400.00", "collection", "医保局", "P1"),
			L("C2", "2024-03-02", "cash", "in", "400.00", "collection", "社保局", "P1"),
			L("D1", "2024-03-03", "cash", "out", "600.00", "deposit", "", "P1"),
		}, []M{{"entry_id": "C1", "unbanked_at_deadline": "0.00"}, {"entry_id": "C2", "banked": "200.00", "unbanked_at_as_of": "200.00"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			check(t, vCollections, build(t, c.asOf, c.ledger, nil)[vCollections], c.want)
		})
	}
}

func TestCashDays(t *testing.T) {
	cases := []struct {
		name   string
		asOf   string
		ledger []string
		want   []M
	}{
		{"exactly at the limit does not count", "2025-06-30", []string{opening("5000.00")}, nil},
		{"one fen over, held on days without entries, until as_of", "2024-01-10", []string{opening("5000.01")},
			[]M{{"first_day": "2024-01-01", "last_day": "2024-01-10", "days": "10", "peak": "5000.01", "ongoing": "true", "limit": "5000.00"}}},
		{"a run across quiet days is one run; peak and its day", "2025-06-30", []string{
			opening("1000.00"),
			L("C1", "2024-03-01", "cash", "in", "4500.00", "collection", "医保局", "P1"),
			L("C2", "2024-03-03", "cash", "in", "2000.00", "collection", "医保局", "P1"),
			L("D1", "2024-03-04", "cash", "out", "1000.00", "deposit", "", "P1"),
			L("D2", "2024-03-06", "cash", "out", "5500.00", "deposit", "", "P1"),
			L("C3", "2024-04-01", "cash", "in", "4000.01", "collection", "医保局", "P1"),
			L("D3", "2024-04-02", "cash", "out", "4000.01", "deposit", "", "P1"),
		}, []M{
			{"first_day": "2024-03-01", "last_day": "2024-03-05", "days": "5", "first_balance": "5500.00", "peak": "7500.00", "peak_day": "2024-03-03", "ongoing": "false"},
			{"first_day": "2024-04-01", "last_day": "2024-04-01", "days": "1", "peak": "5000.01"},
		}},
		{"same day: received and banked before day end is not over", "2025-06-30", []string{
			opening("1000.00"),
			L("C1", "2024-03-01", "cash", "in", "9000.00", "collection", "医保局", "P1"),
			L("D1", "2024-03-01", "cash", "out", "9000.00", "deposit", "", "P1"),
		}, nil},
		{"balance back to exactly the limit ends the run", "2025-06-30", []string{
			opening("1000.00"),
			L("C1", "2024-03-01", "cash", "in", "4000.50", "collection", "医保局", "P1"),
			L("D1", "2024-03-02", "cash", "out", "0.50", "deposit", "", "P1"),
		}, []M{{"first_day": "2024-03-01", "last_day": "2024-03-01", "days": "1"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			check(t, vDays, build(t, c.asOf, c.ledger, nil)[vDays], c.want)
		})
	}
}

func TestPayments(t *testing.T) {
	cases := []struct {
		name   string
		ledger []string
		want   []M
	}{
		{"spendable first, then receipts", []string{
			opening("100.00"),
			L("I1", "2024-03-01", "cash", "in", "500.00", "income", "摊位", "P1"),
			L("X1", "2024-03-01", "cash", "out", "300.00", "expense", "某店", "P1"),
		}, []M{{"entry_id": "X1", "cash_before": "600.00", "receipts_before": "500.00", "from_spendable": "100.00", "zuozhi": "200.00"}}},
		{"same-day order: withdrawal listed before the payment covers it", []string{
			opening("100.00"),
			L("X0", "2024-02-01", "cash", "out", "100.00", "expense", "某店", "P1"),
			L("I1", "2024-03-01", "cash", "in", "800.00", "income", "摊位", "P1"),
			L("W1", "2024-03-02", "cash", "in", "300.00", "withdrawal", "", "P1"),
			L("X1", "2024-03-02", "cash", "out", "300.00", "expense", "某店", "P1"),
			L("X2", "2024-03-03", "cash", "out", "300.00", "subsidy_payout", "某户", "P1"),
			L("W2", "2024-03-03", "cash", "in", "300.00", "withdrawal", "", "P1"),
		}, []M{
			{"entry_id": "X0", "zuozhi": "0.00"},
			{"entry_id": "X1", "zuozhi": "0.00"},
			{"entry_id": "X2", "category": "subsidy_payout", "zuozhi": "300.00"},
		}},
		{"bank payments and transfers are not cash payments", []string{
			opening("100.00"),
			L("B1", "2024-03-01", "bank", "out", "300.00", "expense", "某店", "P1"),
			L("T1", "2024-03-01", "cash", "out", "50.00", "transfer", "", "P1"),
		}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			check(t, vPayments, build(t, "2025-06-30", c.ledger, nil)[vPayments], c.want)
		})
	}
}

func TestSplitGroups(t *testing.T) {
	cases := []struct {
		name   string
		ledger []string
		want   []M
	}{
		{"a pair one fen below the tier is not a group", []string{
			L("A1", "2024-02-01", "bank", "out", "2500.00", "expense", "甲", "P1"),
			L("A2", "2024-02-03", "bank", "out", "2499.99", "expense", "甲", "P1"),
		}, nil},
		{"a pair reaching the tier exactly, day 7 included, cash and bank together", []string{
			L("A1", "2024-02-01", "bank", "out", "2500.00", "expense", "甲", "P1"),
			L("A2", "2024-02-08", "cash", "out", "2500.00", "expense", "甲", "P2"),
		}, []M{{"entry_id": "A1", "last_date": "2024-02-08", "payments": "2", "total": "5000.00", "largest": "2500.00", "entry_ids": "A1,A2", "accounts": "bank,cash", "handled_by": "P1"}}},
		{"day 8 is outside the window", []string{
			L("A1", "2024-02-01", "bank", "out", "2500.00", "expense", "甲", "P1"),
			L("A2", "2024-02-09", "bank", "out", "2500.00", "expense", "甲", "P1"),
		}, nil},
		{"the search goes on after a group; a failed start slides to the next payment", []string{
			L("A1", "2024-02-01", "bank", "out", "1000.00", "expense", "甲", "P1"),
			L("A2", "2024-02-06", "bank", "out", "3000.00", "expense", "甲", "P1"),
			L("A3", "2024-02-10", "bank", "out", "2000.00", "expense", "甲", "P1"),
			L("A4", "2024-02-11", "bank", "out", "4000.00", "expense", "甲", "P1"),
			L("A5", "2024-02-12", "bank", "out", "4000.00", "expense", "甲", "P1"),
		}, []M{
			{"entry_id": "A2", "entry_ids": "A2,A3,A4,A5", "total": "13000.00"},
		}},
		{"payments at the tier, other categories, other counterparties and other villages do not join", []string{
			L("A1", "2024-02-01", "bank", "out", "2500.00", "expense", "甲", "P1"),
			L("A2", "2024-02-02", "bank", "out", "5000.00", "expense", "甲", "P1"),
			L("A3", "2024-02-02", "bank", "out", "2500.00", "subsidy_payout", "甲", "P1"),
			L("A4", "2024-02-02", "bank", "out", "2500.00", "expense", "乙", "P1"),
			L("A5@511002101205", "2024-02-02", "bank", "out", "2500.00", "expense", "甲", "P1"),
			L("A6", "2024-02-02", "bank", "in", "2500.00", "expense", "甲", "P1"),
		}, nil},
		{"same day: journal order decides the first entry", []string{
			L("A2", "2024-02-01", "bank", "out", "2500.00", "expense", "甲", "P1"),
			L("A1", "2024-02-01", "bank", "out", "2500.00", "expense", "甲", "P1"),
		}, []M{{"entry_id": "A2", "entry_ids": "A2,A1"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			check(t, vSplits, build(t, "2025-06-30", c.ledger, nil)[vSplits], c.want)
		})
	}
}

func TestHandlers(t *testing.T) {
	cadres := []string{
		"P1," + V + ",cashier,2021-01-01,2024-02-29",
		"P1," + V + ",committee_member,2021-01-01,",
		"P3," + V + ",accountant,2024-03-01,",
		"P5,511002101205,cashier,2021-01-01,",
	}
	ledger := []string{
		opening("1000.00"),
		L("H1", "2024-02-29", "cash", "in", "100.00", "collection", "医保局", "P1"),
		L("H2", "2024-03-01", "cash", "in", "100.00", "collection", "医保局", "P1"),
		L("H3", "2024-03-01", "cash", "out", "200.00", "deposit", "", "P3"),
		L("H4", "2024-03-02", "cash", "in", "100.00", "income", "摊位", "P5"),
	}
	out := build(t, "2025-06-30", ledger, cadres)
	check(t, vHandlers, out[vHandlers], []M{
		{"entry_id": "E0", "handled_by": "∅", "roles": "", "roles_cn": "无村干部职务", "entitled": "false"},
		{"entry_id": "H1", "roles": "committee_member,cashier", "entitled": "true", "category_cn": "代收款"},
		{"entry_id": "H2", "roles": "committee_member", "roles_cn": "委员", "entitled": "false"},
		{"entry_id": "H3", "roles": "accountant", "entitled": "true"},
		{"entry_id": "H4", "roles": "", "entitled": "false"},
	})
}

func TestIssues(t *testing.T) {
	cases := []struct {
		name   string
		ledger []string
		want   []M
	}{
		{"clean journal: none", []string{
			opening("100.00"),
			L("C1", "2024-03-01", "cash", "in", "500.00", "collection", "医保局", "P1"),
			L("D1", "2024-03-01", "cash", "out", "600.00", "deposit", "", "P1"),
		}, nil},
		{"no opening, a deposit with no cash, then a negative run", []string{
			L("I1", "2024-01-01", "cash", "in", "100.00", "income", "摊位", "P1"),
			L("D1", "2024-01-02", "cash", "out", "300.00", "deposit", "", "P1"),
			L("W1", "2024-01-05", "cash", "in", "500.00", "withdrawal", "", "P1"),
		}, []M{
			{"kind": "no_opening", "date": "2024-01-01", "entry_id": "I1", "amount": "100.00"},
			{"kind": "deposit_no_cash", "date": "2024-01-02", "entry_id": "D1", "amount": "200.00", "balance": "100.00"},
			{"kind": "negative", "date": "2024-01-02", "last_day": "2024-01-04", "days": "3", "balance": "-200.00", "amount": "200.00", "entry_id": "∅"},
		}},
		{"an opening listed after another entry on the first day", []string{
			L("I1", "2024-01-01", "cash", "in", "100.00", "income", "摊位", "P1"),
			opening("100.00"),
		}, []M{{"kind": "no_opening", "entry_id": "I1"}}},
		{"negative until as_of", []string{
			opening("100.00"),
			L("X1", "2025-06-29", "cash", "out", "150.00", "expense", "某店", "P1"),
		}, []M{{"kind": "negative", "date": "2025-06-29", "last_day": "2025-06-30", "days": "2", "balance": "-50.00"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			check(t, vIssues, build(t, "2025-06-30", c.ledger, nil)[vIssues], c.want)
		})
	}
}

// The replay orders each village's rows itself: a journal listed out of
// date order, villages interleaved, gives the same views as a sorted one
// (journal order kept within a day), and nothing after as_of is read.
func TestOrderIndependent(t *testing.T) {
	sorted := []string{
		opening("100.00"),
		L("G0@511002101203", "2024-01-01", "cash", "in", "100.00", "opening", "", ""),
		L("C1", "2024-03-01", "cash", "in", "6000.00", "collection", "医保局", "P1"),
		L("X1", "2024-03-01", "cash", "out", "300.00", "expense", "某店", "P1"),
		L("D1", "2024-03-05", "cash", "out", "5800.00", "deposit", "", "P1"),
		L("G1@511002101203", "2024-03-02", "cash", "in", "300.00", "income", "摊位", "P1"),
		L("G2@511002101203", "2024-03-02", "cash", "out", "350.00", "expense", "某店", "P1"),
	}
	shuffled := []string{sorted[4], sorted[5], sorted[2], sorted[1], sorted[3], sorted[6], sorted[0],
		L("Z1", "2025-07-01", "cash", "out", "99999.00", "expense", "未来", "P1")}
	a, b := build(t, "2025-06-30", sorted, nil), build(t, "2025-06-30", shuffled, nil)
	for _, v := range (detector{}).Views() {
		ra, rb := rows(a[v.Name]), rows(b[v.Name])
		if fmt.Sprint(ra) != fmt.Sprint(rb) {
			t.Errorf("%s differs:\n sorted   %v\n shuffled %v", v.Name, ra, rb)
		}
	}
	// villages come out in village_id order
	if got := rows(a[vPayments]); len(got) != 2 || got[0]["village_id"] != "511002101203" || got[1]["entry_id"] != "X1" {
		t.Errorf("payments order: %v", got)
	}
}

func TestUnknownEntitledRole(t *testing.T) {
	res, _ := engine.NewSettingsResolver(nil, nil, engine.Geography{})
	mem := memory.NewGoAllocator()
	tables := map[string]*table.Table{"ledger": loadCSV(t, mem, "ledger", ledgerHeader+opening("1.00")+"\n")}
	d := detector{}
	in := engine.NewInput(d, tables, civil.MustParse("2025-06-30"), 0, 0, map[string]bool{vHandlers: true}, mem, res)
	if _, err := d.Build(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if b := roleBit("treasurer"); b != 0 {
		t.Fatal("unknown role has a bit")
	}
}
