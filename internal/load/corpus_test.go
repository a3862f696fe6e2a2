package load_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/run"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite fixtures/bad/corpus/*/want.txt from the loader's output (review the diff!)")

const corpusDir = "../../fixtures/bad/corpus"

// loadCase loads the single table file in dir (named <table>.csv or
// <table>.parquet) with paths relative to dir, and renders the outcome as
// the corpus's want.txt: either "error: <message>" or the row counts and
// the exact reject report.
func loadCase(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var name string
	for _, e := range entries {
		if e.Name() != "want.txt" {
			if name != "" {
				t.Fatalf("%s: more than one input file (%s, %s)", dir, name, e.Name())
			}
			name = e.Name()
		}
	}
	table := strings.TrimSuffix(strings.TrimSuffix(name, ".csv"), ".parquet")
	spec, ok := contract.Lookup(table)
	if !ok {
		t.Fatalf("%s: %s does not name a contract table", dir, name)
	}
	t.Chdir(dir) // error messages and rejects then name the file as "ledger.csv"
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	tb, st, rejects, err := load.File(context.Background(), spec, name, load.Options{Mem: mem})
	if err != nil {
		if tb != nil {
			t.Errorf("error %v but a table was returned", err)
			tb.Release()
		}
		return "error: " + err.Error() + "\n"
	}
	defer tb.Release()
	// The invariant the issue asks for, in every case: rows read = loaded +
	// rejected, the table holds exactly the loaded rows, and every rejected
	// row has at least one reject naming its line.
	if st.Read != st.Loaded+st.Rejected {
		t.Errorf("read %d != loaded %d + rejected %d", st.Read, st.Loaded, st.Rejected)
	}
	if tb.Len() != st.Loaded {
		t.Errorf("table has %d rows, stats say %d loaded", tb.Len(), st.Loaded)
	}
	lines := map[int]bool{}
	for _, r := range rejects {
		lines[r.Line] = true
	}
	if len(lines) != st.Rejected {
		t.Errorf("%d rows rejected but rejects name %d distinct lines", st.Rejected, len(lines))
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "read=%d loaded=%d rejected=%d\n", st.Read, st.Loaded, st.Rejected)
	if err := load.WriteRejects(&b, rejects); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestCorpus loads every hostile or messy input under fixtures/bad/corpus
// and compares the outcome with the case's want.txt exactly: the error for
// whole-file problems, else the row counts and every reject (file, line,
// column, value, reason). See fixtures/bad/corpus/README.md for the cases.
func TestCorpus(t *testing.T) {
	entries, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		n++
		dir, err := filepath.Abs(filepath.Join(corpusDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		t.Run(e.Name(), func(t *testing.T) {
			got := loadCase(t, dir)
			wantPath := filepath.Join(dir, "want.txt")
			if *updateCorpus {
				if err := os.WriteFile(wantPath, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(wantPath)
			if err != nil {
				t.Fatalf("%v (run with -update-corpus to create it, then review it)", err)
			}
			if got != string(want) {
				t.Errorf("outcome differs from %s\n--- got\n%s--- want\n%s", wantPath, got, want)
			}
		})
	}
	if n < 20 {
		t.Errorf("only %d corpus cases found in %s", n, corpusDir)
	}
}

// TestCorpusGenerated covers inputs too big or too binary to commit: a
// 1 MiB cell and truncated Parquet files.
func TestCorpusGenerated(t *testing.T) {
	const lh = "entry_id,village_id,date,voucher_no,account,direction,amount,category,counterparty,summary,handled_by,approved_by"
	good := "E1,511002103204,2024-01-02,V1,cash,in,100.00,income,张三,收款,P1,"

	t.Run("cell_1MiB", func(t *testing.T) {
		dir := t.TempDir()
		big := strings.Repeat("摘", 1<<20/3+1) // just over 1 MiB of UTF-8
		body := lh + "\n" + good + "\n" + "E2,511002103204,2024-01-03,V2,cash,out,50.00,expense,某店," + big + ",P1,\n" +
			"E3,511002103204,2024-01-04,V3,cash,out,\"" + strings.Repeat("9", 1<<20) + "\",expense,某店,x,P1,\n"
		if err := os.WriteFile(filepath.Join(dir, "ledger.csv"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		got := loadCase(t, dir)
		want := "read=3 loaded=1 rejected=2\n" +
			"table,file,line,column,value,reason\n" +
			"ledger,ledger.csv,3,summary,摘摘摘摘摘摘摘摘摘摘摘摘摘摘摘摘摘摘摘摘摘摘摘摘摘摘摘摘摘摘摘摘…,cell is 1048578 bytes: at most 65536 are loaded\n" +
			"ledger,ledger.csv,4,amount,99999999999999999999999999999999…,cell is 1048576 bytes: at most 65536 are loaded\n"
		if got != want {
			t.Errorf("got\n%s\nwant\n%s", got, want)
		}
	})

	// 92,234 amounts of 999,999,999,999.99 yuan: each is in range, but
	// their sum would leave int64 fen (and wrap, making detector and lead
	// sums wrong). The row that would overflow the column's total is
	// rejected, naming its line; every earlier row loads.
	t.Run("amount_sum_overflow", func(t *testing.T) {
		dir := t.TempDir()
		var b strings.Builder
		b.WriteString(lh + "\n")
		const n = 92234
		for i := 1; i <= n; i++ {
			fmt.Fprintf(&b, "E%d,511002103204,2024-01-02,V1,cash,out,999999999999.99,expense,某店,x,P1,\n", i)
		}
		if err := os.WriteFile(filepath.Join(dir, "ledger.csv"), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		got := loadCase(t, dir)
		want := "read=92234 loaded=92233 rejected=1\n" +
			"table,file,line,column,value,reason\n" +
			"ledger,ledger.csv,92235,amount,999999999999.99,\"the column's amounts add up beyond 92,233,720,368,547,758.07 yuan: sums over them would not be exact\"\n"
		if got != want {
			t.Errorf("got\n%s\nwant\n%s", got, want)
		}
	})

	// 10,000 columns: refused on the header, before any row is read.
	t.Run("header_10000_columns", func(t *testing.T) {
		dir := t.TempDir()
		cols := strings.Split(lh, ",")
		for i := len(cols); i < 10000; i++ {
			cols = append(cols, fmt.Sprintf("x%d", i))
		}
		body := strings.Join(cols, ",") + "\n" + strings.Repeat(good+strings.Repeat(",", 10000-12)+"\n", 100)
		if err := os.WriteFile(filepath.Join(dir, "ledger.csv"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		got := loadCase(t, dir)
		want := "error: ledger.csv: the header has 10000 columns; at most 1024 are read: bad header\n"
		if got != want {
			t.Errorf("got %q\nwant %q", got, want)
		}
	})

	t.Run("parquet_truncated", func(t *testing.T) {
		src := t.TempDir()
		if err := os.WriteFile(filepath.Join(src, "ledger.csv"), []byte(lh+"\n"+good+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		spec, _ := contract.Lookup("ledger")
		tb, _, _, err := load.File(context.Background(), spec, filepath.Join(src, "ledger.csv"), load.Options{})
		if err != nil {
			t.Fatal(err)
		}
		pq := filepath.Join(src, "ledger.parquet")
		err = load.WriteParquet(pq, tb)
		tb.Release()
		if err != nil {
			t.Fatal(err)
		}
		full, err := os.ReadFile(pq)
		if err != nil {
			t.Fatal(err)
		}
		// Cut at several points: inside the footer, inside the data, and
		// so short that not even the magic number is there.
		for _, n := range []int{len(full) - 1, len(full) - 8, len(full) / 2, 12, 3, 0} {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "ledger.parquet"), full[:n], 0o644); err != nil {
				t.Fatal(err)
			}
			got := loadCase(t, dir)
			if !strings.HasPrefix(got, "error: reading parquet ledger.parquet: ") {
				t.Errorf("truncated to %d of %d bytes: got %q, want an error naming the file", n, len(full), got)
			}
		}
	})
}

// TestCorpusSentinels pins the error kinds callers rely on (exit 2 for a
// bad input file) for the whole-file cases.
func TestCorpusSentinels(t *testing.T) {
	for dir, want := range map[string]error{
		"empty": load.ErrEmpty, "header_missing_column": load.ErrHeader, "header_case": load.ErrHeader,
		"header_duplicate_column": load.ErrHeader,
	} {
		spec, _ := contract.Lookup("ledger")
		_, _, _, err := load.File(context.Background(), spec, filepath.Join(corpusDir, dir, "ledger.csv"), load.Options{})
		if !errors.Is(err, want) {
			t.Errorf("%s: got %v, want %v", dir, err, want)
		}
	}
}

// TestCorpusAfterAsOf: a row dated after as_of is well-formed, so the loader
// keeps it; the run does not read it and counts it as after_as_of, and
// read = loaded + rejected still holds in summary.json.
func TestCorpusAfterAsOf(t *testing.T) {
	data := t.TempDir()
	for _, s := range contract.Tables {
		if s.Optional {
			continue
		}
		names := make([]string, len(s.Columns))
		for i, c := range s.Columns {
			names[i] = c.Name
		}
		if err := os.WriteFile(filepath.Join(data, s.Name+".csv"), []byte(strings.Join(names, ",")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(filepath.Join(corpusDir, "date_range", "ledger.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "ledger.csv"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	ruleDir := t.TempDir()
	rule := `rules:
  - id: T-ANY-ENTRY
    title: 任意分录
    family: cash
    severity: low
    on: ledger
    when: "true"
    subject: "entry:{{entry_id}}"
    period: "{{date}}"
    message: "分录{{entry_id}}"
    verify: 无
`
	if err := os.WriteFile(filepath.Join(ruleDir, "t.yaml"), []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := run.Run(context.Background(), run.Options{DataDir: data, OutDir: t.TempDir(), RuleDirs: []string{ruleDir},
		Scope: run.Scope{AsOf: civil.MustParse("2025-06-30")}})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Dataset.Release()
	for _, ts := range out.Summary.Tables {
		if ts.Read != ts.Loaded+ts.Rejected {
			t.Errorf("%s: read %d != loaded %d + rejected %d", ts.Table, ts.Read, ts.Loaded, ts.Rejected)
		}
		if ts.Table == "ledger" {
			if ts.Read != 5 || ts.Loaded != 2 || ts.Rejected != 3 || ts.AfterAsOf != 1 {
				t.Errorf("ledger: got %+v, want read 5, loaded 2, rejected 3, after_as_of 1", ts)
			}
		}
	}
	// Only the 1900-01-01 entry is read: E5 (2099) is after as_of.
	if len(out.Findings) != 1 || out.Findings[0].Subject != "entry:E2" {
		for _, f := range out.Findings {
			t.Logf("finding %s %s", f.RuleID, f.Subject)
		}
		t.Errorf("want exactly one finding on entry:E2")
	}
}
