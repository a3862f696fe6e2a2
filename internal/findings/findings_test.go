package findings

import (
	"bytes"
	"strings"
	"testing"
	"unsafe"
)

func TestIDIsStableAndSeparatesFields(t *testing.T) {
	a := ID("CASH-LARGE", "entry:E1", "2024-01")
	if a != ID("CASH-LARGE", "entry:E1", "2024-01") || len(a) != 32 {
		t.Fatalf("id %q not stable or not 128-bit hex", a)
	}
	// The separator keeps ("a","bc") and ("ab","c") apart.
	if ID("R", "ab", "c") == ID("R", "a", "bc") {
		t.Error("fields run together in the id")
	}
}

func TestMergeKeepsFirstAndHighestSeverity(t *testing.T) {
	mk := func(order int, sev Severity, fen int64, cadre string) *Finding {
		return &Finding{FindingID: ID("REL-KIN", "person:P1", "C1"), RuleID: "REL-KIN", Subject: "person:P1", Period: "C1",
			Severity: sev, Amount: &Amount{Fen: fen}, Order: order, Evidence: map[string]any{"cadre": cadre, "params": map[string]any{}}}
	}
	fs := []*Finding{mk(0, "medium", 100, "A"), mk(1, "high", 300, "B"), mk(2, "low", 50, "C")}
	Sort(fs)
	out := Merge(fs)
	if len(out) != 1 {
		t.Fatalf("merged to %d findings, want 1", len(out))
	}
	f := out[0]
	if f.Evidence["cadre"] != "A" || f.Severity != "high" || f.Amount.Fen != 300 {
		t.Errorf("merged %+v", f)
	}
	if also := f.Evidence["also"].([]any); len(also) != 2 {
		t.Errorf("also has %d entries, want 2", len(also))
	}
}

func TestJSONAmountIsExactTwoDecimals(t *testing.T) {
	var buf bytes.Buffer
	fs := []*Finding{{FindingID: "x", Amount: &Amount{Fen: 16800000}, Evidence: map[string]any{"b": 1, "a": 2}}, {FindingID: "y"}}
	if err := WriteJSONL(&buf, fs); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	if !strings.Contains(s, `"amount":168000.00`) || !strings.Contains(s, `"amount":null`) {
		t.Errorf("amounts: %s", s)
	}
	if !strings.Contains(s, `"evidence":{"a":2,"b":1}`) {
		t.Errorf("evidence keys not sorted: %s", s)
	}
	back, err := ReadJSONL(&buf)
	if err != nil || len(back) != 2 || back[0].Amount.Fen != 16800000 || back[1].Amount != nil {
		t.Errorf("round trip: %v %+v", err, back)
	}
}

// TestDetach: a detached finding holds no string sharing memory with the
// original (and so with an Arrow buffer) and encodes the same.
func TestDetach(t *testing.T) {
	buf := []byte("511002101204entry:E1甲")
	str := unsafe.String(&buf[0], len(buf)) // like an Arrow Value(i)
	params := map[string]any{"threshold": 1000, "names": []any{str[:12]}}
	f := &Finding{RuleID: "R", VillageID: str[:12], Subject: str[12:20], Message: str[20:],
		Evidence: map[string]any{"entry_id": str[18:20], "params": params, "also": []any{map[string]any{"x": str[:3]}}}}
	var before bytes.Buffer
	if err := WriteJSONL(&before, []*Finding{f}); err != nil {
		t.Fatal(err)
	}
	f.Detach()
	for i := range buf {
		buf[i] = 'z' // the buffer is reused: a detached finding must not change
	}
	var after bytes.Buffer
	if err := WriteJSONL(&after, []*Finding{f}); err != nil {
		t.Fatal(err)
	}
	if before.String() != after.String() {
		t.Errorf("detached finding changed with the buffer:\n%s\n%s", before.String(), after.String())
	}
}
