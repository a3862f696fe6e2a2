package dispose

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/findings"
)

func TestTrailKeepsEveryEvent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "dispositions.jsonl")
	at := "2025-07-01T10:00:00+08:00"
	for _, e := range []Event{
		{At: at, FindingID: "f1", Status: Confirmed, Reason: "属实", By: "张"},
		{At: at, FindingID: "f1", Status: FalsePositive, Reason: "复核为误报", By: "李"},
		{At: at, FindingID: "f2", Status: Suppressed, Until: "2025-09-30", Reason: "镇纪委在办", By: "李"},
	} {
		if err := Append(path, e); err != nil {
			t.Fatal(err)
		}
	}
	before, _ := os.ReadFile(path)
	if err := Append(path, Event{At: at, FindingID: "f2", Status: Suppressed, Until: "2025-07-01", Reason: "提前恢复核查", By: "王"}); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(after), string(before)) {
		t.Fatal("earlier events rewritten")
	}
	evs, err := ReadFile(path)
	if err != nil || len(evs) != 4 {
		t.Fatalf("%d events, %v", len(evs), err)
	}
	byF, _ := Current(evs)
	if byF["f1"].Status != FalsePositive || byF["f1"].History != 2 || byF["f2"].Until != "2025-07-01" {
		t.Fatalf("current: %+v", byF)
	}
	fs := []*findings.Finding{{FindingID: "f1"}, {FindingID: "f2"}, {FindingID: "f3"}}
	a := Apply(fs, evs, civil.MustParse("2025-07-02"), path)
	if fs[0].Disposition != FalsePositive || fs[1].Disposition != "" || fs[2].Disposition != "" || len(a.Findings) != 2 {
		t.Fatalf("applied: %+v", a)
	}
}

func TestValidate(t *testing.T) {
	at := "2025-07-01T10:00:00+08:00"
	bad := []Event{
		{At: at, Status: Confirmed, Reason: "r", By: "b"},
		{At: at, FindingID: "f", LeadID: "L", Status: Confirmed, Reason: "r", By: "b"},
		{At: at, FindingID: "f", Status: "maybe", Reason: "r", By: "b"},
		{At: at, FindingID: "f", Status: Suppressed, Reason: "r", By: "b"},
		{At: at, FindingID: "f", Status: Confirmed, Until: "2025-01-01", Reason: "r", By: "b"},
		{At: at, FindingID: "f", Status: Confirmed, By: "b"},
		{At: at, FindingID: "f", Status: Confirmed, Reason: "r"},
		{At: at, LeadID: "L", Status: Confirmed, Reason: "r", By: "b"},
	}
	for i, e := range bad {
		if e.Validate() == nil {
			t.Errorf("case %d accepted", i)
		}
	}
	path := filepath.Join(t.TempDir(), "d.jsonl")
	os.WriteFile(path, []byte(`{"at":"`+at+`","finding_id":"f","status":"confirmed","reason":"r","by":"b"}`+"\n{bad\n"), 0o644)
	if _, err := ReadFile(path); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("bad line: %v", err)
	}
	if evs, err := ReadFile(filepath.Join(t.TempDir(), "none")); err != nil || evs != nil {
		t.Fatal("missing file should have no events")
	}
}

func TestWorkflowMoves(t *testing.T) {
	for _, tc := range []struct {
		from, to string
		ok       bool
	}{
		{Pending, Assigned, true},
		{Assigned, Verifying, true},
		{Pending, Verifying, true},
		{Verifying, Closed, false}, // only through a conclusion
		{Closed, Verifying, true},
		{Assigned, Assigned, false},
		{Pending, "done", false},
	} {
		t.Run(tc.from+"->"+tc.to, func(t *testing.T) {
			if got := CanMove(tc.from, tc.to); got != tc.ok {
				t.Fatalf("CanMove(%s, %s) = %v, want %v", tc.from, tc.to, got, tc.ok)
			}
		})
	}
	for _, c := range Conclusions {
		if ConclusionStatus[c] == "" || ConclusionLabels[c] == "" {
			t.Errorf("conclusion %s has no disposition status or label", c)
		}
	}
}
