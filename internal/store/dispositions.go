package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/neijiang/xiaowei/internal/civil"
)

// Disposition is an inspector's decision on a finding or a lead, as the
// dispositions and disposition_events tables hold it.
type Disposition struct {
	ID         string   // finding_id or lead_id
	Kind       string   // finding | lead
	FindingIDs []string // a lead's findings when decided (may be empty)
	Status     string   // confirmed | false_positive | suppressed
	Until      string   // suppressed: last day YYYY-MM-DD, or ""
	Reason     string
	DecidedBy  string
	DecidedAt  time.Time
}

// AddDisposition appends the decision to disposition_events and makes it
// the current one in dispositions, in one transaction. A decision on a lead
// the workbench knows also closes its workflow there (one model for the
// command line, file runs and the web).
func (s *Store) AddDisposition(ctx context.Context, d Disposition) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := s.addDispositionTx(ctx, tx, d); err != nil {
			return err
		}
		return s.syncDispositionTx(ctx, tx, d)
	})
}

func (s *Store) addDispositionTx(ctx context.Context, tx pgx.Tx, d Disposition) error {
	var until any
	if d.Until != "" {
		u, err := civil.Parse(d.Until)
		if err != nil {
			return fmt.Errorf("until: %w", err)
		}
		until = dateTime(u)
	}
	if d.DecidedAt.IsZero() {
		d.DecidedAt = time.Now()
	}
	ids := nonNil(d.FindingIDs)
	if _, err := tx.Exec(ctx, "insert into "+s.T("disposition_events")+
		" (finding_or_lead_id, kind, finding_ids, status, until, reason, decided_by, decided_at) values ($1,$2,$3,$4,$5,$6,$7,$8)",
		d.ID, d.Kind, ids, d.Status, until, d.Reason, d.DecidedBy, d.DecidedAt); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, "insert into "+s.T("dispositions")+
		` (finding_or_lead_id, kind, finding_ids, status, until, reason, decided_by, decided_at) values ($1,$2,$3,$4,$5,$6,$7,$8)
		on conflict (finding_or_lead_id, kind) do update set finding_ids = excluded.finding_ids, status = excluded.status,
		until = excluded.until, reason = excluded.reason, decided_by = excluded.decided_by, decided_at = excluded.decided_at`,
		d.ID, d.Kind, ids, d.Status, until, d.Reason, d.DecidedBy, d.DecidedAt)
	return err
}

// DispositionEvents returns every decision ever made, in the order recorded.
func (s *Store) DispositionEvents(ctx context.Context) ([]Disposition, error) {
	rows, err := s.pool.Query(ctx, "select finding_or_lead_id, kind, finding_ids, status, until, reason, decided_by, decided_at from "+
		s.T("disposition_events")+" order by id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Disposition
	for rows.Next() {
		var d Disposition
		var until pgtype.Date
		if err := rows.Scan(&d.ID, &d.Kind, &d.FindingIDs, &d.Status, &until, &d.Reason, &d.DecidedBy, &d.DecidedAt); err != nil {
			return nil, err
		}
		if until.Valid {
			d.Until = civil.FromTime(until.Time).String()
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
