package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// The hostile additions to the fixture register (masking_test): a
// first-generation 15-digit ID (a beneficiary, so DQ-BAD-ID reports it),
// a register name and an 18-digit ID glued to Latin letters inside a
// ledger summary, a duplicated person (its ID lands in rejected.csv), a
// rejected summary holding a register name, and register IDs written in
// digit groups (spaces, dashes) inside ledger summaries.
var maskingAdditions = map[string][]string{
	"persons.csv":       {"511002680131001,杜泽民,M,1968-01-31,5110021012049999,head,511002101204,", "511002196801310019,钟建平,M,1968-01-31,5110021012040001,head,511002101204,"},
	"beneficiaries.csv": {"TK511002101204-9999,tekun,511002680131001,511002101204,2024-01-01,2024-01-15,,500.00,511002196801310019,false"},
	"ledger.csv": {"L511002101204999991,511002101204,2024-03-01,PZ202403-99991,cash,out,60000.00,expense,某饭店,陪同许琴考察ID511002196909260009,511002198409060018,",
		"L511002101204999992,511002101204,2024-03-02,PZ202403-99992,cash,out,30.00,expense,某饭店,\"陪同许琴\x00\",511002198409060018,",
		"L511002101204999993,511002101204,2024-03-03,PZ202403-99993,cash,out,60000.00,expense,某饭店,代领人身份证5110 0219 8409 0600 18,511002198409060018,",
		"L511002101204999994,511002101204,2024-03-04,PZ202403-99994,cash,out,60000.00,expense,某饭店,经办人511002-19690926-0009签收,511002198409060018,"},
}

// TestMaskingScanEveryOutput runs the fixture (with the additions above)
// and the report, and scans every output meant for reading — report.html,
// leads.csv, findings.csv, the XLSX workbook, rejected.csv, and what the
// commands print (run, report, inspect's sample rows and rejects) — for
// every ID number and name of the register in all its forms: as written, glued to Latin letters, with full-width digits,
// and names with spaces between their characters.
func TestMaskingScanEveryOutput(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	if err := os.CopyFS(data, os.DirFS("../../fixtures/shizhong")); err != nil {
		t.Fatal(err)
	}
	for name, rows := range maskingAdditions {
		f, err := os.OpenFile(filepath.Join(data, name), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			f.WriteString(r + "\n")
		}
		f.Close()
	}
	out := filepath.Join(t.TempDir(), "out")
	var logs bytes.Buffer
	if code := dispatch(context.Background(), []string{"run", "--data", data, "--out", out, "--rules", "../../rules", "--as-of", "2025-06-30"}, &logs, &logs); code != exitOK {
		t.Fatalf("run: exit %d: %s", code, logs.String())
	}
	xlsx := filepath.Join(out, "r.xlsx")
	if code := dispatch(context.Background(), []string{"report", "--run", out, "--csv", filepath.Join(out, "csv"), "--xlsx", xlsx}, &logs, &logs); code != exitOK {
		t.Fatalf("report: exit %d: %s", code, logs.String())
	}

	// inspect shows sample rows and rejects: masked too
	for _, f := range []string{"persons.csv", "ledger.csv", "beneficiaries.csv"} {
		var out bytes.Buffer
		if code := dispatch(context.Background(), []string{"inspect", "--rows", "2000", "--errors", "100", filepath.Join(data, f)}, &out, &out); code != exitOK {
			t.Fatalf("inspect %s: exit %d: %s", f, code, out.String())
		}
		if !strings.Contains(out.String(), "sample rows") {
			t.Fatalf("inspect %s shows no sample rows:\n%s", f, out.String())
		}
		logs.Write(out.Bytes())
	}

	// The hostile values really reached the outputs (else the scan proves
	// nothing): the unmasked evidence store has them.
	evidence, err := os.ReadFile(filepath.Join(out, "findings.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"511002680131001", "陪同许琴考察ID511002196909260009", "5110 0219 8409 0600 18", "511002-19690926-0009"} {
		if !bytes.Contains(evidence, []byte(want)) {
			t.Errorf("findings.jsonl lacks %q: the fixture additions did not reach the outputs", want)
		}
	}

	outputs := map[string]string{"logs": logs.String()}
	for _, name := range []string{"report.html", "csv/leads.csv", "csv/findings.csv", "rejected.csv"} {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		outputs[name] = string(b)
	}
	outputs["r.xlsx"] = xlsxText(t, xlsx)
	for name, want := range map[string]string{"rejected.csv": "511002********0019", "report.html": "511002*****1001", "csv/findings.csv": "许*考察ID511002********0009"} {
		if !strings.Contains(outputs[name], want) {
			t.Errorf("%s lacks the masked form %q", name, want)
		}
	}

	forms := registerForms(t, filepath.Join(data, "persons.csv"))
	if len(forms) < 5*1250 {
		t.Fatalf("only %d forms from the register", len(forms))
	}
	for name, text := range outputs {
		t.Run(name, func(t *testing.T) {
			leaks := 0
			for _, f := range forms {
				if strings.Contains(text, f) {
					if leaks++; leaks <= 5 {
						t.Errorf("%s shows %q unmasked", name, f)
					}
				}
			}
		})
	}
}

// registerForms lists every form an ID or a name of the register can take
// in text: the ID as written, with full-width digits (an ID glued to
// letters contains the first), in digit groups (4-4-4-4-2 with spaces,
// 6-8-4 with dashes; the masker reads any single-space or dash grouping,
// internal/mask), the name and, for names of three or more
// characters, the name with spaces between them. One-character names are
// left out (the masker does not learn them, see internal/mask).
func registerForms(t *testing.T, persons string) []string {
	t.Helper()
	f, err := os.Open(persons)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	fullWidth := strings.NewReplacer("0", "０", "1", "１", "2", "２", "3", "３", "4", "４", "5", "５", "6", "６", "7", "７", "8", "８", "9", "９")
	var forms []string
	for _, r := range recs[1:] {
		id, name := r[0], r[1]
		forms = append(forms, id, fullWidth.Replace(id))
		if len(id) == 18 {
			forms = append(forms, id[:4]+" "+id[4:8]+" "+id[8:12]+" "+id[12:16]+" "+id[16:], id[:6]+"-"+id[6:14]+"-"+id[14:])
		}
		if rs := strings.Split(name, ""); len(rs) >= 2 {
			forms = append(forms, name)
			if len(rs) >= 3 {
				forms = append(forms, strings.Join(rs, " "))
			}
		}
	}
	return forms
}

func xlsxText(t *testing.T, path string) string {
	t.Helper()
	x, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	var b strings.Builder
	for _, sh := range x.GetSheetList() {
		rows, err := x.GetRows(sh)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			b.WriteString(strings.Join(r, "|") + "\n")
		}
	}
	return b.String()
}
