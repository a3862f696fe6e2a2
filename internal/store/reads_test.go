package store

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/leads"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/run"
)

// runWithLeads records a run whose leads step wrote ls (nil: no leads
// file at all) through LeadsWriter, inside the run's transaction.
func (f *fixture) runWithLeads(t *testing.T, asOf string, ls []*leads.Lead) string {
	t.Helper()
	ctx := context.Background()
	var rec *Recorded
	meta := RunMeta{RunID: NewRunID(time.Now()), Job: "nightly", StartedAt: time.Now()}
	_, err := run.Run(ctx, run.Options{OutDir: f.out, RuleDirs: []string{f.rules}, Scope: run.Scope{AsOf: civil.MustParse(asOf)},
		Source: func(ctx context.Context) (*load.Dataset, error) { return f.st.ReadDataset(ctx, nil) },
		Record: []run.Step{{Name: "record", Fn: func(ctx context.Context, o *run.Options, out *run.Outcome) error {
			if ls != nil {
				var b bytes.Buffer
				if err := leads.WriteJSONL(&b, ls); err != nil {
					return err
				}
				out.Extra = map[string][]byte{"leads.jsonl": b.Bytes()}
			}
			var err error
			rec, err = f.st.Record(ctx, meta, o, out, f.st.LeadsWriter(out, DefaultDueDays))
			return err
		}}}})
	if err != nil {
		t.Fatal(err)
	}
	return rec.RunID
}

func lead(id string, rank int, score float64, fen int64) *leads.Lead {
	return &leads.Lead{LeadID: id, Rank: rank, Kind: "person", Key: "person:P1", Person: &leads.Person{PersonID: "P1", Name: "张三"},
		VillageID: "511002101204", VillageName: "牛桥村", TownID: "511002101", TownName: "史家镇", Severity: "high", Score: score,
		Amount: &findings.Amount{Fen: fen}, Families: []string{"cash"}, Rules: []leads.RuleHit{{RuleID: "CASH-LARGE", Family: "cash"}},
		FindingIDs: []string{"F-" + id}, Verify: []string{"核实"}}
}

// TestReadsReturnWhatWasStored: the plain-data reads the report, the
// dispose command and the service use give back exactly what the run
// recorded: leads in rank order and byte-identical to the run's
// leads.jsonl, a lead's latest stored version, the run header, findings,
// trend and recent runs, and a clear error for what does not exist.
func TestReadsReturnWhatWasStored(t *testing.T) {
	f := newFixture(t)
	f.importRows(t, ledger())
	ctx := context.Background()
	// Stored out of rank order: the read orders by rank.
	first := []*leads.Lead{lead("L2", 2, 10.5, 120000), lead("L1", 1, 30, 99999)}
	run1 := f.runWithLeads(t, "2025-06-30", first)
	runNone := f.runWithLeads(t, "2025-07-31", nil)
	second := []*leads.Lead{lead("L1", 1, 31.5, 100000)}
	run2 := f.runWithLeads(t, "2025-08-31", second)

	t.Run("run leads in rank order, byte-identical", func(t *testing.T) {
		got, err := f.st.RunLeads(ctx, run1)
		if err != nil {
			t.Fatal(err)
		}
		var want, have bytes.Buffer
		leads.WriteJSONL(&want, []*leads.Lead{first[1], first[0]})
		leads.WriteJSONL(&have, got)
		if want.String() != have.String() {
			t.Fatalf("stored leads\n%s\nwant\n%s", have.String(), want.String())
		}
	})
	t.Run("a run without a leads file stores none", func(t *testing.T) {
		got, err := f.st.RunLeads(ctx, runNone)
		if err != nil || len(got) != 0 {
			t.Fatalf("leads of a run without leads: %v %v", got, err)
		}
	})
	t.Run("latest lead is the latest run's version", func(t *testing.T) {
		l, err := f.st.LatestLead(ctx, "L1")
		if err != nil {
			t.Fatal(err)
		}
		if l.Score != 31.5 || l.Amount.Fen != 100000 {
			t.Fatalf("latest L1: score %v amount %v, want run 2's 31.5 and 1000.00", l.Score, l.Amount)
		}
		if l, err := f.st.LatestLead(ctx, "L2"); err != nil || l.Score != 10.5 {
			t.Fatalf("L2 (only in run 1): %v %v", l, err)
		}
		if _, err := f.st.LatestLead(ctx, "L9"); err == nil || err.Error() != "no lead L9 in the database" {
			t.Fatalf("missing lead: %v", err)
		}
	})
	t.Run("run header", func(t *testing.T) {
		r, err := f.st.Run(ctx, run2)
		if err != nil {
			t.Fatal(err)
		}
		var sum run.Summary
		if err := json.Unmarshal(r.Summary, &sum); err != nil {
			t.Fatal(err)
		}
		if civil.FromTime(r.AsOf) != civil.MustParse("2025-08-31") || r.Campaign != "" || sum.Findings.Total != 3 {
			t.Fatalf("header: as_of %v campaign %q findings %d", r.AsOf, r.Campaign, sum.Findings.Total)
		}
		if _, err := f.st.Run(ctx, "nope"); err == nil || !strings.Contains(err.Error(), "no run nope in schema ") {
			t.Fatalf("missing run: %v", err)
		}
	})
	t.Run("findings of the run with exact amounts", func(t *testing.T) {
		fs, err := f.st.RunFindings(ctx, run2)
		if err != nil {
			t.Fatal(err)
		}
		amounts := map[string]int64{}
		for _, x := range fs {
			if x.Amount != nil {
				amounts[x.Subject] = x.Amount.Fen
			}
		}
		// LargeCashRule fires on cash payments of 1000.00 yuan and more.
		want := map[string]int64{"entry:E2": 120000, "entry:E4": 100000, "entry:E5": 500000}
		if len(amounts) != len(want) {
			t.Fatalf("findings %v, want %v", amounts, want)
		}
		for k, v := range want {
			if amounts[k] != v {
				t.Errorf("%s: %d fen, want %d", k, amounts[k], v)
			}
		}
	})
	t.Run("trend oldest first, recent runs newest first", func(t *testing.T) {
		tr, err := f.st.Trend(ctx, run2)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range tr {
			got = append(got, p.AsOf)
		}
		if strings.Join(got, " ") != "2025-06-30 2025-07-31 2025-08-31" {
			t.Fatalf("trend %v", got)
		}
		rr, err := f.st.RecentRuns(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(rr) != 2 || rr[0].RunID != run2 || rr[1].RunID != runNone || rr[0].Findings != 3 {
			t.Fatalf("recent runs %+v", rr)
		}
	})
	t.Run("all villages", func(t *testing.T) {
		vs, err := f.st.AllVillages(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) != 2 || vs[0] != (Village{"511002101204", "牛桥村", "511002101", "史家镇"}) || vs[1].VillageName != "梅堂湾村" {
			t.Fatalf("villages %+v", vs)
		}
	})
}

// TestTryJobLock: a job's lock is held by one session at a time and is
// free again once released.
func TestTryJobLock(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	release, ok, err := f.st.TryJobLock(ctx, "nightly")
	if err != nil || !ok {
		t.Fatalf("first lock: %v %v", ok, err)
	}
	if _, ok2, err := f.st.TryJobLock(ctx, "nightly"); err != nil || ok2 {
		t.Fatalf("second lock while held: %v %v, want refused", ok2, err)
	}
	other, ok3, err := f.st.TryJobLock(ctx, "campaign")
	if err != nil || !ok3 {
		t.Fatalf("another job's lock: %v %v", ok3, err)
	}
	other()
	release()
	again, ok4, err := f.st.TryJobLock(ctx, "nightly")
	if err != nil || !ok4 {
		t.Fatalf("lock after release: %v %v", ok4, err)
	}
	again()
}
