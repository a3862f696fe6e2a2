package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/ident"
	"github.com/neijiang/xiaowei/internal/pgtest"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/ruletest"
)

// The evasion corpus: cheap ways the offices being supervised can make a
// link disappear from their own exports, each run through the real loader,
// normalisation, detectors and the shipped rules, with exactly the
// findings it must give. The conflict each one tries to hide must come out
// with its original severity, plus the tampering finding.
//
// The village: cadre 王建国 (511002196202021418, secretary of
// 511002101204); his sibling 王秀英 (511002196001011328) receives dibao in
// case B2, not filed as a relative case, handled by another clerk:
// REL-KIN, high, when nothing is hidden. Values are written with Go escapes (\u200b is a zero-width
// space) so the invisible characters are visible here.
const evasionVillages = `      villages: |
        village_id,village_name,town_id,town_name,county_id,county_name
        511002101204,牛桥村,511002101,史家镇,511002,市中区
        511002101205,邻村,511002101,史家镇,511002,市中区
`

const evasionCadres = `      cadres: |
        person_id,village_id,role,term_start,term_end
        511002196202021418,511002101204,secretary,2021-01-01,
`

// persons gives the register with the sibling's ID (and name) as pid/name.
func evasionPersons(pid, name string) string {
	return `      persons: |
        person_id,name,gender,birth_date,household_id,relation_to_head,village_id,death_date
        511002196202021418,王建国,M,1962-02-02,HH3,head,511002101204,
        ` + pid + `,` + name + `,F,1960-01-01,HH2,head,511002101204,
        11010519491231002X,罗红,F,1949-12-31,HH16,head,511002101204,
        511002194501012328,吴桂兰,F,1945-01-01,HH11,head,511002101204,
`
}

func evasionKinship(relative string) string {
	return `      kinship: |
        person_id,relative_id,relation
        511002196202021418,` + relative + `,sibling
`
}

func evasionCase(pid string) string {
	return `      beneficiaries: |
        case_id,program,person_id,village_id,applied_on,approved_on,ended_on,monthly_amount,handled_by,relative_filed
        B2,dibao,` + pid + `,511002101204,2024-03-01,2024-03-05,,600.00,511002198001012127,false
`
}

func evasionPayment(pid string) string {
	return `      payments: |
        payment_id,case_id,person_id,program,period,amount,paid_on,account_no,account_holder_id
        Y1,B2,` + pid + `,dibao,2025-01,600.00,2025-01-10,6217000000000001,511002196001011328
`
}

const sibling = "511002196001011328"

// sibling15 is her first-generation 15-digit ID: sibling without the "19"
// of the birth year and the check character.
const sibling15 = "511002600101132"

// evasionRules are evaluated in every case: the conflict rules an ID can
// hide, the data-quality rules a broken ID used to raise instead, and the
// tampering rules. The expect lists are exact for these rules.
const evasionRules = "[REL-KIN, REL-SELF, REL-HANDLER, REL-ACCOUNT, REL-DOUBLE, REL-SHARED-ACCOUNT, DQ-BAD-ID, DQ-UNKNOWN-PERSON, DQ-PAYMENT-NO-CASE, DQ-ID-ALTERED, DQ-ACCOUNT-ALTERED, DQ-CODE-ALTERED, DQ-NAME-ALTERED]"

func TestEvasion(t *testing.T) {
	cases := []struct {
		name, tables, expect string
	}{
		{
			// the review's attack: a zero-width space after the ID in the
			// register, the case and the payments. Before: REL-KIN gone,
			// a medium DQ-BAD-ID instead.
			name: "zero_width_space_in_register_case_and_payments",
			tables: evasionVillages + evasionCadres + evasionPersons(sibling+"\u200b", "王秀英") + evasionKinship(sibling) +
				evasionCase(sibling+"\u200b") + evasionPayment(sibling+"\u200b"),
			expect: `
      - {rule: REL-KIN, subject: "person:511002196001011328", severity: high}
      - {rule: DQ-ID-ALTERED, subject: "person:511002196001011328", severity: high, period: persons.person_id}
      - {rule: DQ-ID-ALTERED, subject: "case:B2", severity: high, period: beneficiaries.person_id}
      - {rule: DQ-ID-ALTERED, subject: "payment:Y1", severity: high, period: payments.person_id}`,
		},
		{
			name: "full_width_digits_in_case",
			tables: evasionVillages + evasionCadres + evasionPersons(sibling, "王秀英") + evasionKinship(sibling) +
				evasionCase("５１１００２１９６００１０１１３２８") + evasionPayment(sibling),
			expect: `
      - {rule: REL-KIN, subject: "person:511002196001011328", severity: high}
      - {rule: DQ-ID-ALTERED, subject: "case:B2", severity: high, period: beneficiaries.person_id}`,
		},
		{
			// the filed relationship itself written with a leading space
			// and a BOM, so it links nobody
			name: "leading_space_and_bom_in_kinship",
			tables: evasionVillages + evasionCadres + evasionPersons(sibling, "王秀英") + evasionKinship("\ufeff "+sibling) +
				evasionCase(sibling) + evasionPayment(sibling),
			expect: `
      - {rule: REL-KIN, subject: "person:511002196001011328", severity: high}
      - {rule: DQ-ID-ALTERED, subject: "person:511002196202021418", severity: high, period: kinship.relative_id}`,
		},
		{
			// a lower-case x check character and a bidi mark: 罗红 is the
			// cadre's sibling in kinship (upper X), the case writes x
			name: "lower_case_x_and_bidi_mark",
			tables: evasionVillages + evasionCadres + evasionPersons(sibling, "王秀英") + evasionKinship("11010519491231002X") +
				strings.Replace(evasionCase("\u202d11010519491231002x"), "B2,", "B12,", 1) +
				strings.NewReplacer("Y1,B2,", "Y1,B12,", ",511002196001011328\n", ",11010519491231002X\n").Replace(evasionPayment("11010519491231002X")),
			expect: `
      - {rule: REL-KIN, subject: "person:11010519491231002X", severity: high}
      - {rule: DQ-ID-ALTERED, subject: "case:B12", severity: high, period: beneficiaries.person_id}`,
		},
		{
			// the cadre's own ID disguised in the register of cadres (a word
			// joiner), so that he seems to have no relatives
			name: "cadre_id_disguised_in_cadres",
			tables: evasionVillages + strings.Replace(evasionCadres, "511002196202021418,", "511002196202021418\u2060,", 1) +
				evasionPersons(sibling, "王秀英") + evasionKinship(sibling) + evasionCase(sibling) + evasionPayment(sibling),
			expect: `
      - {rule: REL-KIN, subject: "person:511002196001011328", severity: high}
      - {rule: DQ-ID-ALTERED, subject: "person:511002196202021418", severity: high, period: cadres.person_id}`,
		},
		{
			// one person, two open dibao cases, the second under an ID
			// with a zero-width space: the split is REL-DOUBLE again
			name: "second_case_under_disguised_id",
			tables: evasionVillages + evasionCadres + evasionPersons(sibling, "王秀英") + evasionKinship(sibling) +
				strings.Replace(evasionCase(sibling), "false\n", "true\n", 1) +
				"        B3,dibao,511002194501012328,511002101204,2024-03-01,2024-03-05,,300.00,511002198001012127,false\n" +
				"        B4,dibao,511002194501012328\u200b,511002101204,2024-04-01,2024-04-05,,300.00,511002198001012127,false\n" +
				evasionPayment(sibling),
			expect: `
      - {rule: REL-DOUBLE, subject: "person:511002194501012328", severity: medium}
      - {rule: DQ-ID-ALTERED, subject: "case:B4", severity: high, period: beneficiaries.person_id}`,
		},
		{
			// two households paid into one account in one month, the
			// account written with spaces and dashes the second time
			name: "account_with_spaces_and_dashes",
			tables: evasionVillages + evasionCadres + evasionPersons(sibling, "王秀英") + evasionKinship(sibling) +
				strings.Replace(evasionCase(sibling), "false\n", "true\n", 1) +
				"        B3,dibao,511002194501012328,511002101204,2024-03-01,2024-03-05,,300.00,511002198001012127,false\n" +
				evasionPayment(sibling) +
				"        Y2,B3,511002194501012328,dibao,2025-01,300.00,2025-01-10,6217 0000-0000 0001,511002196001011328\n",
			expect: `
      - {rule: REL-SHARED-ACCOUNT, subject: "payment:Y1", severity: medium}
      - {rule: REL-SHARED-ACCOUNT, subject: "payment:Y2", severity: medium}
      - {rule: REL-ACCOUNT, subject: "payment:Y2", severity: medium}
      - {rule: DQ-ACCOUNT-ALTERED, subject: "payment:Y2", severity: high, period: payments.account_no}`,
		},
		{
			// the case id of a payment disguised: it names its case again
			// (no DQ-PAYMENT-NO-CASE), and the disguise is reported
			name: "payment_case_id_disguised",
			tables: evasionVillages + evasionCadres + evasionPersons(sibling, "王秀英") + evasionKinship(sibling) +
				strings.Replace(evasionCase(sibling), "false\n", "true\n", 1) +
				strings.Replace(evasionPayment(sibling), "Y1,B2,", "Y1,Ｂ2\u200c,", 1),
			expect: `
      - {rule: DQ-CODE-ALTERED, subject: "payment:Y1", severity: high, period: payments.case_id}`,
		},
		{
			// a name with spaces between the characters and a zero-width
			// space: no check matches by name, so it is a low note
			name: "name_spaced_and_zero_width",
			tables: evasionVillages + evasionCadres + evasionPersons(sibling, "王 秀\u200b英") + evasionKinship(sibling) +
				evasionCase(sibling) + evasionPayment(sibling),
			expect: `
      - {rule: REL-KIN, subject: "person:511002196001011328", severity: high}
      - {rule: DQ-NAME-ALTERED, subject: "person:511002196001011328", severity: low, period: persons.name}`,
		},
		{
			// the register holds the sibling twice: once plainly (as the
			// town's kinship filing names her) and once under a disguised
			// ID in another household, which the case uses
			name: "register_row_duplicated_under_disguised_id",
			tables: evasionVillages + evasionCadres +
				strings.Replace(evasionPersons(sibling, "王秀英"), "HH11,head,511002101204,\n", "HH11,head,511002101204,\n        "+sibling+"\u200b,王秀英,F,1960-01-01,HH9,head,511002101204,\n", 1) +
				evasionKinship(sibling) + evasionCase(sibling+"\u200b") + evasionPayment(sibling),
			expect: `
      - {rule: REL-KIN, subject: "person:511002196001011328", severity: high}
      - {rule: DQ-ID-ALTERED, subject: "person:511002196001011328", severity: high, period: persons.person_id}
      - {rule: DQ-ID-ALTERED, subject: "case:B2", severity: high, period: beneficiaries.person_id}`,
		},
		{
			// the money goes to the cadre's own account, its holder written
			// with a zero-width space so that the holder is nobody: without
			// normalisation REL-ACCOUNT drops from high (holder is a cadre)
			// to medium (holder outside the household)
			name: "account_holder_disguised",
			tables: evasionVillages + evasionCadres + evasionPersons(sibling, "王秀英") + evasionKinship(sibling) +
				strings.Replace(evasionCase(sibling), "false\n", "true\n", 1) +
				strings.Replace(evasionPayment(sibling), ",6217000000000001,511002196001011328", ",6217000000000009,511002196202021418\u200b", 1),
			expect: `
      - {rule: REL-ACCOUNT, subject: "payment:Y1", severity: high}
      - {rule: DQ-ID-ALTERED, subject: "payment:Y1", severity: high, period: payments.account_holder_id}`,
		},
		{
			// the relative registered under her first-generation 15-digit
			// ID (register and kinship filing), the case and payments under
			// the 18-digit one: one person, so REL-KIN again; the mixed
			// forms are the tampering signal
			name: "id15_relative_in_register_18_in_case_and_payments",
			tables: evasionVillages + evasionCadres + evasionPersons(sibling15, "王秀英") + evasionKinship(sibling15) +
				evasionCase(sibling) + evasionPayment(sibling),
			expect: `
      - {rule: REL-KIN, subject: "person:511002196001011328", severity: high}
      - {rule: DQ-ID-ALTERED, subject: "person:511002196001011328", severity: high, period: persons.person_id}
      - {rule: DQ-ID-ALTERED, subject: "person:511002196202021418", severity: high, period: kinship.relative_id}`,
		},
		{
			// the same person in the old form everywhere (an old register):
			// REL-KIN, no tampering finding, and DQ-BAD-ID judges the case's
			// ID as written, as before (15 digits is not the GB 11643 form)
			name: "id15_everywhere_is_old_not_altered",
			tables: evasionVillages + evasionCadres + evasionPersons(sibling15, "王秀英") + evasionKinship(sibling15) +
				evasionCase(sibling15) + strings.Replace(evasionPayment(sibling15), ","+sibling+"\n", ","+sibling15+"\n", 1),
			expect: `
      - {rule: REL-KIN, subject: "person:511002196001011328", severity: high}
      - {rule: DQ-BAD-ID, subject: "person:511002196001011328", severity: medium}`,
		},
		{
			// only the case in the old form: linked, reported as altered
			// (mixed with the register's 18 digits) and as a bad ID
			name: "id15_in_case_only",
			tables: evasionVillages + evasionCadres + evasionPersons(sibling, "王秀英") + evasionKinship(sibling) +
				evasionCase(sibling15) + evasionPayment(sibling),
			expect: `
      - {rule: REL-KIN, subject: "person:511002196001011328", severity: high}
      - {rule: DQ-ID-ALTERED, subject: "case:B2", severity: high, period: beneficiaries.person_id}
      - {rule: DQ-BAD-ID, subject: "person:511002196001011328", severity: medium}`,
		},
		{
			// control: the same data written plainly gives the conflict and
			// no tampering finding
			name: "plain_control",
			tables: evasionVillages + evasionCadres + evasionPersons(sibling, "王秀英") + evasionKinship(sibling) +
				evasionCase(sibling) + evasionPayment(sibling),
			expect: `
      - {rule: REL-KIN, subject: "person:511002196001011328", severity: high}`,
		},
	}
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("tests:\n")
	for _, tc := range cases {
		b.WriteString("  - name: " + tc.name + "\n    as_of: 2025-06-30\n    rules: " + evasionRules + "\n    tables:\n")
		b.WriteString(tc.tables)
		b.WriteString("    expect:" + tc.expect + "\n")
	}
	path := filepath.Join(dir, "evasion.test.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := rules.LoadDirs([]string{"../../rules", path})
	if err != nil {
		t.Fatal(err)
	}
	results := map[string]*ruletest.Result{}
	for _, tf := range set.Tests {
		if tf.Path != path {
			continue
		}
		for _, c := range tf.Cases {
			results[c.Name] = ruletest.RunCase(context.Background(), set, tf.Path, c)
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := results[tc.name]
			if r == nil {
				t.Fatal("case not parsed")
			}
			if !r.OK() {
				t.Errorf("err %v\nmissing %q\nunexpected %q\ndiffers %q\nrejects %q", r.Err, r.Missing, r.Unexpected, r.Differs, r.Rejects)
			}
		})
	}
}

// TestEvasionReportMasked: the tampering findings quote the value as
// written; the masked report, CSV and XLSX must still show no ID, account
// or name of the register in any of its written forms (plain, escaped,
// full-width).
// writeEvasionDataset writes a contract dataset whose register, case,
// payments and account carry the review's disguises (a zero-width space,
// full-width digits, a spaced name, an account with spaces and dashes).
func writeEvasionDataset(t *testing.T) (data, fullWidth string) {
	t.Helper()
	data = t.TempDir()
	fullWidth = "５１１００２１９６００１０１１３２８"
	tables := map[string]string{
		"villages": "511002101204,牛桥村,511002101,史家镇,511002,市中区\n",
		"persons": "511002196202021418,王建国,M,1962-02-02,HH3,head,511002101204,\n" +
			sibling + "\u200b,王 秀英,F,1960-01-01,HH2,head,511002101204,\n" +
			"511002194501012328,吴桂兰,F,1945-01-01,HH11,head,511002101204,\n",
		"kinship": "511002196202021418," + sibling + ",sibling\n",
		"cadres":  "511002196202021418,511002101204,secretary,2021-01-01,\n",
		"beneficiaries": "B2,dibao," + fullWidth + ",511002101204,2024-03-01,2024-03-05,,600.00,511002198001012127,false\n" +
			"B3,dibao,511002194501012328,511002101204,2024-03-01,2024-03-05,,300.00,511002198001012127,false\n",
		"payments": "Y1,B2," + sibling + "\u200b,dibao,2025-01,600.00,2025-01-10,6217000000000001,511002196001011328\n" +
			"Y2,B3,511002194501012328,dibao,2025-01,300.00,2025-01-10,6217 0000-0000 0001,511002196001011328\n",
		"ledger":      "",
		"disclosures": "",
	}
	for name, rows := range tables {
		spec, _ := contract.Lookup(name)
		if err := os.WriteFile(filepath.Join(data, name+".csv"), []byte(spec.Header()+"\n"+rows), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return data, fullWidth
}

func TestEvasionReportMasked(t *testing.T) {
	data, fullWidth := writeEvasionDataset(t)
	out, exp := filepath.Join(t.TempDir(), "out"), t.TempDir()
	mustRun(t, "run", "--data", data, "--rules", "../../rules", "--as-of", "2025-06-30", "--quiet", "--out", out)
	findingsText, err := os.ReadFile(filepath.Join(out, "findings.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	// the masking is tested on the findings that quote the written forms
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(findingsText)), "\n") {
		var f struct{ RuleID, Severity string }
		var raw map[string]any
		if err := json.Unmarshal([]byte(line), &raw); err != nil {
			t.Fatal(err)
		}
		f.RuleID, _ = raw["rule_id"].(string)
		f.Severity, _ = raw["severity"].(string)
		got[f.RuleID] = f.Severity
	}
	for rule, sev := range map[string]string{"REL-KIN": "high", "DQ-ID-ALTERED": "high", "DQ-ACCOUNT-ALTERED": "high", "DQ-NAME-ALTERED": "low", "REL-SHARED-ACCOUNT": "medium"} {
		if got[rule] != sev {
			t.Errorf("findings: %s %q, want %s (all: %v)", rule, got[rule], sev, got)
		}
	}
	xlsx := filepath.Join(exp, "report.xlsx")
	mustRun(t, "report", "--run", out, "--csv", exp, "--xlsx", xlsx)
	texts := map[string]string{}
	for _, p := range []string{filepath.Join(out, "report.html"), filepath.Join(exp, "leads.csv"), filepath.Join(exp, "findings.csv")} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		texts[filepath.Base(p)] = string(b)
	}
	zr, err := zip.OpenReader(xlsx)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		texts["report.xlsx:"+f.Name] = string(b)
	}
	secrets := []string{sibling, ident.Escape(sibling + "\u200b"), fullWidth, ident.Escape(fullWidth), "511002196202021418", "511002194501012328",
		"6217000000000001", "6217 0000-0000 0001", ident.Escape("6217 0000-0000 0001"), "王秀英", "王 秀英", ident.Escape("王 秀英"), "王建国", "吴桂兰"}
	for name, text := range texts {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s shows %q", name, s)
			}
		}
	}
}

// TestEvasionSameFromDB: the identifiers are normalised in the run, not only
// in a loader, so the same disguised export imported into PostgreSQL and run
// with --db gives byte-identical findings (the tampering ones included).
func TestEvasionSameFromDB(t *testing.T) {
	url, schema := pgtest.Schema(t)
	data, _ := writeEvasionDataset(t)
	dir := t.TempDir()
	fileOut, dbOut := filepath.Join(dir, "file"), filepath.Join(dir, "db")
	mustRun(t, "run", "--data", data, "--rules", "../../rules", "--as-of", "2025-06-30", "--quiet", "--out", fileOut)
	mustRun(t, "import", "--data", data, "--db", url, "--schema", schema)
	mustRun(t, "run", "--db", url, "--schema", schema, "--rules", "../../rules", "--as-of", "2025-06-30", "--quiet", "--out", dbOut)
	want, _ := os.ReadFile(filepath.Join(fileOut, "findings.jsonl"))
	got, _ := os.ReadFile(filepath.Join(dbOut, "findings.jsonl"))
	if len(want) == 0 || !bytes.Equal(got, want) || !bytes.Contains(got, []byte("DQ-ID-ALTERED")) {
		t.Errorf("run --db findings differ from run --data:\n%s\nvs\n%s", got, want)
	}
}

// TestEvasionPartitioned: a partitioned run splits the disguised export by
// the normal form of its keys, so it gives the whole run's findings.
func TestEvasionPartitioned(t *testing.T) {
	data, _ := writeEvasionDataset(t)
	// a second county, so the split has somewhere else to put a row whose
	// key it failed to normalise
	f, err := os.OpenFile(filepath.Join(data, "villages.csv"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("511001101201,外县村,511001101,外镇,511001,外县\n") // sorts first: gets rows of unknown county
	f.Close()
	// the payment names its case with a zero-width space: split by the raw
	// text it would land in the other county, away from its case
	pay := filepath.Join(data, "payments.csv")
	b, _ := os.ReadFile(pay)
	if err := os.WriteFile(pay, bytes.Replace(b, []byte("Y1,B2,"), []byte("Y1,B2\u200b,"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	whole, parts := filepath.Join(dir, "whole"), filepath.Join(dir, "parts")
	mustRun(t, "run", "--data", data, "--rules", "../../rules", "--as-of", "2025-06-30", "--quiet", "--out", whole)
	mustRun(t, "run", "--data", data, "--rules", "../../rules", "--as-of", "2025-06-30", "--quiet", "--out", parts, "--partition", "county")
	want, _ := os.ReadFile(filepath.Join(whole, "findings.jsonl"))
	got, _ := os.ReadFile(filepath.Join(parts, "findings.jsonl"))
	if len(want) == 0 || !bytes.Equal(got, want) || !bytes.Contains(got, []byte("REL-KIN")) {
		t.Errorf("partitioned findings differ from the whole run:\n%s\nvs\n%s", got, want)
	}
}
