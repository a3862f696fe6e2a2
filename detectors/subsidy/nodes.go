package subsidy

import (
	"runtime"
	"sync"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/neijiang/xiaowei/internal/table"
)

// envNeeds says which of env's optional indexes the wanted views read.
type envNeeds struct {
	paid               bool // paidTotal
	benNodes, payNodes bool // benNode, payNode
}

// nodesOf looks up the graph node of each row's id in column col of t
// (nil when t is absent), a share of the rows per core: ranges of rows
// touch only their part of the result.
func (e *env) nodesOf(t *table.Table, col string) []int32 {
	if t == nil {
		return nil
	}
	ids := t.Str(col)
	n := t.Len()
	node := make([]int32, n)
	workers := max(1, min(runtime.GOMAXPROCS(0), n/minRowsPerCore))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { e.lookupNodes(ids, node, n*w/workers, n*(w+1)/workers) })
	}
	wg.Wait()
	return node
}

// minRowsPerCore: fewer rows than this per core are looked up on one.
const minRowsPerCore = 1 << 14

// lookupNodes fills node[lo:hi] with the nodes of ids' rows lo..hi-1.
func (e *env) lookupNodes(ids *array.String, node []int32, lo, hi int) {
	prev, prevNd := "", int32(-1)
	for i := lo; i < hi; i++ {
		p := ids.Value(i)         // "" when null, as the views read it
		if i == lo || p != prev { // one person's rows mostly come together
			nd, ok := e.g.Node(p)
			if !ok {
				nd = -1
			}
			prev, prevNd = p, nd
		}
		node[i] = prevNd
	}
}
