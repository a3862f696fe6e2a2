package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/neijiang/xiaowei/internal/pgtest"
)

const exportMapping = "../../fixtures/shizhong-export/sources.yaml"

// dispatchOK runs one command and fails the test unless it exits 0.
func dispatchOK(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := dispatch(context.Background(), args, &stdout, &stderr); code != exitOK {
		t.Fatalf("%v: exit %d: %s", args, code, stderr.String())
	}
	return stdout.String()
}

// TestImportMappingThenRunDB: the xlsx + GBK CSV export of the shizhong
// fixture imported through its sources.yaml, then run over the database,
// gives a findings.jsonl byte-identical to a file run on the contract folder.
func TestImportMappingThenRunDB(t *testing.T) {
	url, schema := pgtest.Schema(t)
	dir := t.TempDir()
	run := func(out string, src ...string) []byte {
		t.Helper()
		dispatchOK(t, append([]string{"run", "--out", out, "--rules", "../../rules", "--as-of", "2025-06-30"}, src...)...)
		b, err := os.ReadFile(filepath.Join(out, "findings.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	want := run(filepath.Join(dir, "file"), "--data", "../../fixtures/shizhong")
	if n := bytes.Count(want, []byte("\n")); n != 76 { // 66, and 10 of the major item (rules/major.yaml)
		t.Errorf("run --data fixtures/shizhong: %d findings, want 76", n)
	}

	rejects := filepath.Join(dir, "rejected.csv")
	stdout := dispatchOK(t, "import", "--mapping", exportMapping, "--db", url, "--schema", schema, "--rejects", rejects, "--rules", "../../rules")
	for _, w := range []string{"ledger", "disclosures", "decisions", "contract_payments", "imported into " + schema + "_data"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("import stdout lacks %q:\n%s", w, stdout)
		}
	}
	if b, _ := os.ReadFile(rejects); string(b) != "table,file,line,column,value,reason\n" {
		t.Errorf("the export fixture should import without rejects, got:\n%s", b)
	}

	got := run(filepath.Join(dir, "db"), "--db", url, "--schema", schema)
	if !bytes.Equal(got, want) {
		t.Errorf("import --mapping then run --db: findings differ from run --data (%d bytes vs %d)", len(got), len(want))
	}
}

// TestImportMappingRejects: a bad cell in a workbook is rejected by import
// --mapping with the same report, naming the sheet and cell, as run
// --mapping writes; the default report goes beside the mapping file, and
// --strict imports nothing (exit 2).
func TestImportMappingRejects(t *testing.T) {
	url, schema := pgtest.Schema(t)
	exp := filepath.Join(t.TempDir(), "export")
	if err := os.CopyFS(exp, os.DirFS(filepath.Dir(exportMapping))); err != nil {
		t.Fatal(err)
	}
	book := filepath.Join(exp, "财务台账.xlsx")
	f, err := excelize.OpenFile(book)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellStr("现金银行日记账", "C5", "2024/13/1"); err != nil {
		t.Fatal(err)
	}
	if err := f.SaveAs(book); err != nil {
		t.Fatal(err)
	}
	f.Close()
	mapping := filepath.Join(exp, "sources.yaml")

	out := t.TempDir()
	dispatchOK(t, "run", "--mapping", mapping, "--out", out, "--rules", "../../rules", "--as-of", "2025-06-30")
	want, err := os.ReadFile(filepath.Join(out, "rejected.csv"))
	if err != nil {
		t.Fatal(err)
	}
	cell := `"date (日期, 现金银行日记账!C5)",2024/13/1,"""2024/13/1"" is not a calendar date"`
	if !strings.Contains(string(want), cell) {
		t.Fatalf("run --mapping rejects lack %s:\n%s", cell, want)
	}

	var stdout, stderr bytes.Buffer
	if code := dispatch(context.Background(), []string{"import", "--mapping", mapping, "--db", url, "--schema", schema, "--strict"}, &stdout, &stderr); code != exitBadInput {
		t.Errorf("import --mapping --strict with a bad cell: exit %d, want 2: %s", code, stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	if code := dispatch(context.Background(), []string{"import", "--mapping", mapping, "--db", url, "--schema", schema}, &stdout, &stderr); code != exitOK {
		t.Fatalf("import --mapping: exit %d: %s", code, stderr.String())
	}
	def := filepath.Join(exp, "rejected.csv")
	got, err := os.ReadFile(def)
	if err != nil {
		t.Fatalf("no rejects report beside the mapping: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("import --mapping rejects differ from run --mapping's:\nimport:\n%s\nrun:\n%s", got, want)
	}
	if !strings.Contains(stderr.String(), "1 rows rejected: "+def) {
		t.Errorf("stderr %q does not name the report", stderr.String())
	}
	if !hasCountLine(stdout.String(), "ledger", "1") {
		t.Errorf("import stdout does not count the ledger reject:\n%s", stdout.String())
	}
}

// hasCountLine reports whether out has a count line (table read imported
// rejected) for table with n rejected.
func hasCountLine(out, table, n string) bool {
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) == 4 && f[0] == table && f[3] == n {
			return true
		}
	}
	return false
}

// TestImportMappingUsage: --data and --mapping are exclusive and one is
// required; a mapping that cannot be read is exit 2 naming it. All are
// refused before the database is opened.
func TestImportMappingUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--data", "../../fixtures/shizhong", "--mapping", exportMapping}, "exclusive"},
		{nil, "--mapping"},
		{[]string{"--mapping", "does-not-exist.yaml"}, "does-not-exist.yaml"},
	} {
		var stdout, stderr bytes.Buffer
		args := append([]string{"import", "--db", "postgres://nobody@127.0.0.1:1/none"}, tc.args...)
		code := dispatch(context.Background(), args, &stdout, &stderr)
		if code != exitBadInput || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 mentioning %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}
