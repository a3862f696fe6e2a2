package run

import (
	"context"
	"fmt"
	"sort"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/ident"
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

// code is an id in its normal form (internal/ident), as the run matches
// ids: a case id written with a zero-width space belongs with its plain
// form. An id already normal (almost all) is returned as is, unallocated.
func code(s string) string {
	n, _ := ident.Normalize(s, ident.Code)
	return n
}

// shardIndex is what a shard needs to know about the dataset: each
// village's county and each case's village (the last valid row of the
// case, as the loader keeps them), and the county of each shard.
type shardIndex struct {
	countyOf    map[string]string
	caseVillage map[string]string
	assign      map[string]int
}

// indexForShard builds the index from the villages and beneficiaries
// tables; villageRows, when a source counted them (the store), balance
// the shards, else the loaded rows do.
func indexForShard(ds *load.Dataset, spec shard.Spec, villageRows map[string]int64) (*shardIndex, error) {
	vt := ds.Tables["villages"]
	if vt == nil {
		return nil, fmt.Errorf("shard %s: the villages table is needed to assign counties to shards", spec)
	}
	vid, cid := vt.Str("village_id"), vt.Str("county_id")
	ix := &shardIndex{countyOf: make(map[string]string, vt.Len()), caseVillage: map[string]string{}}
	rows := map[string]int64{}
	for i := 0; i < vt.Len(); i++ {
		c := code(cid.Value(i))
		ix.countyOf[code(vid.Value(i))] = c
		rows[c] += 0
	}
	if b := ds.Tables["beneficiaries"]; b != nil {
		cs, vs := b.Str("case_id"), b.Str("village_id")
		for i := 0; i < b.Len(); i++ {
			ix.caseVillage[code(cs.Value(i))] = code(vs.Value(i))
		}
	}
	if villageRows != nil {
		for v, n := range villageRows {
			if c, ok := ix.countyOf[code(v)]; ok {
				rows[c] += n
			}
		}
	} else {
		// Rows per county: the work a county brings.
		for _, name := range append([]string{"persons"}, villageTablesForShard...) {
			if t := ds.Tables[name]; t != nil {
				vs := t.Str("village_id")
				for i := 0; i < t.Len(); i++ {
					if c, ok := ix.countyOf[code(vs.Value(i))]; ok {
						rows[c]++
					}
				}
			}
		}
		if p := ds.Tables["payments"]; p != nil {
			cs := p.Str("case_id")
			for i := 0; i < p.Len(); i++ {
				if c, ok := ix.countyOf[ix.caseVillage[code(cs.Value(i))]]; ok {
					rows[c]++
				}
			}
		}
	}
	ix.assign = shard.Assign(rows, spec.Count)
	return ix, nil
}

// ShardFilters are the row filters a source applies when it reads the big
// tables (ledger, disclosures, payments) for a shard, after the villages
// and beneficiaries (first): the rows cutToShard keeps, so the shard
// never reads the others' (values are in normal form; a source also
// returns values that may not be, and cutToShard decides on those). Shard
// 0 also takes rows of unknown villages and cases, so its filters name
// what to leave out.
func ShardFilters(first *load.Dataset, spec shard.Spec, villageRows map[string]int64) (map[string]*load.RowFilter, error) {
	ix, err := indexForShard(first, spec, villageRows)
	if err != nil {
		return nil, err
	}
	mine := func(v string) bool { return ix.assign[ix.countyOf[v]] == spec.Index }
	var villages, cases []string
	for v := range ix.countyOf {
		if mine(v) == (spec.Index != 0) {
			villages = append(villages, v) // shard 0: the other shards' villages
		}
	}
	for c, v := range ix.caseVillage {
		if _, known := ix.countyOf[v]; known && mine(v) == (spec.Index != 0) {
			cases = append(cases, c)
		}
	}
	sort.Strings(villages)
	sort.Strings(cases)
	neg := spec.Index == 0
	byVillage := &load.RowFilter{Column: "village_id", Values: villages, Negate: neg}
	return map[string]*load.RowFilter{"ledger": byVillage, "disclosures": byVillage,
		"payments": {Column: "case_id", Values: cases, Negate: neg}}, nil
}

// cutToShard replaces ds.Tables' row tables by the shard's rows and
// returns what the shard covers and the finding filter. villageRows are
// the source's counts (nil: count the loaded rows).
func cutToShard(ctx context.Context, ds *load.Dataset, spec shard.Spec, villageRows map[string]int64, mem memory.Allocator) (*ShardInfo, func(*findings.Finding) bool, error) {
	ix, err := indexForShard(ds, spec, villageRows)
	if err != nil {
		return nil, nil, err
	}
	countyOf, caseVillage, assign := ix.countyOf, ix.caseVillage, ix.assign
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
			keep[i] = keepKey(code(keys.Value(i)))
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
