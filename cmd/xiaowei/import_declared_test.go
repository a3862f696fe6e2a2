package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/neijiang/xiaowei/internal/pgtest"
)

// TestImportDeclaredTables: the tables rules/major.yaml declares are
// imported like contract tables (created from their declaration), read back
// by run --db, and give the same findings as run --data, the major family's
// included. A table whose columns no longer match its declaration is an
// error, not a silent mismatch.
func TestImportDeclaredTables(t *testing.T) {
	url, schema := pgtest.Schema(t)
	ctx := context.Background()
	fixture, rulesDir := filepath.Join("..", "..", "fixtures", "shizhong"), filepath.Join("..", "..", "rules")
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	fileOut, dbOut := filepath.Join(dir, "file"), filepath.Join(dir, "db")
	if code := dispatch(ctx, []string{"run", "--data", fixture, "--out", fileOut, "--rules", rulesDir, "--as-of", "2025-06-30", "--quiet"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("run --data: exit %d: %s", code, stderr.String())
	}
	if code := dispatch(ctx, []string{"import", "--data", fixture, "--db", url, "--schema", schema, "--rules", rulesDir}, &stdout, &stderr); code != exitOK {
		t.Fatalf("import: exit %d: %s", code, stderr.String())
	}
	if code := dispatch(ctx, []string{"run", "--db", url, "--schema", schema, "--out", dbOut, "--rules", rulesDir, "--as-of", "2025-06-30", "--quiet"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("run --db: exit %d: %s", code, stderr.String())
	}
	want, _ := os.ReadFile(filepath.Join(fileOut, "findings.jsonl"))
	got, _ := os.ReadFile(filepath.Join(dbOut, "findings.jsonl"))
	if !bytes.Contains(want, []byte(`"rule_id":"PRJ-OVERPAY"`)) || !bytes.Contains(want, []byte(`"rule_id":"MAJ-QUORUM"`)) {
		t.Fatal("the fixture run has no major findings")
	}
	if !bytes.Equal(got, want) {
		t.Errorf("run --db findings differ from run --data")
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "select count(*) from "+pgx.Identifier{schema + "_data", "decisions"}.Sanitize()).Scan(&n); err != nil || n == 0 {
		t.Fatalf("decisions in the database: %d rows, %v", n, err)
	}
	if _, err := conn.Exec(ctx, "alter table "+pgx.Identifier{schema + "_data", "contract_payments"}.Sanitize()+" add column note text"); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	if code := dispatch(ctx, []string{"import", "--data", fixture, "--db", url, "--schema", schema, "--rules", rulesDir}, &stdout, &stderr); code == exitOK ||
		!strings.Contains(stderr.String(), "contract_payments has columns (_row, entry_id, contract_id, note)") {
		t.Errorf("import into a table that differs from its declaration: exit %d: %s", code, stderr.String())
	}
}
