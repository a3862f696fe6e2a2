package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/neijiang/xiaowei/internal/auth"
	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/dispose"
)

func (o *Outcome) validate() error {
	if strings.TrimSpace(o.Person) == "" {
		return errors.New("问责对象 is required")
	}
	if err := dispose.ValidForm(o.Form); err != nil {
		return err
	}
	if _, err := civil.Parse(o.DecidedOn); err != nil {
		return fmt.Errorf("问责日期: %w", err)
	}
	if o.RecoveredFen < 0 {
		return errors.New("追缴/退赔金额 must not be negative")
	}
	return nil
}

func (s *Store) addOutcomeTx(ctx context.Context, tx pgx.Tx, sc auth.Scope, leadID, town string, o Outcome) error {
	if _, err := tx.Exec(ctx, "insert into "+s.T("outcomes")+" (lead_id, person, form, decided_on, doc_no, recovered, recorded_by) values ($1,$2,$3,$4::date,$5,$6::numeric/100,$7)",
		leadID, o.Person, o.Form, o.DecidedOn, o.DocNo, o.RecoveredFen, sc.User); err != nil {
		return err
	}
	return s.auditTx(ctx, tx, AuditEntry{Actor: sc.User, Action: "outcome", LeadID: leadID, TownID: town,
		After: map[string]any{"person": o.Person, "form": o.Form, "decided_on": o.DecidedOn, "doc_no": o.DocNo, "recovered_fen": o.RecoveredFen}})
}

// AddOutcome records one more outcome on a lead concluded 属实 or 部分属实.
func (s *Store) AddOutcome(ctx context.Context, sc auth.Scope, leadID string, version int, o Outcome) error {
	if err := o.validate(); err != nil {
		return err
	}
	return s.change(ctx, sc, leadID, version, "outcome_added", "", func(tx pgx.Tx, cur workState) (workState, error) {
		if cur.Status != dispose.Closed || (cur.Conclusion != dispose.Substantiated && cur.Conclusion != dispose.Partly) {
			return cur, errors.New("outcomes are recorded only on a lead concluded 属实 or 部分属实")
		}
		return cur, s.addOutcomeTx(ctx, tx, sc, leadID, cur.TownID, o)
	})
}

// Comment adds a comment to a lead (anyone who may work it). Comments are
// audit entries: they are never edited.
func (s *Store) Comment(ctx context.Context, sc auth.Scope, leadID, text string) error {
	if !sc.CanWork() {
		return ErrForbidden
	}
	if strings.TrimSpace(text) == "" {
		return errors.New("empty comment")
	}
	return s.auditLeadInScope(ctx, sc, leadID, "comment", text)
}
