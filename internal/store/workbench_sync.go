package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/neijiang/xiaowei/internal/dispose"
)

// DefaultDueDays is the time a new lead is given before it is overdue,
// when the configuration says nothing.
const DefaultDueDays = 30

// SyncWorkLeads brings the workbench's leads up to date with the leads a
// run stored (the leads table, same transaction): new leads are added as
// 待分派 with a due date dueDays after today; known leads get their facts
// (score, amount, findings, places…) refreshed, times_seen and last_seen
// moved, and are reopened when they had been resolved; run leads that are
// not in the run and have no open finding left are marked resolved. The
// workflow columns (status, assignee, conclusion, due date, version) and
// the outcomes and audit trail are never written here.
func (s *Store) SyncWorkLeads(ctx context.Context, tx pgx.Tx, runID string, dueDays int) error {
	if dueDays <= 0 {
		dueDays = DefaultDueDays
	}
	L, W, A := s.T("leads"), s.T("work_leads"), s.T("audit")
	steps := []struct{ name, sql string }{
		{"reopen events", `insert into ` + A + ` (actor, action, lead_id, town_id, note)
			select 'system', 'reopened', w.lead_id, w.town_id, $1 from ` + W + ` w join ` + L + ` l on l.lead_id = w.lead_id and l.run_id = $1
			where w.resolved_at is not null`},
		{"upsert", `insert into ` + W + ` as w (lead_id, source, kind, town_id, town_name, village_id, village_name, person_id, person_name,
				severity, score, amount, families, rules, finding_ids, campaigns, payload, first_seen, last_seen, first_run_id, last_run_id,
				times_seen, due_on)
			select l.lead_id, 'run', coalesce(l.payload->>'kind', ''), coalesce(l.payload->>'town_id', ''), coalesce(l.payload->>'town_name', ''),
				coalesce(l.payload->>'village_id', ''), coalesce(l.payload->>'village_name', ''), l.person_id, l.payload->'person'->>'name',
				coalesce(l.payload->>'severity', 'low'), coalesce(l.score, 0), l.amount,
				coalesce(array(select jsonb_array_elements_text(l.payload->'families')), '{}'), l.rules, l.finding_ids,
				case when r.campaign is null then '{}'::text[] else array[r.campaign] end, l.payload, now(), now(), $1, $1, 1,
				(now() at time zone 'Asia/Shanghai')::date + $2::int
			from ` + L + ` l join ` + s.T("runs") + ` r using (run_id) where l.run_id = $1
			on conflict (lead_id) do update set kind = excluded.kind, town_id = excluded.town_id, town_name = excluded.town_name,
				village_id = excluded.village_id, village_name = excluded.village_name, person_id = excluded.person_id,
				person_name = excluded.person_name, severity = excluded.severity, score = excluded.score, amount = excluded.amount,
				families = excluded.families, rules = excluded.rules, finding_ids = excluded.finding_ids,
				campaigns = case when excluded.campaigns <@ w.campaigns then w.campaigns else w.campaigns || excluded.campaigns end,
				payload = excluded.payload, last_seen = excluded.last_seen, last_run_id = excluded.last_run_id,
				times_seen = w.times_seen + 1, reopened = w.reopened + (w.resolved_at is not null)::int, resolved_at = null`},
		{"open events", `insert into ` + A + ` (actor, action, lead_id, town_id, note)
			select 'system', 'first_seen', lead_id, town_id, $1 from ` + W + ` where first_run_id = $1 and times_seen = 1`},
		{"resolve", `with r as (update ` + W + ` w set resolved_at = now() where w.source = 'run' and w.resolved_at is null and w.last_run_id <> $1
				and not exists (select 1 from ` + s.T("findings") + ` f where f.finding_id = any(w.finding_ids) and f.status = 'open')
				returning w.lead_id, w.town_id)
			insert into ` + A + ` (actor, action, lead_id, town_id, note) select 'system', 'resolved', lead_id, town_id, $1 from r`},
	}
	for _, st := range steps {
		var err error
		if strings.Contains(st.sql, "$2") {
			_, err = tx.Exec(ctx, st.sql, runID, dueDays)
		} else {
			_, err = tx.Exec(ctx, st.sql, runID)
		}
		if err != nil {
			return fmt.Errorf("work leads: %s: %w", st.name, err)
		}
	}
	return nil
}

// SyncDispositionTx keeps the workbench in step with a disposition of a
// lead recorded outside it (`xiaowei dispose --db --lead`): the lead is
// closed with the matching conclusion, the version moves, and the change
// is audited. A lead the workbench does not know is left alone.
func (s *Store) syncDispositionTx(ctx context.Context, tx pgx.Tx, d Disposition) error {
	if d.Kind != "lead" {
		return nil
	}
	var cur workState
	err := tx.QueryRow(ctx, "select status, coalesce(conclusion,''), town_id from "+s.T("work_leads")+" where lead_id = $1 for update", d.ID).
		Scan(&cur.Status, &cur.Conclusion, &cur.TownID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	concl := dispose.ConclusionOf[d.Status]
	if cur.Status == dispose.Closed && cur.Conclusion == concl {
		return nil // the workbench recorded it itself
	}
	if _, err := tx.Exec(ctx, "update "+s.T("work_leads")+` set status = 'closed', conclusion = $2, defer_until = nullif($3,'')::date,
		version = version + 1, updated_at = now() where lead_id = $1`, d.ID, concl, d.Until); err != nil {
		return err
	}
	return s.auditTx(ctx, tx, AuditEntry{Actor: d.DecidedBy, Action: "conclude", LeadID: d.ID, TownID: cur.TownID,
		Before: map[string]any{"status": cur.Status, "conclusion": cur.Conclusion},
		After:  map[string]any{"status": dispose.Closed, "conclusion": concl}, Note: d.Reason + "（命令行 dispose）"})
}
