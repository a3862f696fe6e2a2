package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/neijiang/xiaowei/internal/auth"
)

// AuditEntry is one row of the append-only audit log.
type AuditEntry struct {
	ID     int64
	At     time.Time
	Actor  string
	Action string
	LeadID string
	TownID string
	Before map[string]any
	After  map[string]any
	Note   string
}

func jsonOrNil(m map[string]any) any {
	if m == nil {
		return nil
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// execer is a pool or a transaction: an audit entry is written inside the
// change it records, or on its own.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

func (s *Store) auditTx(ctx context.Context, tx execer, e AuditEntry) error {
	_, err := tx.Exec(ctx, "insert into "+s.T("audit")+" (actor, action, lead_id, town_id, before, after, note) values ($1,$2,nullif($3,''),nullif($4,''),$5::jsonb,$6::jsonb,$7)",
		e.Actor, e.Action, e.LeadID, e.TownID, jsonOrNil(e.Before), jsonOrNil(e.After), e.Note)
	return err
}

// Audit appends an entry (sign-ins, reveals, exports).
func (s *Store) Audit(ctx context.Context, e AuditEntry) error {
	return s.auditTx(ctx, s.pool, e) // one insert: no transaction of its own
}

// AuditLog returns the newest entries first. Admins and district
// inspectors read the whole log; others read nothing (a lead's own history
// comes with the lead). action filters when set.
func (s *Store) AuditLog(ctx context.Context, sc auth.Scope, action string, limit int) ([]AuditEntry, error) {
	if !sc.IsAdmin() && sc.Role != auth.District {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, "select id, at, actor, action, coalesce(lead_id,''), coalesce(town_id,''), before, after, note from "+
		s.T("audit")+" where ($1 = '' or action = $1) order by id desc limit $2", action, limit)
	if err != nil {
		return nil, err
	}
	return collectAudit(rows)
}

func collectAudit(rows pgx.Rows) ([]AuditEntry, error) {
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		if err := rows.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.LeadID, &e.TownID, &e.Before, &e.After, &e.Note); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// LeadAudit logs an access to a lead in scope (a reveal of masked data);
// ErrNotFound when the lead is outside the scope.
func (s *Store) LeadAudit(ctx context.Context, sc auth.Scope, leadID, action, note string) error {
	return s.auditLeadInScope(ctx, sc, leadID, action, note)
}

// auditLeadInScope writes an audit entry on a lead in scope, with the lead's
// town; ErrNotFound when the lead is outside the scope.
func (s *Store) auditLeadInScope(ctx context.Context, sc auth.Scope, leadID, action, note string) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		w := &whereBuilder{}
		scopeLeads(w, sc)
		w.add("w.lead_id = ?", leadID)
		var town string
		err := tx.QueryRow(ctx, "select w.town_id from "+s.T("work_leads")+" w where "+w.sql(), w.args...).Scan(&town)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		return s.auditTx(ctx, tx, AuditEntry{Actor: sc.User, Action: action, LeadID: leadID, TownID: town, Note: note})
	})
}
