package leads

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/neijiang/xiaowei/internal/run"
	"github.com/neijiang/xiaowei/internal/store"
)

// RecordStep stores a run's leads (OUT/leads.jsonl) in the store's leads
// table. It must come after the step that records the run: it finds that
// run by its manifest (start time, inputs, rules: unique per run).
func RecordStep(st *store.Store) run.Step {
	return run.Step{Name: "record leads", Fn: func(ctx context.Context, o *run.Options, out *run.Outcome) error {
		manifest, err := json.Marshal(out.Manifest)
		if err != nil {
			return err
		}
		var runID string
		if err := st.Pool.QueryRow(ctx, "select run_id from "+st.T("runs")+" where manifest = $1::jsonb order by finished_at desc limit 1",
			string(manifest)).Scan(&runID); err != nil {
			return fmt.Errorf("finding the recorded run: %w", err)
		}
		ls, err := ReadJSONL(bytes.NewReader(out.Extra["leads.jsonl"]))
		if err != nil {
			return err
		}
		return SaveDB(ctx, st, runID, ls)
	}}
}

// SaveDB stores leads under a run, in one transaction; a lead already
// stored for the run is left as it is.
func SaveDB(ctx context.Context, st *store.Store, runID string, ls []*Lead) error {
	return pgx.BeginFunc(ctx, st.Pool, func(tx pgx.Tx) error {
		for _, l := range ls {
			payload, err := json.Marshal(l)
			if err != nil {
				return err
			}
			var pid, amount any
			if l.Person != nil {
				pid = l.Person.PersonID
			}
			if l.Amount != nil {
				amount = l.Amount.String()
			}
			rules := make([]string, len(l.Rules))
			for i, r := range l.Rules {
				rules[i] = r.RuleID
			}
			if _, err := tx.Exec(ctx, "insert into "+st.T("leads")+` (run_id, lead_id, village_id, person_id, score, amount, rules, finding_ids, payload)
				values ($1, $2, $3, $4, $5, $6::numeric, $7, $8, $9::jsonb) on conflict (run_id, lead_id) do nothing`,
				runID, l.LeadID, l.VillageID, pid, l.Score, amount, rules, l.FindingIDs, string(payload)); err != nil {
				return fmt.Errorf("lead %s: %w", l.LeadID, err)
			}
		}
		return nil
	})
}
