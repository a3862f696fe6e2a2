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

// TxWriter stores a run's leads (OUT/leads.jsonl, from the leads post
// step) inside the transaction that records the run, so a run is never
// stored without its leads. It writes nothing when the run made no leads
// file. The workbench's leads (work_leads) are brought up to date in the
// same transaction, never touching their workflow state; a new lead is due
// store.DefaultDueDays after today.
func TxWriter(st *store.Store, out *run.Outcome) store.TxWriter {
	return TxWriterDue(st, out, store.DefaultDueDays)
}

// TxWriterDue is TxWriter with the due period of new leads (the serve
// configuration's web.due_days).
func TxWriterDue(st *store.Store, out *run.Outcome, dueDays int) store.TxWriter {
	return func(ctx context.Context, tx pgx.Tx, runID string) error {
		b, ok := out.Extra["leads.jsonl"]
		if !ok {
			return nil
		}
		ls, err := ReadJSONL(bytes.NewReader(b))
		if err != nil {
			return fmt.Errorf("leads: %w", err)
		}
		if err := saveTx(ctx, tx, st, runID, ls); err != nil {
			return err
		}
		return st.SyncWorkLeads(ctx, tx, runID, dueDays)
	}
}

// SaveDB stores leads under a run, in one transaction; a lead already
// stored for the run is left as it is.
func SaveDB(ctx context.Context, st *store.Store, runID string, ls []*Lead) error {
	return pgx.BeginFunc(ctx, st.Pool, func(tx pgx.Tx) error { return saveTx(ctx, tx, st, runID, ls) })
}

func saveTx(ctx context.Context, tx pgx.Tx, st *store.Store, runID string, ls []*Lead) error {
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
}
