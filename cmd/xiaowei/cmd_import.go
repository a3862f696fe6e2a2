package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/run"
	"github.com/neijiang/xiaowei/internal/store"
)

func init() {
	register(command{name: "import", summary: "validate a dataset folder (or mapped exports) and load it into PostgreSQL", run: cmdImport})
}

func cmdImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("import", "(--data DIR | --mapping FILE) --db URL [--rules DIR]... [--schema NAME] [--rejects FILE] [--strict] [--drop-absent]", stdout)
	data := fs.String("data", "", "dataset folder: one <table>.csv or <table>.parquet per contract table")
	mapping := fs.String("mapping", "", "source mapping (sources.yaml): read the tables from Excel/GBK CSV exports instead of --data (see docs/inputs.md)")
	db := fs.String("db", "", "PostgreSQL URL (default $DATABASE_URL)")
	schema := fs.String("schema", store.DefaultSchema, "service schema; contract tables go in <schema>_data")
	rejects := fs.String("rejects", "", "write the rejected rows report here (default DIR/rejected.csv, or rejected.csv beside the mapping file, when any row is rejected)")
	strict := fs.Bool("strict", false, "import nothing (exit 2) when any row is rejected")
	dropAbsent := fs.Bool("drop-absent", false, "empty the optional tables the folder (or mapping) lacks (default: keep their last import)")
	var ruleDirs multiFlag
	fs.Var(&ruleDirs, "rules", "rule folder whose declared tables (tables:) are imported too (repeatable; the shipped rule set is always read)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := declareTables(append([]string{rules.Builtin}, ruleDirs...)); err != nil {
		return badInput(err)
	}
	if (*data == "") == (*mapping == "") {
		return badInput(errors.New("give one of --data DIR or --mapping FILE (they are exclusive: the mapping says where each table comes from)"))
	}
	start := time.Now()
	dir, where := *data, "folder"
	readDataset := func(ctx context.Context) (*load.Dataset, error) { return load.Load(ctx, *data, load.Options{}) }
	if *mapping != "" {
		m, src, err := mappedSource(*mapping, load.Options{})
		if err != nil {
			return err
		}
		dir, where, readDataset = m.Dir, "mapping", src
	}
	ds, err := readDataset(ctx)
	if err != nil {
		if isBadDataset(err) {
			return badInput(err)
		}
		return err
	}
	defer ds.Release()
	loaded := time.Since(start)
	nrej, err := reportRejects(ds, dir, *rejects, stderr)
	if err != nil {
		return err
	}
	if *strict && nrej > 0 {
		return badInput(fmt.Errorf("%d rows rejected; --strict imports nothing", nrej))
	}
	st, err := store.Open(ctx, dbURL(*db), *schema)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
	res, err := st.Import(ctx, ds, store.ImportOptions{DropAbsent: *dropAbsent})
	if err != nil {
		return err
	}
	printImport(stdout, res, ds.Missing, where, *dropAbsent)
	fmt.Fprintf(stdout, "imported into %s in %.2fs (validation %.2fs)\n", st.Data, time.Since(start).Seconds(), loaded.Seconds())
	return nil
}

// reportRejects counts the rejected rows and, when there are any (or a
// path is given), writes the report: to path, else DIR/rejected.csv.
func reportRejects(ds *load.Dataset, dir, path string, stderr io.Writer) (int, error) {
	nrej := 0
	for _, s := range ds.Stats {
		nrej += s.Rejected
	}
	if nrej == 0 && path == "" {
		return 0, nil
	}
	if path == "" {
		path = filepath.Join(dir, "rejected.csv")
	}
	b, err := run.RejectsCSV(ds)
	if err != nil {
		return nrej, err
	}
	if err := run.WriteFileAtomic(path, b); err != nil {
		return nrej, err
	}
	fmt.Fprintf(stderr, "%d rows rejected: %s\n", nrej, path)
	return nrej, nil
}

// printImport prints the rows per table and what became of the absent
// optional tables.
func printImport(stdout io.Writer, res *store.ImportResult, missing []string, where string, dropAbsent bool) {
	fmt.Fprintf(stdout, "%-14s %9s %9s %9s\n", "table", "read", "imported", "rejected")
	for _, s := range res.Tables {
		fmt.Fprintf(stdout, "%-14s %9d %9d %9d\n", s.Table, s.Read, s.Loaded, s.Rejected)
	}
	for _, m := range missing {
		kept := "kept its last import"
		if dropAbsent {
			kept = "emptied (absent)"
		}
		fmt.Fprintf(stdout, "%-14s not in %s: %s\n", m, where, kept)
	}
}

// isBadDataset says whether a load error is the input's fault (a missing
// table, a bad header, an empty file): exit 2, as the guarantees say.
func isBadDataset(err error) bool {
	return errors.Is(err, load.ErrMissingTable) || errors.Is(err, load.ErrAmbiguous) || errors.Is(err, load.ErrHeader) ||
		errors.Is(err, load.ErrEmpty) || errors.Is(err, load.ErrSchema)
}
