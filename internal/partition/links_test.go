package partition

import (
	"strings"
	"testing"

	"github.com/neijiang/xiaowei/internal/contract"
)

// declareLinkTables declares, as rule files do, a table with a village
// column (deals), a link table naming a deal and a ledger entry (deal_pays)
// and a list without village or reference (price_list).
func declareLinkTables(t *testing.T) {
	t.Helper()
	for _, d := range []*contract.Table{
		{Name: "deals", Optional: true, Key: []string{"deal_id"}, VillageCol: "village_id", Source: "test:1:1",
			Columns: []contract.Column{{Name: "deal_id", Kind: contract.ID, Required: true}, {Name: "village_id", Kind: contract.ID, Required: true}}},
		{Name: "deal_pays", Optional: true, Key: []string{"entry_id"}, Source: "test:2:1",
			Columns: []contract.Column{{Name: "entry_id", Kind: contract.ID, Required: true}, {Name: "deal_id", Kind: contract.ID, Required: true}}},
		{Name: "price_list", Optional: true, Key: []string{"item"}, Source: "test:3:1",
			Columns: []contract.Column{{Name: "item", Kind: contract.Text, Required: true}}},
	} {
		if err := contract.Declare(d); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSplitLinkTablesByReference: a link row goes to the counties of the
// ledger entry and the deal it names (both, when they lie in two
// counties), to the first county when it names neither, and never to a
// county holding neither; a declared table with no village column and no
// reference is still copied to every county.
func TestSplitLinkTablesByReference(t *testing.T) {
	declareLinkTables(t)
	ledger := "entry_id,village_id,date,voucher_no,account,direction,amount,category,counterparty,summary,handled_by,approved_by\n"
	for _, e := range []string{"EA,A1", "EB,B1", "EC,C1"} {
		ledger += e + ",2024-01-01,V,bank,out,1.00,project,,s,,\n"
	}
	files := map[string]string{
		"villages.csv": "village_id,village_name,town_id,town_name,county_id,county_name\n" +
			"A1,a1,TA,ta,CA,ca\nB1,b1,TB,tb,CB,cb\nC1,c1,TC,tc,CC,cc\n",
		"ledger.csv":     ledger,
		"deals.csv":      "deal_id,village_id\nDA,A1\nDB,B1\n",
		"deal_pays.csv":  "entry_id,deal_id\nEA,DA\nEB,DA\n\u200bEC,DX\nEX,DX\n",
		"price_list.csv": "item\ncement\n",
	}
	plan := splitFiles(t, files)
	rows := func(part int, table string) string {
		b, ok := readPart(t, plan.Parts[part], table)
		if !ok {
			return "(absent)"
		}
		_, body, _ := strings.Cut(b, "\n")
		return body
	}
	for _, c := range []struct {
		name  string
		part  int
		table string
		want  string
	}{
		{"entry and deal in county A", 0, "deal_pays", "EA,DA\nEB,DA\nEX,DX\n"},
		{"entry in B, deal in A: in both", 1, "deal_pays", "EB,DA\n"},
		{"an id with a zero-width space follows its normal form", 2, "deal_pays", "\u200bEC,DX\n"},
		{"no reference: copied to every county", 1, "price_list", "cement\n"},
		{"no reference: copied to every county", 2, "price_list", "cement\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := rows(c.part, c.table); got != c.want {
				t.Errorf("county %d %s: %q, want %q", c.part, c.table, got, c.want)
			}
		})
	}
	if plan.Copies["deal_pays"] != 1 || plan.Copies["price_list"] != 2 {
		t.Errorf("copies %v, want deal_pays 1 (EB), price_list 2", plan.Copies)
	}
}
