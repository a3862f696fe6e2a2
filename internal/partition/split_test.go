package partition

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSplitCSV(t *testing.T) {
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
	plan := splitFiles(t, files)
	if len(plan.Parts) != 2 || plan.Parts[0].County != "CA" || !plan.Parts[0].First || !plan.Parts[1].Villages["B1"] {
		t.Fatalf("parts: %+v", plan.Parts)
	}
	ids := func(p int, table string) string {
		b, ok := readPart(t, plan.Parts[p], table)
		if !ok {
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
		{0, "cadres", "PC,A1"}, {1, "cadres", ""}, // a cadre only where they serve
		{0, "persons", "PC,c PX,x"},   // the cadre PC serves in A only
		{1, "persons", "PB,b PH,h"},   // the handler PH lives and handles in B
		{0, "kinship", "PB,PC PY,PZ"}, // cadre PC's county and beneficiary PB's; unknown persons: first county
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
	if plan.Copies["cadres"] != 0 || plan.Copies["persons"] != 0 || plan.Copies["kinship"] != 1 || plan.Rows["kinship"] != 3 {
		t.Errorf("copies %v, rows %v", plan.Copies, plan.Rows)
	}
	if !plan.Known("A2") || plan.Known("ZZ") {
		t.Error("Known")
	}
}

// TestSplitCopiesOnlyWhereRead: a handler living in one county who handles
// a case in another is copied to exactly those two counties, with the
// kinship rows naming them; nothing else is copied.
func TestSplitCopiesOnlyWhereRead(t *testing.T) {
	files := map[string]string{
		"villages.csv": "village_id,village_name,town_id,town_name,county_id,county_name\n" +
			"A1,a1,TA,ta,CA,ca\nB1,b1,TB,tb,CB,cb\nC1,c1,TC,tc,CC,cc\n",
		"cadres.csv": "person_id,village_id,role,term_start,term_end\nPH,A1,director,2020-01-01,\n",
		"beneficiaries.csv": "case_id,program,person_id,village_id,applied_on,approved_on,ended_on,monthly_amount,handled_by,relative_filed\n" +
			"K1,dibao,PB,B1,2024-01-01,2024-02-01,,100.00,PH,false\n",
		"persons.csv": "person_id,name,gender,birth_date,household_id,relation_to_head,village_id,death_date\n" +
			"PH,h,F,1980-01-01,H3,head,A1,\nPB,b,F,1980-01-01,H2,head,B1,\nPC,c,F,1980-01-01,H4,head,C1,\n",
		"kinship.csv": "person_id,relative_id,relation\nPB,PH,sibling\nPC,PQ,other\n",
	}
	plan := splitFiles(t, files)
	for _, c := range []struct {
		name        string
		part        int
		table, want string
	}{
		{"handler in own county", 0, "persons", "PH,h\n"},
		{"handler where they handle", 1, "persons", "PH,h\nPB,b\n"},
		{"no copy where not read", 2, "persons", "PC,c\n"},
		{"kinship with the handler", 1, "kinship", "PB,PH,sibling\n"},
		{"kinship in handler's county", 0, "kinship", "PB,PH,sibling\nPC,PQ,other\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, ok := readPart(t, plan.Parts[c.part], c.table)
			if !ok {
				t.Fatal("absent")
			}
			lines := strings.SplitN(string(b), "\n", 2)
			var got string
			for _, l := range strings.SplitAfter(lines[1], "\n") {
				if l != "" {
					f := strings.Split(l, ",")
					if c.table == "persons" {
						got += f[0] + "," + f[1] + "\n"
					} else {
						got += l
					}
				}
			}
			if got != c.want {
				t.Errorf("%q, want %q", got, c.want)
			}
		})
	}
	if plan.Copies["persons"] != 1 || plan.Copies["kinship"] != 1 {
		t.Errorf("copies %v", plan.Copies)
	}
}

// TestRecords: records split like encoding/csv (quoted commas, doubled
// quotes, quoted newlines, CRLF, blank lines, a last line without '\n'),
// keep the record's bytes unchanged, and name file and line when malformed.
func TestRecords(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     []string // per record: raw bytes | field 1
		err      string
	}{
		{"plain", "a,b\nc,d\n", []string{"a,b\n|b", "c,d\n|d"}, ""},
		{"crlf and no final newline", "a,b\r\nc,d", []string{"a,b\r\n|b", "c,d\n|d"}, ""},
		{"blank lines skipped", "a,b\n\n\nc,d\n", []string{"a,b\n|b", "c,d\n|d"}, ""},
		{"quoted comma", "x,\"b,1\"\n", []string{"x,\"b,1\"\n|b,1"}, ""},
		{"doubled quote", "x,\"say \"\"hi\"\"\",z\n", []string{"x,\"say \"\"hi\"\"\",z\n|say \"hi\""}, ""},
		{"quoted newline", "x,\"l1\nl2\"\ny,z\n", []string{"x,\"l1\nl2\"\n|l1\nl2", "y,z\n|z"}, ""},
		{"bare quote", "a,b\nx,b\"c\n", nil, "t.csv line 2: bare \""},
		{"text after closing quote", "x,\"b\"c\n", nil, "t.csv line 1: extraneous"},
		{"unterminated", "a,b\nx,\"open\n", nil, "t.csv line 2: quoted field not closed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newRecords(strings.NewReader(c.in), "t.csv")
			var got []string
			var err error
			for {
				var raw []byte
				raw, err = r.next()
				if err != nil {
					break
				}
				f, _ := r.field(1)
				got = append(got, string(raw)+"|"+string(f))
			}
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != io.EOF {
				t.Fatal(err)
			}
			if strings.Join(got, "•") != strings.Join(c.want, "•") {
				t.Errorf("%q, want %q", got, c.want)
			}
		})
	}
}

// TestSplitHashesInput: the plan carries each input file's SHA-256 (the
// manifest's), computed while splitting.
func TestSplitHashesInput(t *testing.T) {
	files := map[string]string{
		"villages.csv": "village_id,village_name,town_id,town_name,county_id,county_name\nA1,a1,TA,ta,CA,ca\n",
		"ledger.csv":   "entry_id,village_id,date,voucher_no,account,direction,amount,category,counterparty,summary,handled_by,approved_by\nE1,A1,2024-01-01,V1,cash,in,1.00,opening,,,,\n",
	}
	plan := splitFiles(t, files)
	for n, s := range files {
		sum := sha256.Sum256([]byte(s))
		if got, want := plan.SHA256[strings.TrimSuffix(n, ".csv")], hex.EncodeToString(sum[:]); got != want {
			t.Errorf("%s: sha256 %s, want %s", n, got, want)
		}
	}
}

// splitFiles writes files (name -> content) to a new directory and splits it.
func splitFiles(t *testing.T, files map[string]string) *Plan {
	t.Helper()
	dir := t.TempDir()
	for n, s := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	plan, err := SplitCSV(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

func readPart(t *testing.T, p Part, table string) (string, bool) {
	t.Helper()
	r, size, ok, err := p.Open(table)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return "", false
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(b)) != size {
		t.Errorf("%s: read %d bytes, Open said %d", table, len(b), size)
	}
	return string(b), true
}

// TestPartBytesAndLines: a county's table is the header and its records
// byte for byte (CRLF, quoted newlines, a last line without newline kept),
// and its lines map back to the input's.
func TestPartBytesAndLines(t *testing.T) {
	files := map[string]string{
		"villages.csv": "village_id,village_name,town_id,town_name,county_id,county_name\r\n" +
			"A1,a1,TA,ta,CA,ca\r\nB1,b1,TB,tb,CB,cb\r\n",
		"ledger.csv": "entry_id,village_id,date,voucher_no,account,direction,amount,category,counterparty,summary,handled_by,approved_by\n" +
			"E1,A1,2024-01-01,V1,cash,in,1.00,opening,,,,\n" + // line 2
			"E2,B1,2024-01-01,V1,cash,in,1.00,opening,,\"two\nlines\",,\n" + // lines 3-4
			"\n" + // line 5, blank
			"E3,A1,2024-01-01,V1,cash,in,1.00,opening,,,,\n" + // line 6
			"E4,A1,2024-01-01,V1,cash,in,1.00,opening,,,,\n" + // line 7
			"E5,B1,2024-01-01,V1,cash,in,1.00,opening,,,,", // line 8, no newline
	}
	plan := splitFiles(t, files)
	head := "entry_id,village_id,date,voucher_no,account,direction,amount,category,counterparty,summary,handled_by,approved_by\n"
	a, _ := readPart(t, plan.Parts[0], "ledger")
	b, _ := readPart(t, plan.Parts[1], "ledger")
	if want := head + "E1,A1,2024-01-01,V1,cash,in,1.00,opening,,,,\nE3,A1,2024-01-01,V1,cash,in,1.00,opening,,,,\nE4,A1,2024-01-01,V1,cash,in,1.00,opening,,,,\n"; a != want {
		t.Errorf("county A ledger:\n%q\nwant\n%q", a, want)
	}
	if want := head + "E2,B1,2024-01-01,V1,cash,in,1.00,opening,,\"two\nlines\",,\nE5,B1,2024-01-01,V1,cash,in,1.00,opening,,,,"; b != want {
		t.Errorf("county B ledger:\n%q\nwant\n%q", b, want)
	}
	if v, _ := readPart(t, plan.Parts[1], "villages"); v != "village_id,village_name,town_id,town_name,county_id,county_name\r\nB1,b1,TB,tb,CB,cb\r\n" {
		t.Errorf("county B villages: %q", v)
	}
	if n := len(plan.Parts[0].Tables["ledger"].Ranges); n != 2 {
		t.Errorf("county A ledger: %d ranges, want 2 (E1; E3-E4 merged)", n)
	}
	for _, c := range []struct {
		name      string
		part, got int
		want      int
	}{
		{"header", 0, 1, 1},
		{"A: E1", 0, 2, 2},
		{"A: E3 after the gap", 0, 3, 6},
		{"A: E4", 0, 4, 7},
		{"B: E2 first line", 1, 2, 3},
		{"B: E5 after a two-line record", 1, 4, 8},
	} {
		t.Run(c.name, func(t *testing.T) {
			if l := plan.Parts[c.part].Tables["ledger"].Line(c.got); l != c.want {
				t.Errorf("line %d maps to %d, want %d", c.got, l, c.want)
			}
		})
	}
}

// TestSplitMatchesUpgradedIDs: a person's row written with the 15-digit ID
// number is the same person as the 18-digit form a cadres row uses (the run
// upgrades it, ident.Upgrade15), so it is copied to the cadre's county as
// in a whole run.
func TestSplitMatchesUpgradedIDs(t *testing.T) {
	plan := splitFiles(t, map[string]string{
		"villages.csv": "village_id,village_name,town_id,town_name,county_id,county_name\n" +
			"A1,a1,TA,ta,CA,ca\nB1,b1,TB,tb,CB,cb\n",
		"cadres.csv": "person_id,village_id,role,term_start,term_end\n511002196001011328,A1,director,2020-01-01,\n",
		"persons.csv": "person_id,name,gender,birth_date,household_id,relation_to_head,village_id,death_date\n" +
			"511002600101132,c,F,1960-01-01,H1,head,B1,\n",
	})
	got, _ := readPart(t, plan.Parts[0], "persons")
	if !strings.Contains(got, "511002600101132,c,") {
		t.Errorf("the cadre's county lacks their persons row written in 15 digits:\n%s", got)
	}
}
