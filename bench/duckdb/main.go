// Command duckdb-peer runs the DuckDB peer of ../shared/peers on a CSV
// dataset: it creates the tables of duckdb-schema.sql in an in-memory
// database, loads each <table>.csv with DuckDB's CSV reader, runs the
// statements of duckdb-rules.sql in order and prints the timings and the
// eight counts of the last statement.
//
// It lives in a module of its own because the DuckDB driver needs cgo; the
// main module stays cgo-free and `go test ./...` at the root never builds
// this.
//
//	go run . -peers ../../../shared/peers -data DIR
package main

import (
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

var tables = []string{"villages", "persons", "kinship", "cadres", "beneficiaries", "payments", "ledger", "disclosures"}

func main() {
	peers := flag.String("peers", "../shared/peers", "folder with duckdb-schema.sql and duckdb-rules.sql")
	data := flag.String("data", "", "CSV dataset folder")
	threads := flag.Int("threads", 0, "DuckDB threads (0 = its default: all cores)")
	flag.Parse()
	if *data == "" {
		fmt.Fprintln(os.Stderr, "duckdb-peer: -data is required")
		os.Exit(2)
	}
	if err := run(*peers, *data, *threads); err != nil {
		fmt.Fprintln(os.Stderr, "duckdb-peer:", err)
		os.Exit(1)
	}
}

func run(peers, data string, threads int) error {
	schema, err := os.ReadFile(filepath.Join(peers, "duckdb-schema.sql"))
	if err != nil {
		return err
	}
	rules, err := os.ReadFile(filepath.Join(peers, "duckdb-rules.sql"))
	if err != nil {
		return err
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one connection: temp tables live per connection
	if threads > 0 {
		if _, err := db.Exec(fmt.Sprintf("set threads = %d", threads)); err != nil {
			return err
		}
	}
	t0 := time.Now()
	for _, st := range statements(string(schema)) {
		if _, err := db.Exec(st); err != nil {
			return fmt.Errorf("duckdb-schema.sql: %w\n%s", err, st)
		}
	}
	for _, t := range tables {
		path := filepath.Join(data, t+".csv")
		if _, err := os.Stat(path); err != nil {
			continue
		}
		q := fmt.Sprintf("copy %s from '%s' (header)", t, strings.ReplaceAll(path, "'", "''"))
		if _, err := db.Exec(q); err != nil {
			return fmt.Errorf("loading %s: %w", path, err)
		}
	}
	t1 := time.Now()
	sts := statements(string(rules))
	var counts []string
	for i, st := range sts {
		if i < len(sts)-1 {
			if _, err := db.Exec(st); err != nil {
				return fmt.Errorf("duckdb-rules.sql statement %d: %w\n%s", i+1, err, st)
			}
			continue
		}
		rows, err := db.Query(st)
		if err != nil {
			return fmt.Errorf("duckdb-rules.sql last statement: %w", err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for j := range vals {
			ptrs[j] = &vals[j]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return err
			}
			for j, c := range cols {
				counts = append(counts, fmt.Sprintf("%s=%v", c, vals[j]))
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
	}
	t2 := time.Now()
	fmt.Printf("load %.2fs checks %.2fs total %.2fs counts %s\n", t1.Sub(t0).Seconds(), t2.Sub(t1).Seconds(), t2.Sub(t0).Seconds(), strings.Join(counts, " "))
	return nil
}

// statements splits a SQL script at the semicolons that end a line,
// dropping comment lines (the peer scripts put one statement per
// semicolon-terminated block and no semicolons inside strings).
func statements(script string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(script, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(strings.TrimSpace(line), ";") {
			if s := strings.TrimSpace(cur.String()); s != ";" {
				out = append(out, s)
			}
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}
