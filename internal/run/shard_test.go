package run

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/gen"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/shard"
)

// TestShardsEqualWhole: the findings of shards 0..N-1, put together,
// are the findings of one whole run, byte for byte, for N = 1, 2, 3 and 4
// (more shards than counties leaves one empty); every county is in
// exactly one shard.
func TestShardsEqualWhole(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a dataset")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	cfg := gen.Config{Villages: 310, Seed: 11, PersonsPerVillage: 30, LedgerPerYear: 40, AnomalyRate: 0.3} // 150 villages a county: 3 counties
	if _, err := gen.Generate(context.Background(), cfg, data); err != nil {
		t.Fatal(err)
	}
	// A ledger row of an unknown village and a payment of an unknown case:
	// their findings belong to shard 0 only.
	for file, line := range map[string]string{
		"ledger.csv":   "LX0001,519999999999,2024-03-01,PZX-1,cash,out,100.00,expense,某店,杂项,,\n",
		"payments.csv": "PX0001,NO-SUCH-CASE,511002194204270013,tekun,2024-01,820.00,2024-01-10,621700000000000025,511002194204270013\n",
	} {
		f, err := os.OpenFile(filepath.Join(data, file), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(line)
		f.Close()
	}
	asOf := civil.MustParse("2025-06-30")
	run := func(name string, sp *shard.Spec) *Outcome {
		o := Options{DataDir: data, OutDir: filepath.Join(dir, name), RuleDirs: []string{rules.Builtin}, Scope: Scope{AsOf: asOf},
			Version: "test", Shard: sp}
		out, err := Run(context.Background(), o)
		if err != nil {
			t.Fatalf("%s run: %v", name, err)
		}
		out.Dataset.Release()
		return out
	}
	whole := run("whole", nil)
	var wb bytes.Buffer
	findings.WriteJSONL(&wb, whole.Findings)
	if len(whole.Findings) < 50 {
		t.Fatalf("whole run found too little to compare: %d", len(whole.Findings))
	}
	planted := 0
	for _, f := range whole.Findings {
		if strings.Contains(f.Subject, "X0001") {
			planted++
		}
	}
	if planted < 2 {
		t.Fatalf("%d findings of the planted unknown village and case, want at least 2", planted)
	}
	for _, n := range []int{1, 2, 3, 4} {
		t.Run(string(rune('0'+n))+" shards", func(t *testing.T) {
			var all []*findings.Finding
			seen := map[string]int{}
			var counties []string
			for i := 0; i < n; i++ {
				out := run(filepath.Join("n", string(rune('0'+n)), string(rune('0'+i))), &shard.Spec{Index: i, Count: n})
				all = append(all, out.Findings...)
				counties = out.Shard.AllCounties
				for _, c := range out.Shard.Counties {
					seen[c]++
				}
			}
			if len(counties) != 3 {
				t.Fatalf("generated data has %d counties, want 3", len(counties))
			}
			for _, c := range counties {
				if seen[c] != 1 {
					t.Errorf("county %s in %d shards, want 1", c, seen[c])
				}
			}
			findings.Sort(all)
			var sb bytes.Buffer
			findings.WriteJSONL(&sb, all)
			if !bytes.Equal(wb.Bytes(), sb.Bytes()) {
				os.WriteFile(filepath.Join(dir, "whole.jsonl"), wb.Bytes(), 0o644)
				t.Errorf("%d shards: %d findings, whole run %d; the JSONL differs", n, len(all), len(whole.Findings))
			}
		})
	}
}
