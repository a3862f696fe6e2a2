package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/neijiang/xiaowei/internal/auth"
	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/dispose"
)

// ConflictError means the lead changed since the caller read it (optimistic
// locking): nothing was written.
type ConflictError struct {
	LeadID string
	By     string
	At     time.Time
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("lead %s was changed by %s at %s since you opened it", e.LeadID, e.By, e.At.In(civil.Shanghai).Format("15:04:05"))
}

// ErrForbidden means the scope may see the lead but not do this to it.
var ErrForbidden = errors.New("not allowed for this role")

// workState is a lead's workflow columns as read under lock.
type workState struct {
	Status, Assignee, Conclusion, DeferUntil, DueOn, TownID string
	FindingIDs                                              []string
	Version                                                 int
}

func (w workState) asMap() map[string]any {
	return map[string]any{"status": w.Status, "assignee": w.Assignee, "conclusion": w.Conclusion, "defer_until": w.DeferUntil, "due_on": w.DueOn}
}

// change runs fn on a lead locked for update, in scope, at the version the
// caller saw; fn returns the new state (and may write more in tx). The
// version moves by one, and the change is audited with before and after.
func (s *Store) change(ctx context.Context, sc auth.Scope, leadID string, version int, action, note string,
	fn func(tx pgx.Tx, cur workState) (workState, error), then ...func(tx pgx.Tx, cur workState) error) error {
	if !sc.CanWork() {
		return ErrForbidden
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		w := &whereBuilder{}
		scopeLeads(w, sc)
		w.add("w.lead_id = ?", leadID)
		var cur workState
		err := tx.QueryRow(ctx, "select w.status, coalesce(w.assignee,''), coalesce(w.conclusion,''), coalesce(to_char(w.defer_until,'YYYY-MM-DD'),''), to_char(w.due_on,'YYYY-MM-DD'), w.town_id, w.finding_ids, w.version from "+
			s.T("work_leads")+" w where "+w.sql()+" for update", w.args...).Scan(&cur.Status, &cur.Assignee, &cur.Conclusion, &cur.DeferUntil,
			&cur.DueOn, &cur.TownID, &cur.FindingIDs, &cur.Version)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if cur.Version != version {
			ce := &ConflictError{LeadID: leadID}
			err := tx.QueryRow(ctx, "select actor, at from "+s.T("audit")+" where lead_id = $1 and actor <> 'system' order by id desc limit 1", leadID).Scan(&ce.By, &ce.At)
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			return ce
		}
		next, err := fn(tx, cur)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "update "+s.T("work_leads")+` set status = $2, assignee = nullif($3,''), conclusion = nullif($4,''),
			defer_until = nullif($5,'')::date, due_on = $6::date, version = version + 1, updated_at = now() where lead_id = $1`,
			leadID, next.Status, next.Assignee, next.Conclusion, next.DeferUntil, next.DueOn); err != nil {
			return err
		}
		if err := s.auditTx(ctx, tx, AuditEntry{Actor: sc.User, Action: action, LeadID: leadID, TownID: cur.TownID,
			Before: diff(cur.asMap(), next.asMap(), true), After: diff(cur.asMap(), next.asMap(), false), Note: note}); err != nil {
			return err
		}
		// What follows the change in the trail (the outcomes of a conclusion).
		for _, f := range then {
			if err := f(tx, next); err != nil {
				return err
			}
		}
		return nil
	})
}

// diff keeps the keys whose values differ: the before side or the after side.
func diff(a, b map[string]any, before bool) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		if b[k] != v {
			if before {
				out[k] = v
			} else {
				out[k] = b[k]
			}
		}
	}
	return out
}

// Assign gives a lead to an account (district inspectors only); a 待分派
// lead becomes 已分派.
func (s *Store) Assign(ctx context.Context, sc auth.Scope, leadID string, version int, assignee string) error {
	if !sc.CanAssign() {
		return ErrForbidden
	}
	a, err := s.GetAccount(ctx, assignee)
	if err != nil {
		return err
	}
	if a == nil || a.Disabled || (a.Role != auth.District && a.Role != auth.Town) {
		return fmt.Errorf("assignee %q: no active district or town account of that name", assignee)
	}
	return s.change(ctx, sc, leadID, version, "assign", "", func(tx pgx.Tx, cur workState) (workState, error) {
		if a.Role == auth.Town && !a.Scope().InTown(cur.TownID) {
			return cur, fmt.Errorf("assignee %s does not belong to town %s", assignee, cur.TownID)
		}
		cur.Assignee = assignee
		if cur.Status == dispose.Pending {
			cur.Status = dispose.Assigned
		}
		return cur, nil
	})
}

// Move changes a lead's workflow status (not to 办结: see Conclude).
func (s *Store) Move(ctx context.Context, sc auth.Scope, leadID string, version int, to, note string) error {
	return s.change(ctx, sc, leadID, version, "status", note, func(tx pgx.Tx, cur workState) (workState, error) {
		if !dispose.CanMove(cur.Status, to) {
			return cur, fmt.Errorf("cannot move from %s to %s", cur.Status, to)
		}
		cur.Status = to
		if to != dispose.Closed {
			cur.Conclusion, cur.DeferUntil = "", ""
		}
		return cur, nil
	})
}

// SetDue changes a lead's due date.
func (s *Store) SetDue(ctx context.Context, sc auth.Scope, leadID string, version int, due civil.Date) error {
	return s.change(ctx, sc, leadID, version, "due", "", func(tx pgx.Tx, cur workState) (workState, error) {
		cur.DueOn = due.String()
		return cur, nil
	})
}

// Conclude closes a lead under 核查中 with a conclusion, records the
// matching disposition of its findings (the same model `xiaowei dispose`
// writes; 不属实 = false_positive keeps them out of later leads) and the
// outcomes given, all in one transaction.
func (s *Store) Conclude(ctx context.Context, sc auth.Scope, leadID string, version int, conclusion, deferUntil, reason string, outs []Outcome) error {
	status, ok := dispose.ConclusionStatus[conclusion]
	if !ok {
		return fmt.Errorf("conclusion %q: want one of %s", conclusion, strings.Join(dispose.Conclusions, ", "))
	}
	if (conclusion == dispose.Deferred) != (deferUntil != "") {
		return errors.New("暂缓 needs a date, and only 暂缓 takes one")
	}
	if strings.TrimSpace(reason) == "" {
		return errors.New("a reason is required")
	}
	if len(outs) > 0 && conclusion != dispose.Substantiated && conclusion != dispose.Partly {
		return errors.New("outcomes are recorded only for 属实 or 部分属实")
	}
	for _, o := range outs {
		if err := o.validate(); err != nil {
			return err
		}
	}
	return s.change(ctx, sc, leadID, version, "conclude", reason, func(tx pgx.Tx, cur workState) (workState, error) {
		if cur.Status != dispose.Verifying {
			return cur, fmt.Errorf("a lead is concluded from 核查中, not %s", dispose.WorkflowLabels[cur.Status])
		}
		cur.Status, cur.Conclusion, cur.DeferUntil = dispose.Closed, conclusion, deferUntil
		if len(cur.FindingIDs) > 0 {
			if err := s.addDispositionTx(ctx, tx, Disposition{ID: leadID, Kind: "lead", FindingIDs: cur.FindingIDs, Status: status,
				Until: deferUntil, Reason: reason, DecidedBy: sc.User, DecidedAt: time.Now()}); err != nil {
				return cur, err
			}
		}
		return cur, nil
	}, func(tx pgx.Tx, cur workState) error {
		for _, o := range outs {
			if err := s.addOutcomeTx(ctx, tx, sc, leadID, cur.TownID, o); err != nil {
				return err
			}
		}
		return nil
	})
}
