package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/neijiang/xiaowei/internal/run"
)

// TestPruneRuns: four runs of the same data; the first opened the
// findings (history points at it), the second holds a lead an inspector
// decided on, the fourth is the newest (the findings' last run). Only the
// third may go, with its lead, and only when the policy says so.
func TestPruneRuns(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.importRows(t, ledger())
	var ids []string
	for i := 0; i < 4; i++ {
		rec, err := f.run(ctx, t, run.Scope{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rec.RunID)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := f.st.pool.Exec(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec("insert into "+f.st.T("leads")+" (run_id, lead_id, payload) values ($1, 'L-decided', '{}'), ($2, 'L-open', '{}')", ids[1], ids[2])
	exec("insert into " + f.st.T("dispositions") + " (finding_or_lead_id, kind, status, reason, decided_by) values ('L-decided', 'lead', 'confirmed', '已立案', 'P9')")

	pinned, err := f.st.PinnedRuns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !pinned[ids[3]] || !pinned[ids[1]] || pinned[ids[0]] || pinned[ids[2]] {
		t.Errorf("pinned %v: want the open findings' last run (4th) and the decided lead's run (2nd)", pinned)
	}
	later := time.Now().Add(time.Second)
	for _, tc := range []struct {
		name string
		keep Keep
		now  time.Time
		want []string
		left int
	}{
		{"no policy keeps all", Keep{}, later, nil, 4},
		{"all younger than max_age", Keep{MaxAge: time.Hour}, later, nil, 4},
		{"old but among the newest 3", Keep{MaxAge: time.Millisecond, Keep: 3}, later, nil, 4},
		{"count only: what nothing points at goes", Keep{Keep: 1}, later, []string{ids[2]}, 3},
		{"nothing more can go", Keep{Keep: 1}, later.Add(time.Hour), nil, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := f.st.PruneRuns(ctx, tc.keep, tc.now)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("pruned %v, want %v", got, tc.want)
			}
			if n, err := f.st.RunCount(ctx); err != nil || n != tc.left {
				t.Errorf("%d runs left (%v), want %d", n, err, tc.left)
			}
		})
	}
	var leads int
	f.st.pool.QueryRow(ctx, "select count(*) from "+f.st.T("leads")).Scan(&leads)
	if leads != 1 {
		t.Errorf("%d leads left, want the decided one only (the pruned run's lead goes with it)", leads)
	}
}
