package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/neijiang/xiaowei/internal/auth"
	"github.com/neijiang/xiaowei/internal/civil"
)

// FindingRow is a finding of a lead, with its history.
type FindingRow struct {
	FindingID, RuleID, Family, Severity, VillageID, Subject, Period, Title, Message string
	AmountFen                                                                       int64
	HasAmount                                                                       bool
	Evidence                                                                        map[string]any
	FirstSeen, LastSeen                                                             time.Time
	TimesSeen, Reopened                                                             int
	Status, Disposition                                                             string
	Events                                                                          []FindingEvent
}

// FindingEvent is one change of a finding's status in a run.
type FindingEvent struct {
	RunID, Event string
	At           time.Time
}

// Outcome is one accountability decision about one person.
type Outcome struct {
	ID           int64
	LeadID       string
	Person       string
	Form         string
	DecidedOn    string // YYYY-MM-DD
	DocNo        string
	RecoveredFen int64
	RecordedBy   string
	RecordedAt   time.Time
}

// LeadDetail is everything the lead page shows.
type LeadDetail struct {
	QueueRow
	Payload  []byte // the lead as the leads step built it (JSON), unmasked
	Findings []FindingRow
	Outcomes []Outcome
	History  []AuditEntry // oldest first
	Related  []QueueRow   // same person or same village, in scope
}

// Lead returns a lead in scope, or ErrNotFound (also when it exists but
// is outside the scope). Its six queries go to the server as one batch
// (one round trip); the later ones find the lead by id alone, and their
// rows are dropped unless the first, scoped query found it.
func (s *Store) Lead(ctx context.Context, sc auth.Scope, id string, today civil.Date) (*LeadDetail, error) {
	if today == 0 {
		today = civil.Today()
	}
	br := s.pool.SendBatch(ctx, s.leadBatch(sc, id, today))
	defer br.Close()

	d := &LeadDetail{}
	err := scanQueueRow(br.QueryRow(), &d.QueueRow, &d.Payload)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if d.Findings, err = readLeadFindings(br); err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	if d.Outcomes, err = collectOutcomes(rows); err != nil {
		return nil, err
	}
	if rows, err = br.Query(); err != nil {
		return nil, err
	}
	if d.History, err = collectAudit(rows); err != nil {
		return nil, err
	}
	if rows, err = br.Query(); err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var x QueueRow
		if err := scanQueueRow(rows, &x); err != nil {
			return nil, err
		}
		d.Related = append(d.Related, x)
	}
	return d, rows.Err()
}

// leadBatch queues the lead page's six queries in the order Lead reads
// them: the scoped lead, its findings, their events, its outcomes, its
// audit history and the related leads.
func (s *Store) leadBatch(sc auth.Scope, id string, today civil.Date) *pgx.Batch {
	w := &whereBuilder{}
	w.add("?::date is not null", today.String())
	scopeLeads(w, sc)
	w.add("w.lead_id = ?", id)
	W := s.T("work_leads")
	ids := "(select unnest(finding_ids) from " + W + " where lead_id = $1)"
	// Related: the same person's other leads and the village's, each read
	// in score order from its own index (a union of two short index scans,
	// not an OR over every lead of the village).
	rw := &whereBuilder{}
	rw.add("?::date is not null", today.String())
	rw.add("? <> ''", id) // $2: the lead id
	scopeLeads(rw, sc)
	rw.add("w.lead_id <> $2")
	me := "(select person_id, village_id from " + W + " where lead_id = $2)"
	related := "(select " + queueCols + " from " + W + " w where " + rw.sql() + " and w.person_id = (select person_id from " + me + " m)" +
		" order by w.score desc, w.lead_id limit 20) union all (select " + queueCols + " from " + W + " w where " + rw.sql() +
		" and w.village_id = (select village_id from " + me + " m) and w.person_id is distinct from (select person_id from " + me + " m)" +
		" order by w.score desc, w.lead_id limit 20) order by 11 desc, 1 limit 20"
	b := &pgx.Batch{}
	b.Queue("select "+queueCols+", w.payload from "+W+" w where "+w.sql(), w.args...)
	b.Queue(`select f.finding_id, f.rule_id, f.family, f.severity, f.village_id, f.subject, f.period, coalesce(f.title,''),
		f.message, coalesce((f.amount*100)::bigint, 0), f.amount is not null, f.evidence, f.first_seen, f.last_seen, f.times_seen, f.reopened,
		f.status, coalesce(d.status, '') from `+s.T("findings")+` f left join `+s.T("dispositions")+` d
		on d.finding_or_lead_id = f.finding_id and d.kind = 'finding' where f.finding_id in `+ids+` order by f.severity, f.finding_id`, id)
	b.Queue("select finding_id, run_id, event, at from "+s.T("finding_events")+" where finding_id in "+ids+" order by id", id)
	b.Queue("select id, lead_id, person, form, to_char(decided_on,'YYYY-MM-DD'), doc_no, (recovered*100)::bigint, recorded_by, recorded_at from "+
		s.T("outcomes")+" where lead_id = $1 order by id", id)
	b.Queue("select id, at, actor, action, coalesce(lead_id,''), coalesce(town_id,''), before, after, note from "+
		s.T("audit")+" where lead_id = $1 order by id", id)
	b.Queue(related, rw.args...)
	return b
}

// readLeadFindings reads the batch's second and third results: the
// lead's findings, then their status events, attached to each finding.
func readLeadFindings(br pgx.BatchResults) ([]FindingRow, error) {
	var out []FindingRow
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	idx := map[string]int{}
	for rows.Next() {
		var f FindingRow
		var ev []byte
		if err := rows.Scan(&f.FindingID, &f.RuleID, &f.Family, &f.Severity, &f.VillageID, &f.Subject, &f.Period, &f.Title, &f.Message,
			&f.AmountFen, &f.HasAmount, &ev, &f.FirstSeen, &f.LastSeen, &f.TimesSeen, &f.Reopened, &f.Status, &f.Disposition); err != nil {
			rows.Close()
			return nil, err
		}
		if err := json.Unmarshal(ev, &f.Evidence); err != nil {
			rows.Close()
			return nil, fmt.Errorf("finding %s evidence: %w", f.FindingID, err)
		}
		idx[f.FindingID] = len(out)
		out = append(out, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if rows, err = br.Query(); err != nil {
		return nil, err
	}
	for rows.Next() {
		var fid string
		var e FindingEvent
		if err := rows.Scan(&fid, &e.RunID, &e.Event, &e.At); err != nil {
			rows.Close()
			return nil, err
		}
		if i, ok := idx[fid]; ok {
			out[i].Events = append(out[i].Events, e)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func collectOutcomes(rows pgx.Rows) ([]Outcome, error) {
	defer rows.Close()
	var out []Outcome
	for rows.Next() {
		var o Outcome
		if err := rows.Scan(&o.ID, &o.LeadID, &o.Person, &o.Form, &o.DecidedOn, &o.DocNo, &o.RecoveredFen, &o.RecordedBy, &o.RecordedAt); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}
