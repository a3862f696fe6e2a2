package run

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/table"
)

func build(t *testing.T, name string, rows []map[string]string) *table.Table {
	t.Helper()
	spec, _ := contract.Lookup(name)
	b := table.NewBuilder(nil, name, table.ContractCols(spec))
	for _, r := range rows {
		for k, v := range r {
			c := b.Col(k)
			switch spec.Columns[c].Kind {
			case contract.Date:
				b.SetDate(c, civil.MustParse(v))
			case contract.Money:
				b.SetInt(c, 100)
			case contract.Bool:
				b.SetBool(c, v == "true")
			default:
				b.SetStr(c, v)
			}
		}
		b.Next()
	}
	return b.Finish()
}

// A campaign scope narrows every table to its villages; payments, which
// have no village, follow their case; rows after as_of are cut and counted.
func TestApplyScopeCampaignAndAsOf(t *testing.T) {
	tables := map[string]*table.Table{
		"villages": build(t, "villages", []map[string]string{
			{"village_id": "V1", "town_id": "T1"}, {"village_id": "V2", "town_id": "T2"}}),
		"beneficiaries": build(t, "beneficiaries", []map[string]string{
			{"case_id": "C1", "village_id": "V1", "approved_on": "2024-01-01"},
			{"case_id": "C2", "village_id": "V2", "approved_on": "2024-01-01"}}),
		"payments": build(t, "payments", []map[string]string{
			{"payment_id": "P1", "case_id": "C1", "paid_on": "2024-02-01"},
			{"payment_id": "P2", "case_id": "C2", "paid_on": "2024-02-01"},
			{"payment_id": "P3", "case_id": "C1", "paid_on": "2025-07-01"}}),
	}
	defer func() {
		for _, tb := range tables {
			tb.Release()
		}
	}()
	out, stats, err := applyScope(context.Background(), tables, Scope{AsOf: civil.MustParse("2025-06-30"), Towns: []string{"T1"}}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for name, tb := range out {
			if tb != tables[name] {
				tb.Release()
			}
		}
	}()
	ids := func(tb *table.Table, col string) []string {
		var s []string
		for i := 0; i < tb.Len(); i++ {
			s = append(s, tb.Str(col).Value(i))
		}
		return s
	}
	if got := ids(out["payments"], "payment_id"); len(got) != 1 || got[0] != "P1" {
		t.Errorf("payments in scope = %v, want [P1]", got)
	}
	if got := ids(out["villages"], "village_id"); len(got) != 1 || got[0] != "V1" {
		t.Errorf("villages in scope = %v", got)
	}
	for _, st := range stats {
		if st.Table == "payments" && (st.AfterAsOf != 1 || st.OutOfScope != 1) {
			t.Errorf("payments stats %+v, want 1 after as_of and 1 out of scope", st)
		}
	}
}
