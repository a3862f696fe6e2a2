// Package shard assigns counties to the shards of a run group
// (`xiaowei run --shard I/N`): county partitions are independent apart
// from the small cross-county tables (cadres, persons, kinship), which
// every shard reads whole, so each shard evaluates its counties' rows.
//
// The assignment is a pure function of the data (the counties and their
// row counts), so N processes that read the same data agree on it without
// talking to each other; finish checks that they did (every county in
// exactly one shard).
package shard

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Spec is shard Index of Count (0 <= Index < Count), as given to --shard
// "I/N". Index is 0-based, like a Kubernetes Indexed Job's
// JOB_COMPLETION_INDEX.
type Spec struct {
	Index, Count int
}

func (s Spec) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// MaxCount bounds N: more shards than that is a typo, not a plan.
const MaxCount = 1000

// Parse reads "I/N".
func Parse(v string) (Spec, error) {
	i, n, ok := strings.Cut(v, "/")
	if !ok {
		return Spec{}, fmt.Errorf("--shard %q: want I/N, e.g. 0/4 (I counts from 0)", v)
	}
	idx, err1 := strconv.Atoi(strings.TrimSpace(i))
	cnt, err2 := strconv.Atoi(strings.TrimSpace(n))
	if err := errors.Join(err1, err2); err != nil {
		return Spec{}, fmt.Errorf("--shard %q: want I/N with whole numbers: %w", v, err)
	}
	if cnt < 1 || cnt > MaxCount {
		return Spec{}, fmt.Errorf("--shard %q: N must be 1..%d", v, MaxCount)
	}
	if idx < 0 || idx >= cnt {
		return Spec{}, fmt.Errorf("--shard %q: I must be 0..%d (I counts from 0)", v, cnt-1)
	}
	return Spec{Index: idx, Count: cnt}, nil
}

// Assign gives each county a shard in [0, n): the largest counties first,
// each to the shard with the fewest rows so far (ties to the lower index),
// so shards are balanced by rows. Counties of equal size are taken in id
// order, so the result depends only on the data.
func Assign(rows map[string]int64, n int) map[string]int {
	counties := make([]string, 0, len(rows))
	for c := range rows {
		counties = append(counties, c)
	}
	sort.Slice(counties, func(i, j int) bool {
		if rows[counties[i]] != rows[counties[j]] {
			return rows[counties[i]] > rows[counties[j]]
		}
		return counties[i] < counties[j]
	})
	load := make([]int64, n)
	out := make(map[string]int, len(counties))
	for _, c := range counties {
		best := 0
		for s := 1; s < n; s++ {
			if load[s] < load[best] {
				best = s
			}
		}
		out[c] = best
		load[best] += rows[c] + 1 // +1: an empty county still counts, so empty ones spread out
	}
	return out
}
