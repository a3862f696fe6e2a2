package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// `gen --format parquet` writes every table gen makes, the power-list
// tables declared only in the shipped rule files included, and a run over
// the Parquet set finds byte for byte what a run over the CSV set finds
// (the planted anomalies of a few villages, every family).
func TestGenParquetEqualsCSV(t *testing.T) {
	dir := t.TempDir()
	find := func(format string) []byte {
		data, out := filepath.Join(dir, format), filepath.Join(dir, format+"-out")
		var stdout, stderr bytes.Buffer
		if code := dispatch(context.Background(), []string{"gen", "--villages", "4", "--seed", "7", "--anomaly-rate", "0.5",
			"--persons", "200", "--ledger-per-year", "200", "--format", format, "--out", data}, &stdout, &stderr); code != exitOK {
			t.Fatalf("gen --format %s: exit %d: %s", format, code, stderr.String())
		}
		stdout.Reset()
		if code := dispatch(context.Background(), []string{"run", "--data", data, "--out", out, "--as-of", "2025-06-30", "--quiet"}, &stdout, &stderr); code != exitOK {
			t.Fatalf("run over %s: exit %d: %s", format, code, stderr.String())
		}
		b, err := os.ReadFile(filepath.Join(out, "findings.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	csv, pq := find("csv"), find("parquet")
	if len(csv) == 0 || !bytes.Contains(csv, []byte(`"family":"major"`)) {
		t.Fatalf("the CSV run found no major-family finding; the comparison would prove little:\n%.500s", csv)
	}
	if !bytes.Equal(csv, pq) {
		t.Errorf("findings differ between the CSV and the Parquet set (%d vs %d bytes)", len(csv), len(pq))
	}
	for _, name := range []string{"decisions", "contracts", "contract_payments", "ledger"} {
		if _, err := os.Stat(filepath.Join(dir, "parquet", name+".parquet")); err != nil {
			t.Errorf("gen --format parquet: %v", err)
		}
	}
}
