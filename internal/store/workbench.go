package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/neijiang/xiaowei/internal/auth"
	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/dispose"
)

// DefaultDueDays is the time a new lead is given before it is overdue,
// when the configuration says nothing.
const DefaultDueDays = 30

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

func (s *Store) auditTx(ctx context.Context, tx pgx.Tx, e AuditEntry) error {
	_, err := tx.Exec(ctx, "insert into "+s.T("audit")+" (actor, action, lead_id, town_id, before, after, note) values ($1,$2,nullif($3,''),nullif($4,''),$5::jsonb,$6::jsonb,$7)",
		e.Actor, e.Action, e.LeadID, e.TownID, jsonOrNil(e.Before), jsonOrNil(e.After), e.Note)
	return err
}

// Audit appends an entry (sign-ins, reveals, exports).
func (s *Store) Audit(ctx context.Context, e AuditEntry) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return s.auditTx(ctx, tx, e) })
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

// QueueFilter narrows and orders the lead queue. Empty fields do not
// filter.
type QueueFilter struct {
	Town, Village, Family, Rule, Severity, Status, Assignee, Campaign string
	FirstFrom, FirstTo                                                string // YYYY-MM-DD, Asia/Shanghai days
	AmountMin, AmountMax                                              int64  // fen; 0 = open
	HasAmountMin, HasAmountMax                                        bool
	Overdue                                                           bool
	Search                                                            string // lead id, person or village name, summary
	Sort                                                              string // score (default) | amount | age
	Page, PerPage                                                     int    // Page from 1
	Today                                                             civil.Date
	// NoCounts skips the counts per status (the caller has them); Queue
	// then returns a nil map and a total of -1.
	NoCounts bool
}

// QueueRow is one lead in the queue.
type QueueRow struct {
	LeadID, Source, Kind                   string
	TownID, TownName, VillageID, VillageNm string
	PersonID, PersonName                   string
	Severity                               string
	Score                                  float64
	AmountFen                              int64
	HasAmount                              bool
	Families, Rules, Campaigns, FindingIDs []string
	Status, Assignee, Conclusion           string
	DeferUntil                             string
	DueOn                                  string
	Overdue                                bool
	FirstSeen, LastSeen                    time.Time
	TimesSeen, Reopened                    int
	Resolved                               bool
	Summary, FiledBy                       string
	Version                                int
}

// whereBuilder collects conditions with numbered parameters.
type whereBuilder struct {
	conds []string
	args  []any
}

func (w *whereBuilder) add(cond string, args ...any) {
	for _, a := range args {
		w.args = append(w.args, a)
		cond = strings.Replace(cond, "?", "$"+strconv.Itoa(len(w.args)), 1)
	}
	w.conds = append(w.conds, cond)
}

func (w *whereBuilder) sql() string {
	if len(w.conds) == 0 {
		return "true"
	}
	return strings.Join(w.conds, " and ")
}

// scopeLeads is the condition every workbench query of work_leads (alias
// w) starts with.
func scopeLeads(w *whereBuilder, sc auth.Scope) {
	switch {
	case sc.AllLeads():
		w.add("true")
	case sc.Role == auth.Town:
		w.add("w.town_id = any(?)", nonNil(sc.Towns))
	case sc.Role == auth.Informant:
		w.add("w.filed_by = ?", sc.User)
	default:
		w.add("false")
	}
}

const queueCols = `w.lead_id, w.source, w.kind, w.town_id, w.town_name, w.village_id, w.village_name, coalesce(w.person_id,''),
	coalesce(w.person_name,''), w.severity, w.score, coalesce((w.amount*100)::bigint, 0), w.amount is not null, w.families, w.rules,
	w.campaigns, w.finding_ids, w.status, coalesce(w.assignee,''), coalesce(w.conclusion,''), coalesce(to_char(w.defer_until,'YYYY-MM-DD'),''),
	to_char(w.due_on,'YYYY-MM-DD'), w.status <> 'closed' and w.due_on < $1::date, w.first_seen, w.last_seen, w.times_seen, w.reopened,
	w.resolved_at is not null, w.summary, coalesce(w.filed_by,''), w.version`

func scanQueueRow(r pgx.Row, q *QueueRow) error {
	return r.Scan(&q.LeadID, &q.Source, &q.Kind, &q.TownID, &q.TownName, &q.VillageID, &q.VillageNm, &q.PersonID, &q.PersonName,
		&q.Severity, &q.Score, &q.AmountFen, &q.HasAmount, &q.Families, &q.Rules, &q.Campaigns, &q.FindingIDs, &q.Status, &q.Assignee,
		&q.Conclusion, &q.DeferUntil, &q.DueOn, &q.Overdue, &q.FirstSeen, &q.LastSeen, &q.TimesSeen, &q.Reopened, &q.Resolved,
		&q.Summary, &q.FiledBy, &q.Version)
}

func (f *QueueFilter) where(sc auth.Scope) *whereBuilder {
	w := &whereBuilder{}
	w.add("?::date is not null", f.Today.String()) // $1 is today, used by the overdue column
	scopeLeads(w, sc)
	if f.Town != "" {
		w.add("w.town_id = ?", f.Town)
	}
	if f.Village != "" {
		w.add("w.village_id = ?", f.Village)
	}
	if f.Family != "" {
		w.add("? = any(w.families)", f.Family)
	}
	if f.Rule != "" {
		w.add("? = any(w.rules)", f.Rule)
	}
	if f.Severity != "" {
		w.add("w.severity = ?", f.Severity)
	}
	if f.Status != "" {
		w.add("w.status = ?", f.Status)
	}
	if f.Assignee != "" {
		w.add("w.assignee = ?", f.Assignee)
	}
	if f.Campaign != "" {
		w.add("? = any(w.campaigns)", f.Campaign)
	}
	if f.FirstFrom != "" {
		w.add("w.first_seen >= (?::date)::timestamp at time zone 'Asia/Shanghai'", f.FirstFrom)
	}
	if f.FirstTo != "" {
		w.add("w.first_seen < (?::date + 1)::timestamp at time zone 'Asia/Shanghai'", f.FirstTo)
	}
	if f.HasAmountMin {
		w.add("w.amount >= ?::numeric / 100", f.AmountMin)
	}
	if f.HasAmountMax {
		w.add("w.amount <= ?::numeric / 100", f.AmountMax)
	}
	if f.Overdue {
		w.add("w.status <> 'closed' and w.due_on < $1::date")
		if f.Status == dispose.Closed {
			w.add("false") // a closed lead is never overdue
		}
	}
	if f.Search != "" {
		pat := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(f.Search) + "%"
		w.add("(w.lead_id = ? or w.person_name like ? or w.village_name like ? or w.summary like ?)", f.Search, pat, pat, pat)
	}
	return w
}

// Queue returns one page of the leads in scope matching the filter, the
// number matching, and the counts per workflow status (of the leads
// matching every filter but the status).
func (s *Store) Queue(ctx context.Context, sc auth.Scope, f QueueFilter) (rows []QueueRow, total int, byStatus map[string]int, err error) {
	if f.PerPage <= 0 || f.PerPage > 100000 {
		f.PerPage = 50
	}
	if f.Page < 1 {
		f.Page = 1
	}
	if f.Today == 0 {
		f.Today = civil.Today()
	}
	order := "w.score desc, w.lead_id"
	switch f.Sort {
	case "amount":
		order = "w.amount desc nulls last, w.lead_id"
	case "age":
		order = "w.first_seen, w.lead_id"
	}
	status := f.Status
	f.Status = ""
	wAll := f.where(sc)
	f.Status = status
	w := f.where(sc)
	args := append(w.args, f.PerPage, (f.Page-1)*f.PerPage)
	// The counts per status (from which the total follows) and the page go
	// to the server as one batch: one round trip.
	b := &pgx.Batch{}
	if !f.NoCounts {
		b.Queue("select w.status, count(*) from "+s.T("work_leads")+" w where "+wAll.sql()+" group by w.status", wAll.args...)
	}
	// Two steps: the page's lead ids (which the covering index can answer
	// alone, whatever the filter), then their rows by primary key. A rare
	// filter combination then never walks the whole table in score order.
	b.Queue("select "+queueCols+" from "+s.T("work_leads")+" w join (select w.lead_id from "+s.T("work_leads")+" w where "+w.sql()+
		" order by "+order+" limit $"+strconv.Itoa(len(args)-1)+" offset $"+strconv.Itoa(len(args))+") page using (lead_id) order by "+order, args...)
	br := s.pool.SendBatch(ctx, b)
	defer br.Close()
	if f.NoCounts {
		total = -1
	} else if total, byStatus, err = readCounts(br, status); err != nil {
		return nil, 0, nil, err
	}
	r, err := br.Query()
	if err != nil {
		return nil, 0, nil, err
	}
	defer r.Close()
	for r.Next() {
		var x QueueRow
		if err := scanQueueRow(r, &x); err != nil {
			return nil, 0, nil, err
		}
		rows = append(rows, x)
	}
	return rows, total, byStatus, r.Err()
}

// readCounts reads the counts per status; total counts status only (all
// when empty).
func readCounts(br pgx.BatchResults, status string) (total int, byStatus map[string]int, err error) {
	crows, err := br.Query()
	if err != nil {
		return 0, nil, err
	}
	defer crows.Close()
	byStatus = map[string]int{}
	for crows.Next() {
		var st string
		var n int
		if err := crows.Scan(&st, &n); err != nil {
			return 0, nil, err
		}
		byStatus[st] = n
		if status == "" || status == st {
			total += n
		}
	}
	return total, byStatus, crows.Err()
}

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
	br := s.pool.SendBatch(ctx, b)
	defer br.Close()

	d := &LeadDetail{}
	q := &d.QueueRow
	err := br.QueryRow().Scan(&q.LeadID, &q.Source, &q.Kind, &q.TownID, &q.TownName, &q.VillageID, &q.VillageNm, &q.PersonID, &q.PersonName,
		&q.Severity, &q.Score, &q.AmountFen, &q.HasAmount, &q.Families, &q.Rules, &q.Campaigns, &q.FindingIDs, &q.Status, &q.Assignee,
		&q.Conclusion, &q.DeferUntil, &q.DueOn, &q.Overdue, &q.FirstSeen, &q.LastSeen, &q.TimesSeen, &q.Reopened, &q.Resolved,
		&q.Summary, &q.FiledBy, &q.Version, &d.Payload)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
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
		idx[f.FindingID] = len(d.Findings)
		d.Findings = append(d.Findings, f)
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
			d.Findings[i].Events = append(d.Findings[i].Events, e)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if rows, err = br.Query(); err != nil {
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
		return s.auditTx(ctx, tx, AuditEntry{Actor: sc.User, Action: "comment", LeadID: leadID, TownID: town, Note: text})
	})
}

// LeadAudit logs an access to a lead in scope (a reveal of masked data);
// ErrNotFound when the lead is outside the scope.
func (s *Store) LeadAudit(ctx context.Context, sc auth.Scope, leadID, action, note string) error {
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

// FiledLead is what an informant reports.
type FiledLead struct {
	VillageID string
	Who       string // the person concerned
	What      string // what they saw
	Where     string
	When      string // YYYY-MM-DD
}

// FileLead enters an informant's report into the queue as a 待分派 lead
// marked 信息员报告, in the filer's own village (or, for an informant without
// one, a village of its towns; district inspectors may file anywhere). It returns the new lead id.
func (s *Store) FileLead(ctx context.Context, sc auth.Scope, f FiledLead, dueDays int) (string, error) {
	if !sc.CanFile() {
		return "", ErrForbidden
	}
	if dueDays <= 0 {
		dueDays = DefaultDueDays
	}
	var problems []string
	if strings.TrimSpace(f.Who) == "" {
		problems = append(problems, "涉及人员 is required")
	}
	if strings.TrimSpace(f.What) == "" {
		problems = append(problems, "问题描述 is required")
	}
	if f.When != "" {
		if _, err := civil.Parse(f.When); err != nil {
			problems = append(problems, "发生日期: "+err.Error())
		}
	}
	if len(problems) > 0 {
		return "", errors.New(strings.Join(problems, "; "))
	}
	var vname, town, tname string
	err := s.pool.QueryRow(ctx, "select village_name, town_id, coalesce(town_name,'') from "+s.D("villages")+" where village_id = $1", f.VillageID).
		Scan(&vname, &town, &tname)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !sc.MayFileAbout(f.VillageID, town)) {
		return "", fmt.Errorf("village %q: not one of your villages", f.VillageID)
	}
	if err != nil {
		return "", err
	}
	id := "R" + auth.TokenHash(auth.NewToken())[:16]
	summary := f.What
	if f.Where != "" {
		summary = "地点：" + f.Where + "；" + summary
	}
	if f.When != "" {
		summary = "时间：" + f.When + "；" + summary
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "insert into "+s.T("work_leads")+` (lead_id, source, kind, town_id, town_name, village_id, village_name,
			person_name, severity, summary, first_seen, last_seen, filed_by, due_on)
			values ($1,'informant','person',$2,$3,$4,$5,$6,'medium',$7,now(),now(),$8,(now() at time zone 'Asia/Shanghai')::date + $9::int)`,
			id, town, tname, f.VillageID, vname, f.Who, summary, sc.User, dueDays); err != nil {
			return err
		}
		return s.auditTx(ctx, tx, AuditEntry{Actor: sc.User, Action: "filed", LeadID: id, TownID: town, Note: "信息员报告"})
	})
	return id, err
}

// Village is a village for pickers.
type Village struct{ VillageID, VillageName, TownID, TownName string }

// Villages lists the villages in scope (all for district and leader; an
// informant with a village, that village only).
func (s *Store) Villages(ctx context.Context, sc auth.Scope) ([]Village, error) {
	rows, err := s.pool.Query(ctx, "select village_id, village_name, town_id, coalesce(town_name,'') from "+s.D("villages")+
		" where ($1 or town_id = any($2)) and ($3 = '' or village_id = $3) order by town_id, village_id", sc.AllLeads(), nonNil(sc.Towns), sc.Village)
	return collectVillages(rows, err)
}

// collectVillages reads village rows (id, name, town id, town name).
func collectVillages(rows pgx.Rows, err error) ([]Village, error) {
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Village])
}

// Assignees lists the active accounts leads can be assigned to.
func (s *Store) Assignees(ctx context.Context) ([]*Account, error) {
	all, err := s.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	var out []*Account
	for _, a := range all {
		if !a.Disabled && (a.Role == auth.District || a.Role == auth.Town) {
			a.PasswordHash = ""
			out = append(out, a)
		}
	}
	return out, nil
}
