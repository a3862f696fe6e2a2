package run

import (
	"context"
	"fmt"
	"sort"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/shard"
)

// Sharded runs (Options.Shard, `xiaowei run --shard I/N`): the loaded
// dataset is cut to the rows of the shard's counties before evaluation, and
// only the findings of its villages are kept, so the N shards of a run
// group together find exactly what one whole run finds.
//
// The cross-county tables (villages, persons, cadres, kinship) stay whole
// in every shard: they are small next to the rows (ledger, disclosures,
// beneficiaries, payments) and are all a rule may need across a county
// line (a cadre's relative receiving a subsidy elsewhere). Rows whose
// village is unknown, and findings with no known village, belong to shard
// 0, as the first county in a partitioned run.

// ShardInfo is what a shard covered, recorded with its findings.
type ShardInfo struct {
	Spec     shard.Spec
	Counties []string // the counties assigned to this shard, sorted
	Villages []string // their villages, sorted
	// AllCounties is every county of the dataset; finish checks the
	// shards cover each exactly once.
	AllCounties []string
}

// villageTablesForShard are cut by village_id; payments follow their case.
var villageTablesForShard = []string{"beneficiaries", "ledger", "disclosures"}

// cutToShard replaces ds.Tables' row tables by the shard's rows and
// returns what the shard covers and the finding filter.
func cutToShard(ctx context.Context, ds *load.Dataset, spec shard.Spec, mem memory.Allocator) (*ShardInfo, func(*findings.Finding) bool, error) {
	vt := ds.Tables["villages"]
	if vt == nil {
		return nil, nil, fmt.Errorf("shard %s: the villages table is needed to assign counties to shards", spec)
	}
	vid, cid := vt.Str("village_id"), vt.Str("county_id")
	countyOf := make(map[string]string, vt.Len())
	rows := map[string]int64{}
	for i := 0; i < vt.Len(); i++ {
		countyOf[vid.Value(i)] = cid.Value(i)
		rows[cid.Value(i)] += 0
	}
	caseVillage := map[string]string{}
	if b := ds.Tables["beneficiaries"]; b != nil {
		cs, vs := b.Str("case_id"), b.Str("village_id")
		for i := 0; i < b.Len(); i++ {
			caseVillage[cs.Value(i)] = vs.Value(i)
		}
	}
	// Rows per county: the work a county brings.
	for _, name := range append([]string{"persons"}, villageTablesForShard...) {
		if t := ds.Tables[name]; t != nil {
			vs := t.Str("village_id")
			for i := 0; i < t.Len(); i++ {
				if c, ok := countyOf[vs.Value(i)]; ok {
					rows[c]++
				}
			}
		}
	}
	if p := ds.Tables["payments"]; p != nil {
		cs := p.Str("case_id")
		for i := 0; i < p.Len(); i++ {
			if c, ok := countyOf[caseVillage[cs.Value(i)]]; ok {
				rows[c]++
			}
		}
	}
	assign := shard.Assign(rows, spec.Count)
	info := &ShardInfo{Spec: spec}
	mine := map[string]bool{}
	for c, s := range assign {
		info.AllCounties = append(info.AllCounties, c)
		if s == spec.Index {
			mine[c] = true
			info.Counties = append(info.Counties, c)
		}
	}
	sort.Strings(info.AllCounties)
	sort.Strings(info.Counties)
	inShard := map[string]bool{}
	for v, c := range countyOf {
		if mine[c] {
			inShard[v] = true
			info.Villages = append(info.Villages, v)
		}
	}
	sort.Strings(info.Villages)
	first := spec.Index == 0
	keepVillage := func(v string) bool {
		if inShard[v] {
			return true
		}
		_, known := countyOf[v]
		return first && !known
	}
	cut := func(name, col string, keepKey func(string) bool) error {
		t := ds.Tables[name]
		if t == nil {
			return nil
		}
		keys := t.Str(col)
		keep := make([]bool, t.Len())
		all := true
		for i := range keep {
			keep[i] = keepKey(keys.Value(i))
			all = all && keep[i]
		}
		if all {
			return nil
		}
		ft, err := filterTable(ctx, t, keep, mem)
		if err != nil {
			return fmt.Errorf("shard %s: %s: %w", spec, name, err)
		}
		t.Release()
		ds.Tables[name] = ft
		return nil
	}
	for _, name := range villageTablesForShard {
		if err := cut(name, "village_id", keepVillage); err != nil {
			return nil, nil, err
		}
	}
	if err := cut("payments", "case_id", func(c string) bool {
		v, ok := caseVillage[c]
		if !ok {
			return first // a payment of an unknown case: shard 0, as an unknown village
		}
		return keepVillage(v)
	}); err != nil {
		return nil, nil, err
	}
	return info, func(f *findings.Finding) bool { return keepVillage(f.VillageID) }, nil
}
