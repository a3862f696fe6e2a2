package subsidy

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/table"
)

// colSharedHouseholds is the column payments counts apart from the rows.
const colSharedHouseholds = "shared_households"

// paymentChunkRows is the fewest rows worth a goroutine of their own (a
// variable so that tests can cut small inputs into many chunks).
var paymentChunkRows = 1 << 16

// paymentChunksMax caps the chunks when positive (tests); otherwise there
// are at most as many as cores.
var paymentChunksMax = 0

// paymentChunks cuts n rows into at most workers chunks of about equal
// size, none (but a lone one) under paymentChunkRows, each starting at a
// multiple of 8 rows (chunks then write no bitmap byte in common): chunk k
// is rows bounds[k]..bounds[k+1]-1. The cut depends on the core count, the
// view does not.
func paymentChunks(n, workers int) []int {
	if paymentChunksMax > 0 {
		workers = paymentChunksMax
	}
	k := max(1, min(workers, n/paymentChunkRows))
	bounds := make([]int, k+1)
	for i := range bounds {
		bounds[i] = n * i / k &^ 7
	}
	bounds[k] = n
	return bounds
}

// withoutCol is cols without the named column.
func withoutCol(cols []table.Col, name string) []table.Col {
	out := make([]table.Col, 0, len(cols))
	for _, c := range cols {
		if c.Name != name {
			out = append(out, c)
		}
	}
	return out
}

// sharedHouseholds is the shared_households column: per payments row its
// group's household count, null without an account.
func sharedHouseholds(mem memory.Allocator, account *array.String, ph paymentGroups) arrow.Array {
	vals := make([]int64, len(ph.gid))
	valid := make([]bool, len(ph.gid))
	for i, g := range ph.gid {
		if account.IsValid(i) {
			vals[i], valid[i] = int64(ph.households[g]), true
		}
	}
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.AppendValues(vals, valid)
	return b.NewArray()
}
