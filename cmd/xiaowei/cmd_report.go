package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/report"
	"github.com/neijiang/xiaowei/internal/run"
	"github.com/neijiang/xiaowei/internal/store"
)

func init() {
	register(command{name: "report", summary: "inspectors' report of a run: self-contained HTML in Chinese, CSV and XLSX exports", run: cmdReport})
}

func cmdReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var runDir, dbURL, runID, out, csvDir, xlsx string
	var unmasked bool
	var schema string
	fs := newFlags("report", "--run OUT [--db URL --run-id ID] [--out report.html] [--csv DIR] [--xlsx FILE] [--unmasked]", stdout)
	fs.StringVar(&runDir, "run", "", "a run's output folder (findings.jsonl, leads.jsonl, summary.json, …)")
	fs.StringVar(&dbURL, "db", "", "PostgreSQL URL: adds the trend against earlier runs (with --run-id)")
	fs.StringVar(&runID, "run-id", "", "the recorded run to report on (with --db)")
	fs.StringVar(&schema, "schema", store.DefaultSchema, "with --db: service schema")
	fs.StringVar(&out, "out", "", "HTML report to write (default OUT/report.html)")
	fs.StringVar(&csvDir, "csv", "", "also write leads.csv and findings.csv (UTF-8 with BOM, Chinese headers) into this folder")
	fs.StringVar(&xlsx, "xlsx", "", "also write an XLSX workbook (sheets 问题线索, 发现明细)")
	fs.BoolVar(&unmasked, "unmasked", false, "show ID numbers, names and accounts in full (authorised readers only)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if runDir == "" && dbURL == "" {
		return badInput(errNoRun)
	}
	if (dbURL == "") != (runID == "") {
		return badInput(errors.New("--db and --run-id go together"))
	}
	var d *report.Data
	var err error
	switch {
	case dbURL != "":
		d, err = reportFromDB(ctx, dbURL, schema, runID, runDir)
	default:
		d, err = report.LoadRun(runDir)
	}
	if err != nil {
		return err
	}
	if out == "" {
		if runDir == "" {
			return badInput(errors.New("--out is required without --run"))
		}
		out = filepath.Join(runDir, "report.html")
	}
	var buf bytes.Buffer
	gen := time.Now().In(civil.Shanghai).Format("2006-01-02 15:04")
	if err := report.RenderHTML(&buf, d, report.Options{Unmasked: unmasked, GeneratedAt: gen}); err != nil {
		return err
	}
	if err := run.WriteFileAtomic(out, buf.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "report: %s (%d leads, %d findings", out, len(d.Leads), len(d.Findings))
	if unmasked {
		fmt.Fprint(stdout, ", UNMASKED")
	}
	fmt.Fprintln(stdout, ")")
	m := report.NewMasker(d, unmasked)
	if csvDir != "" {
		if err := os.MkdirAll(csvDir, 0o755); err != nil {
			return err
		}
		lr, fr := report.Rows(d, m)
		if err := run.WriteFileAtomic(filepath.Join(csvDir, "leads.csv"), report.CSV(report.LeadHeader, lr)); err != nil {
			return err
		}
		if err := run.WriteFileAtomic(filepath.Join(csvDir, "findings.csv"), report.CSV(report.FindingHeader, fr)); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "csv: %s, %s\n", filepath.Join(csvDir, "leads.csv"), filepath.Join(csvDir, "findings.csv"))
	}
	if xlsx != "" {
		b, err := report.XLSX(d, m)
		if err != nil {
			return err
		}
		if err := run.WriteFileAtomic(xlsx, b); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "xlsx: %s\n", xlsx)
	}
	return nil
}

// reportFromDB reports a recorded run: from its output folder when given
// (rejected rows are only there) plus the trend from the database, or
// wholly from the database.
func reportFromDB(ctx context.Context, dbURL, schema, runID, runDir string) (*report.Data, error) {
	st, err := store.Open(ctx, dbURL, schema)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if runDir == "" {
		return report.LoadDB(ctx, st, runID)
	}
	d, err := report.LoadRun(runDir)
	if err != nil {
		return nil, err
	}
	d.RunID = runID
	if d.Trend, err = report.TrendDB(ctx, st, runID); err != nil {
		return nil, err
	}
	return d, nil
}
