package load

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// FuzzLoadTable checks that whatever the input, every record is accounted
// for (Read = Loaded + Rejected), nothing panics and no memory leaks.
// Run longer with: go test -fuzz FuzzLoadTable ./internal/load/
func FuzzLoadTable(f *testing.F) {
	f.Add(ledgerHeader + "\n" + ledgerRow("E1", "2024-01-02", "1") + "\n")
	f.Add(ledgerHeader + "\r\n\"E1\",V1,2024-01-02,,cash,in,1,income,\"a\"\"b\nc\",,,\r\n\nE1,V1,2024-01-02\n")
	f.Add(ledgerHeader + "\nE1,\"V1,2024-01-02\n")
	f.Add(ledgerHeader + "\nE\"1,V1,2024-01-02,,cash,in,1,income,,,,\nE2,V1,2024-02-30,,cash,in,1.001,income,,,,\n")
	f.Fuzz(func(t *testing.T, in string) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		tb, st, rejects, err := Table(context.Background(), spec(t, "ledger"), "f.csv", strings.NewReader(in), Options{Mem: mem})
		if err != nil {
			return // whole-file problems (header) are errors by design
		}
		defer tb.Release()
		// Blocks of 1 to 64 bytes must give the same load.
		sameLoad(t, in, 1+len(in)%64)
		checkInvariant(t, st)
		if tb.Len() != st.Loaded {
			t.Errorf("table has %d rows, stats say %d loaded", tb.Len(), st.Loaded)
		}
		if st.Rejected > 0 && len(rejects) < st.Rejected {
			t.Errorf("%d rows rejected but only %d rejects", st.Rejected, len(rejects))
		}
		for i := 1; i < len(rejects); i++ {
			if rejects[i].Line < rejects[i-1].Line {
				t.Errorf("rejects out of line order: %+v", rejects)
			}
		}
	})
}
