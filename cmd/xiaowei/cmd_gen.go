package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/gen"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/rules"
)

func init() {
	register(command{name: "gen", summary: "write a deterministic synthetic dataset (and its expected findings)", run: runGen})
}

func runGen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("gen", "--out DIR [--villages N] [--seed S] [--format csv|parquet] [--anomaly-rate R] [--fixture] [--as-of D]", stdout)
	villages := fs.Int("villages", 20, "number of villages")
	seed := fs.Int64("seed", 1, "random seed: the same seed gives byte-identical files")
	out := fs.String("out", "", "output folder (required)")
	format := fs.String("format", "csv", "csv or parquet")
	rate := fs.Float64("anomaly-rate", 0, "per village and anomaly kind, the chance it is planted (0..1)")
	fixture := fs.Bool("fixture", false, "the shipped fixture (fixtures/shizhong): 20 small Shizhong villages with a fixed planted set; ignores --villages, --seed and --anomaly-rate")
	asOf := fs.String("as-of", "", "last day of data, YYYY-MM-DD (default 2025-06-30)")
	start := fs.String("start", "", "journal start, YYYY-MM-DD (default 2024-01-01)")
	persons := fs.Int("persons", 0, "persons per village (default 1200)")
	ledger := fs.Int("ledger-per-year", 0, "journal rows per village and year (default 1000)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return badInput(errors.New("--out is required"))
	}
	if *format != "csv" && *format != "parquet" {
		return badInput(fmt.Errorf("--format %q: want csv or parquet", *format))
	}
	if *rate < 0 || *rate > 1 {
		return badInput(fmt.Errorf("--anomaly-rate %v: want 0..1", *rate))
	}
	cfg := gen.Config{Villages: *villages, Seed: *seed, AnomalyRate: *rate, PersonsPerVillage: *persons, LedgerPerYear: *ledger}
	if *fixture {
		cfg = gen.FixtureConfig()
	}
	for _, d := range []struct {
		s   string
		dst *civil.Date
		n   string
	}{{*asOf, &cfg.AsOf, "--as-of"}, {*start, &cfg.Start, "--start"}} {
		if d.s == "" {
			continue
		}
		v, err := civil.Parse(d.s)
		if err != nil {
			return badInput(fmt.Errorf("%s: %w", d.n, err))
		}
		*d.dst = v
	}
	if cfg.Villages <= 0 {
		return badInput(fmt.Errorf("--villages %d: want at least 1", cfg.Villages))
	}
	st, err := gen.Generate(ctx, cfg, *out)
	if err != nil {
		return err
	}
	if *format == "parquet" {
		if err := csvToParquet(ctx, *out); err != nil {
			return err
		}
	}
	for _, t := range gen.TableNames {
		fmt.Fprintf(stdout, "%-14s %10d rows\n", t, st.Rows[t])
	}
	fmt.Fprintf(stdout, "%-14s %10d rows\n", "expected", st.Expected)
	fmt.Fprintf(stdout, "total %d rows in %.2fs: %.0f rows/s\n", st.Total(), st.Elapsed.Seconds(), st.RowsPerSec)
	return nil
}

// csvToParquet converts each generated table through the loader, so the
// Parquet files carry exactly the types a CSV load would give.
func csvToParquet(ctx context.Context, dir string) error {
	// The power-list tables gen writes are declared in the shipped rule
	// files, not in Go: reading the shipped set registers them.
	if _, err := rules.LoadDirs([]string{rules.Builtin}); err != nil {
		return fmt.Errorf("shipped rules: %w", err)
	}
	for _, name := range gen.TableNames {
		spec, ok := contract.Lookup(name)
		if !ok {
			return fmt.Errorf("%s: generated a table that no contract or shipped declaration describes", name)
		}
		p := filepath.Join(dir, name+".csv")
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		t, _, rejects, err := load.Table(ctx, spec, p, f, load.Options{})
		f.Close()
		if err != nil {
			return err
		}
		if len(rejects) > 0 {
			t.Release()
			return fmt.Errorf("%s: generated data rejected by the loader: line %d %s: %s", name, rejects[0].Line, rejects[0].Column, rejects[0].Reason)
		}
		err = load.WriteParquet(filepath.Join(dir, name+".parquet"), t)
		t.Release()
		if err != nil {
			return err
		}
		if err := os.Remove(p); err != nil {
			return err
		}
	}
	return nil
}
