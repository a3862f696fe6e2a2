package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/neijiang/xiaowei/internal/leads"
	"github.com/neijiang/xiaowei/internal/run"
)

// LeadsWriter stores a run's leads (OUT/leads.jsonl, from the leads post
// step) inside the transaction that records the run, so a run is never
// stored without its leads. It writes nothing when the run made no leads
// file. The workbench's leads (work_leads) are brought up to date in the
// same transaction, never touching their workflow state; a new lead is due
// dueDays after today (DefaultDueDays, or the serve configuration's
// web.due_days). It lives here, not in internal/leads, so that leads stays
// free of the database: it only computes leads, the store keeps them.
func (s *Store) LeadsWriter(out *run.Outcome, dueDays int) TxWriter {
	return func(ctx context.Context, tx pgx.Tx, runID string) error {
		b, ok := out.Extra["leads.jsonl"]
		if !ok {
			return nil
		}
		ls, err := leads.ReadJSONL(bytes.NewReader(b))
		if err != nil {
			return fmt.Errorf("leads: %w", err)
		}
		if err := s.saveLeadsTx(ctx, tx, runID, ls); err != nil {
			return err
		}
		return s.SyncWorkLeads(ctx, tx, runID, dueDays)
	}
}

func (s *Store) saveLeadsTx(ctx context.Context, tx pgx.Tx, runID string, ls []*leads.Lead) error {
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
		if _, err := tx.Exec(ctx, "insert into "+s.T("leads")+` (run_id, lead_id, village_id, person_id, score, amount, rules, finding_ids, payload)
				values ($1, $2, $3, $4, $5, $6::numeric, $7, $8, $9::jsonb) on conflict (run_id, lead_id) do nothing`,
			runID, l.LeadID, l.VillageID, pid, l.Score, amount, rules, l.FindingIDs, string(payload)); err != nil {
			return fmt.Errorf("lead %s: %w", l.LeadID, err)
		}
	}
	return nil
}

// RunLeads reads a run's leads (stored with the run) in rank order.
func (s *Store) RunLeads(ctx context.Context, runID string) ([]*leads.Lead, error) {
	rows, err := s.pool.Query(ctx, "select payload from "+s.T("leads")+" where run_id = $1 order by (payload->>'rank')::int, lead_id", runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*leads.Lead
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		l := &leads.Lead{}
		if err := json.Unmarshal(b, l); err != nil {
			return nil, fmt.Errorf("run %s: stored lead payload: %w", runID, err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// LatestLead returns a lead as stored by the latest recorded run that had
// it; a lead no run had is an error naming it.
func (s *Store) LatestLead(ctx context.Context, leadID string) (*leads.Lead, error) {
	var b []byte
	err := s.pool.QueryRow(ctx, "select l.payload from "+s.T("leads")+" l join "+s.T("runs")+" r using (run_id) where l.lead_id = $1 order by r.finished_at desc limit 1", leadID).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("no lead %s in the database", leadID)
	}
	if err != nil {
		return nil, err
	}
	l := &leads.Lead{}
	if err := json.Unmarshal(b, l); err != nil {
		return nil, fmt.Errorf("lead %s: stored payload: %w", leadID, err)
	}
	return l, nil
}
