package partition

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSplitCSV(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"villages.csv": "village_id,village_name,town_id,town_name,county_id,county_name\n" +
			"A1,a1,TA,ta,CA,ca\nB1,b1,TB,tb,CB,cb\nA2,a2,TA,ta,CA,ca\n",
		"cadres.csv": "person_id,village_id,role,term_start,term_end\nPC,A1,director,2020-01-01,\n",
		"beneficiaries.csv": "case_id,program,person_id,village_id,applied_on,approved_on,ended_on,monthly_amount,handled_by,relative_filed\n" +
			"K1,dibao,PB,B1,2024-01-01,2024-02-01,,100.00,PH,false\n",
		"persons.csv": "person_id,name,gender,birth_date,household_id,relation_to_head,village_id,death_date\n" +
			"PC,c,M,1970-01-01,H1,head,A1,\nPB,b,F,1980-01-01,H2,head,B1,\nPH,h,F,1980-01-01,H3,head,B1,\nPX,x,F,1980-01-01,H4,head,A2,\n",
		"kinship.csv":  "person_id,relative_id,relation\nPB,PC,sibling\nPX,PB,other\nPY,PZ,spouse\n",
		"payments.csv": "payment_id,case_id,person_id,program,period,amount,paid_on,account_no,account_holder_id\nY1,K1,PB,dibao,2024-03,100.00,2024-03-10,ACC,PB\nY2,K9,PQ,dibao,2024-03,100.00,2024-03-10,ACC,PQ\n",
		"ledger.csv":   "entry_id,village_id,date,voucher_no,account,direction,amount,category,counterparty,summary,handled_by,approved_by\nE1,A2,2024-01-01,V1,cash,in,1.00,opening,,,,\nE2,B1,2024-01-01,V1,cash,in,1.00,opening,,,,\nE3,ZZ,2024-01-01,V1,cash,in,1.00,opening,,,,\n",
	}
	for n, s := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	plan, err := SplitCSV(context.Background(), dir, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Parts) != 2 || plan.Parts[0].County != "CA" || !plan.Parts[0].First || !plan.Parts[1].Villages["B1"] {
		t.Fatalf("parts: %+v", plan.Parts)
	}
	ids := func(p int, table string) string {
		b, err := os.ReadFile(filepath.Join(plan.Parts[p].Dir, table+".csv"))
		if err != nil {
			return "absent"
		}
		var out []string
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n")[1:] {
			out = append(out, strings.Join(strings.Split(l, ",")[:2], ","))
		}
		return strings.Join(out, " ")
	}
	for _, c := range []struct {
		part        int
		table, want string
	}{
		{0, "villages", "A1,a1 A2,a2"},
		{1, "villages", "B1,b1"},
		{0, "cadres", "PC,A1"}, {1, "cadres", "PC,A1"}, // global
		{0, "persons", "PC,c PH,h PX,x"}, // the cadre and the handler PH (of B) go everywhere
		{1, "persons", "PC,c PB,b PH,h"},
		{0, "kinship", "PB,PC PY,PZ"}, // involves a cadre: global; unknown persons: first county
		{1, "kinship", "PB,PC PX,PB"}, // PX-PB follows the beneficiary PB
		{0, "payments", "Y2,K9"},      // unknown case: first county
		{1, "payments", "Y1,K1"},
		{0, "ledger", "E1,A2 E3,ZZ"},
		{1, "ledger", "E2,B1"},
		{0, "disclosures", "absent"},
	} {
		got := ids(c.part, c.table)
		if got != c.want {
			t.Errorf("county %d %s: %q, want %q", c.part, c.table, got, c.want)
		}
	}
	if plan.Global["cadres"] != 1 || plan.Global["persons"] != 2 || plan.Global["kinship"] != 1 {
		t.Errorf("globals: %v", plan.Global)
	}
	if !plan.Known("A2") || plan.Known("ZZ") {
		t.Error("Known")
	}
}
