package engine

import (
	"context"
	"testing"
	"unsafe"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/table"
)

// TestFindingsDoNotPinViews: a finding's strings read from the view are
// copies, not pointers into the view's Arrow buffers, so a released view
// is freed (on province data the findings kept ~280 MB of released views
// alive) and a finding never reads memory an allocator has reclaimed.
func TestFindingsDoNotPinViews(t *testing.T) {
	set, err := loadRules(t, map[string]string{"cash.yaml": largeRule + "    evidence: [entry_id, village_id, account]\n"})
	if err != nil {
		t.Fatal(err)
	}
	plan, errs := Compile(set, nil, Geography{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	tb := ledgerTable([]ledgerRow{{"E1", "V1", "2024-03-01", "cash", "out", 100000}})
	defer tb.Release()
	res, err := Evaluate(context.Background(), plan, map[string]*table.Table{"ledger": tb}, EvalOptions{AsOf: civil.MustParse("2025-06-30")})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 {
		t.Fatalf("%d findings, want 1", len(res.Findings))
	}
	f := res.Findings[0]
	inView := func(s string) bool {
		p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
		for _, col := range []string{"entry_id", "village_id", "account"} {
			data := tb.Str(col).ValueBytes()
			lo := uintptr(unsafe.Pointer(unsafe.SliceData(data)))
			if p >= lo && p < lo+uintptr(cap(data)) {
				return true
			}
		}
		return false
	}
	strs := map[string]string{"village_id": f.VillageID}
	for _, k := range []string{"entry_id", "village_id", "account"} {
		v, ok := f.Evidence[k].(string)
		if !ok {
			t.Fatalf("evidence %s = %v, want a string", k, f.Evidence[k])
		}
		strs["evidence "+k] = v
	}
	for what, s := range strs {
		if inView(s) {
			t.Errorf("%s %q points into the view's buffer", what, s)
		}
	}
}
