package run

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/neijiang/xiaowei/detectors/all"
	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/gen"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/partition"
	"github.com/neijiang/xiaowei/internal/rules"
)

// TestPartitionedEqualsWhole: a run county by county and a run from the
// same rows as Parquet write the same findings.jsonl as a run over the
// whole CSV dataset (generated data: three counties, planted anomalies of
// every family, the shipped rules); the partitioned run also rejects the
// same rows at the same input lines and names the same inputs.
func TestPartitionedEqualsWhole(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a dataset")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	cfg := gen.Config{Villages: 320, Seed: 8, PersonsPerVillage: 80, LedgerPerYear: 120, AnomalyRate: 0.3}
	if _, err := gen.Generate(context.Background(), cfg, data); err != nil {
		t.Fatal(err)
	}
	if plan, err := partition.SplitCSV(context.Background(), data); err != nil || len(plan.Parts) != 3 {
		t.Fatalf("split: %v, want 3 counties", err)
	}
	// a malformed amount in a county after the first: both runs must
	// reject it naming the input file and the same line
	ledger := filepath.Join(data, "ledger.csv")
	lb, err := os.ReadFile(ledger)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(lb, []byte("\n"))
	bad := len(lines) - 100
	f := bytes.Split(lines[bad], []byte(","))
	f[6] = []byte("12,3x")
	lines[bad] = bytes.Join(f, []byte(","))
	if err := os.WriteFile(ledger, bytes.Join(lines, []byte("\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	// the same rows as Parquet (converted through the loader, so the bad
	// row is left out as a CSV load leaves it out)
	pq := filepath.Join(dir, "parquet")
	if err := os.MkdirAll(pq, 0o755); err != nil {
		t.Fatal(err)
	}
	// the power-list tables gen writes are declared in the shipped rule
	// files: reading them registers the tables
	if _, err := rules.LoadDirs([]string{filepath.Join("..", "..", "rules")}); err != nil {
		t.Fatal(err)
	}
	for _, name := range gen.TableNames {
		spec, ok := contract.Lookup(name)
		if !ok {
			t.Fatalf("%s: no contract or shipped declaration", name)
		}
		p := filepath.Join(data, name+".csv")
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		tb, _, _, err := load.Table(context.Background(), spec, p, f, load.Options{})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := load.WriteParquet(filepath.Join(pq, name+".parquet"), tb); err != nil {
			t.Fatal(err)
		}
		tb.Release()
	}
	rulesDir := filepath.Join("..", "..", "rules")
	asOf := civil.MustParse("2025-06-30")
	names := map[string][]string{} // the register names each run knows, for masking
	run := func(name, by string) []byte {
		src := data
		if name == "parquet" {
			src = pq
		}
		o := Options{DataDir: src, OutDir: filepath.Join(dir, name), RuleDirs: []string{rulesDir}, Scope: Scope{AsOf: asOf},
			PartitionBy: by, Version: "test"}
		out, err := Run(context.Background(), o)
		if err != nil {
			t.Fatalf("%s run: %v", name, err)
		}
		t.Logf("%s: %d findings, stages %v", name, len(out.Findings), out.Stages)
		names[name] = out.Dataset.PersonNames()
		b, err := os.ReadFile(filepath.Join(dir, name, "findings.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	whole := run("whole", "")
	parts := run("parts", "county")
	if fromParquet := run("parquet", ""); !bytes.Equal(whole, fromParquet) {
		t.Errorf("findings.jsonl from Parquet differ from CSV's")
	}
	// the manifest names the same input files with the same hashes and rows
	inputs := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name, "manifest.json"))
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			Inputs json.RawMessage `json:"inputs"`
		}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return string(m.Inputs)
	}
	rejected := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name, "rejected.csv"))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if w, p := rejected("whole"), rejected("parts"); w != p || !strings.Contains(w, fmt.Sprintf("ledger.csv,%d,", bad+1)) {
		t.Errorf("rejected.csv differs or lacks line %d:\nwhole: %s\nparts: %s", bad+1, w, p)
	}
	if w, p := inputs("whole"), inputs("parts"); w != p || strings.Count(w, `"sha256": "`) != strings.Count(w, `"path"`) || strings.Count(w, `"path"`) < 8 || strings.Contains(w, `"sha256": ""`) {
		t.Errorf("manifest inputs differ:\nwhole: %s\nparts: %s", w, p)
	}
	if len(names["whole"]) < 1000 || strings.Join(names["whole"], ",") != strings.Join(names["parts"], ",") {
		t.Errorf("register names: whole run %d, partitioned %d, or they differ", len(names["whole"]), len(names["parts"]))
	}
	if len(whole) == 0 || bytes.Count(whole, []byte("\n")) < 50 {
		t.Fatalf("whole run found too little to compare: %d bytes", len(whole))
	}
	if !bytes.Equal(whole, parts) {
		wl, pl := bytes.Split(whole, []byte("\n")), bytes.Split(parts, []byte("\n"))
		t.Errorf("findings.jsonl differ: whole %d lines, partitioned %d lines", len(wl), len(pl))
		for i := 0; i < len(wl) && i < len(pl); i++ {
			if !bytes.Equal(wl[i], pl[i]) {
				t.Errorf("first difference at line %d:\nwhole: %.400s\nparts: %.400s", i+1, wl[i], pl[i])
				break
			}
		}
	}
}
