package subsidy

import (
	"fmt"
	"runtime"
	"sync"

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
// size, none (but a lone one) under paymentChunkRows: chunk k is rows
// bounds[k]..bounds[k+1]-1. The cut depends on the core count, the view
// does not: chunks are concatenated in order.
func paymentChunks(n, workers int) []int {
	if paymentChunksMax > 0 {
		workers = paymentChunksMax
	}
	k := max(1, min(workers, n/paymentChunkRows))
	bounds := make([]int, k+1)
	for i := range bounds {
		bounds[i] = n * i / k
	}
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

// concatParts joins the chunks' columns in order into one array per
// column, releasing them; the first chunk's error (the first row's, as one
// pass in row order would meet it) when there is one.
func concatParts(mem memory.Allocator, name string, cols []table.Col, parts [][]arrow.Array, errs []error) ([]arrow.Array, error) {
	for _, err := range errs {
		if err != nil {
			releaseAll(parts...)
			return nil, err
		}
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	defer releaseAll(parts...)
	// the columns are joined side by side: at the end of the view, with
	// nothing else left to run on the other core
	out := make([]arrow.Array, len(cols))
	errs = make([]error, len(cols))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			chunk := make([]arrow.Array, len(parts))
			for c := w; c < len(cols); c += workers {
				for k, p := range parts {
					chunk[k] = p[c]
				}
				out[c], errs[c] = array.Concatenate(chunk, mem)
			}
		})
	}
	wg.Wait()
	for c, err := range errs {
		if err != nil {
			releaseAll(out)
			return nil, fmt.Errorf("view %s: joining column %s: %w", name, cols[c].Name, err)
		}
	}
	return out, nil
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

// releaseAll releases the arrays (nil ones are skipped).
func releaseAll(parts ...[]arrow.Array) {
	for _, p := range parts {
		for _, a := range p {
			if a != nil {
				a.Release()
			}
		}
	}
}
