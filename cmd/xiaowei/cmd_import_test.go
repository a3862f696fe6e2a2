package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/neijiang/xiaowei/internal/pgtest"
)

// import reports rejects exactly like the loader, and import then run --db
// twice keeps one row per finding, seen twice.
func TestImportThenRunDB(t *testing.T) {
	url, schema := pgtest.Schema(t)
	data, rulesDir := setup(t)
	ctx := context.Background()
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer

	fileOut := filepath.Join(dir, "file")
	if code := dispatch(ctx, []string{"run", "--data", data, "--out", fileOut, "--rules", rulesDir, "--builtin-rules=false", "--as-of", "2025-06-30"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("run --data: exit %d: %s", code, stderr.String())
	}
	rejects := filepath.Join(dir, "import-rejected.csv")
	if code := dispatch(ctx, []string{"import", "--data", data, "--db", url, "--schema", schema, "--rejects", rejects}, &stdout, &stderr); code != exitOK {
		t.Fatalf("import: exit %d: %s", code, stderr.String())
	}
	want, _ := os.ReadFile(filepath.Join(fileOut, "rejected.csv"))
	got, _ := os.ReadFile(rejects)
	if len(want) == 0 || !bytes.Equal(got, want) {
		t.Errorf("import rejects differ from the loader's:\nimport:\n%s\nloader:\n%s", got, want)
	}
	// --strict refuses the folder and exits 2.
	if code := dispatch(ctx, []string{"import", "--data", data, "--db", url, "--schema", schema, "--strict", "--rejects", rejects}, &stdout, &stderr); code != exitBadInput {
		t.Errorf("import --strict with a bad row: exit %d, want 2", code)
	}

	wantFindings, _ := os.ReadFile(filepath.Join(fileOut, "findings.jsonl"))
	for i := 0; i < 2; i++ {
		out := filepath.Join(dir, "db")
		stderr.Reset()
		if code := dispatch(ctx, []string{"run", "--db", url, "--schema", schema, "--out", out, "--rules", rulesDir, "--builtin-rules=false", "--as-of", "2025-06-30"}, &stdout, &stderr); code != exitOK {
			t.Fatalf("run --db: exit %d: %s", code, stderr.String())
		}
		gotFindings, _ := os.ReadFile(filepath.Join(out, "findings.jsonl"))
		if !bytes.Equal(gotFindings, wantFindings) {
			t.Errorf("run --db findings differ from run --data:\n%s\nvs\n%s", gotFindings, wantFindings)
		}
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var rows, seen, runs int
	if err := conn.QueryRow(ctx, "select count(*), coalesce(min(times_seen), 0) from "+pgx.Identifier{schema, "findings"}.Sanitize()).Scan(&rows, &seen); err != nil {
		t.Fatal(err)
	}
	conn.QueryRow(ctx, "select count(*) from "+pgx.Identifier{schema, "runs"}.Sanitize()).Scan(&runs)
	if rows != 2 || seen != 2 || runs != 2 {
		t.Errorf("after two runs: %d finding rows (want 2), min times_seen %d (want 2), %d runs", rows, seen, runs)
	}
	// --data and --db together is a usage error.
	if code := dispatch(ctx, []string{"run", "--data", data, "--db", url, "--schema", schema, "--out", dir, "--rules", rulesDir}, &stdout, &stderr); code != exitBadInput {
		t.Errorf("--data with --db: exit %d, want 2", code)
	}
}
