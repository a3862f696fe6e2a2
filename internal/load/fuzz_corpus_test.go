package load_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/load"
)

// FuzzLoadCorpus fuzzes the CSV loader for every contract table, seeded
// with the hostile corpus (fixtures/bad/corpus), so go test runs every
// corpus file through the invariant checks too: nothing panics, no memory
// leaks, read = loaded + rejected, and rejected rows all have a reject.
// Longer: go test -fuzz FuzzLoadCorpus -fuzztime 60s ./internal/load/
func FuzzLoadCorpus(f *testing.F) {
	dirs, _ := filepath.Glob(filepath.Join(corpusDir, "*", "*.csv"))
	for i, p := range dirs {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), b)
	}
	f.Fuzz(func(t *testing.T, which uint8, in []byte) {
		spec := contract.Tables[int(which)%len(contract.Tables)]
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		tb, st, rejects, err := load.Table(context.Background(), spec, "f.csv", strings.NewReader(string(in)), load.Options{Mem: mem})
		if err != nil {
			if tb != nil {
				t.Fatal("error and a table")
			}
			return
		}
		defer tb.Release()
		if st.Read != st.Loaded+st.Rejected || tb.Len() != st.Loaded {
			t.Fatalf("accounting: %+v, table %d rows", st, tb.Len())
		}
		lines := map[int]bool{}
		for _, r := range rejects {
			lines[r.Line] = true
			if len(r.Value) > load.MaxCell+8 || strings.IndexByte(r.Value, 0) >= 0 {
				t.Fatalf("reject value not shortened/escaped: %d bytes", len(r.Value))
			}
		}
		if len(lines) != st.Rejected {
			t.Fatalf("%d rejected rows, rejects name %d lines", st.Rejected, len(lines))
		}
	})
}
