package run

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/table"
)

// The column that dates a row (contract.Table.AsOfCol): a row dated after
// as_of did not exist yet on that day and is not read (domain.md). A
// campaign scope narrows the tables with a village column
// (contract.Table.VillageColumn).

func applyScope(ctx context.Context, tables map[string]*table.Table, s Scope, mem memory.Allocator) (map[string]*table.Table, []ScopeStats, error) {
	out := make(map[string]*table.Table, len(tables))
	for k, v := range tables {
		out[k] = v
	}
	inScope := scopeVillages(tables["villages"], s)
	// payments carry no village_id: they follow their case's village.
	var casesInScope map[string]bool
	if inScope != nil && tables["beneficiaries"] != nil {
		b := tables["beneficiaries"]
		cid, vid := b.Str("case_id"), b.Str("village_id")
		casesInScope = map[string]bool{}
		for i := 0; i < b.Len(); i++ {
			if inScope[vid.Value(i)] {
				casesInScope[cid.Value(i)] = true
			}
		}
	}
	var stats []ScopeStats
	for _, spec := range contract.All() {
		t := out[spec.Name]
		if t == nil || t.Len() == 0 {
			continue
		}
		st := ScopeStats{Table: spec.Name}
		keep := make([]bool, t.Len())
		dropped := 0
		var dates *array.Date32
		if c := spec.AsOfCol(); c != "" && s.AsOf != 0 {
			dates = t.Date(c)
		}
		var vids *array.String
		var inScopeKeys map[string]bool
		if vc := spec.VillageColumn(); inScope != nil && vc != "" {
			vids, inScopeKeys = t.Str(vc), inScope
		} else if casesInScope != nil && spec.Name == "payments" {
			vids, inScopeKeys = t.Str("case_id"), casesInScope
		}
		for i := range keep {
			keep[i] = true
			if dates != nil && dates.IsValid(i) && civil.Date(dates.Value(i)) > s.AsOf {
				keep[i] = false
				st.AfterAsOf++
			} else if vids != nil && !inScopeKeys[vids.Value(i)] {
				keep[i] = false
				st.OutOfScope++
			}
			if !keep[i] {
				dropped++
			}
		}
		if dropped == 0 {
			continue
		}
		ft, err := filterTable(ctx, t, keep, mem)
		if err != nil {
			return nil, nil, fmt.Errorf("scope %s: %w", spec.Name, err)
		}
		out[spec.Name] = ft
		stats = append(stats, st)
	}
	return out, stats, nil
}

func scopeVillages(villages *table.Table, s Scope) map[string]bool {
	if len(s.Villages) == 0 && len(s.Towns) == 0 {
		return nil
	}
	in := map[string]bool{}
	for _, v := range s.Villages {
		in[v] = true
	}
	if villages != nil && len(s.Towns) > 0 {
		vid, tid := villages.Str("village_id"), villages.Str("town_id")
		for i := 0; i < villages.Len(); i++ {
			if contains(s.Towns, tid.Value(i)) {
				in[vid.Value(i)] = true
			}
		}
	}
	return in
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// filterTable keeps the rows marked true, with Arrow's filter kernel.
func filterTable(ctx context.Context, t *table.Table, keep []bool, mem memory.Allocator) (*table.Table, error) {
	b := array.NewBooleanBuilder(mem)
	b.AppendValues(keep, nil)
	mask := b.NewBooleanArray()
	b.Release()
	defer mask.Release()
	ctx = compute.WithAllocator(ctx, mem)
	rec, err := compute.FilterRecordBatch(ctx, t.Rec, mask, compute.DefaultFilterOptions())
	if err != nil {
		return nil, err
	}
	return table.New(t.Name, t.Cols, rec.(arrow.RecordBatch)), nil
}
