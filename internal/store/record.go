package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/ident"
	"github.com/neijiang/xiaowei/internal/run"
)

// RunMeta identifies a run being recorded.
type RunMeta struct {
	RunID    string
	Job      string // "nightly", "campaign:<name>", "manual"
	Campaign string
	// ScheduledFor is the cron slot of a scheduled run; at most one
	// completed run per job and slot is recorded.
	ScheduledFor time.Time
	StartedAt    time.Time
	Version      string
}

// Recorded is what recording a run changed.
type Recorded struct {
	RunID    string
	Findings int
	New      int
	Reopened int
	Resolved int
}

// ErrDuplicateSlot means the job's slot already has a completed run (another
// instance ran it).
var ErrDuplicateSlot = errors.New("a completed run for this job and slot already exists")

// NewRunID makes a sortable, unique run id.
func NewRunID(t time.Time) string {
	var b [4]byte
	if _, err := randRead(b[:]); err != nil {
		panic(err)
	}
	return fmt.Sprintf("%s-%x", t.UTC().Format("20060102T150405.000Z"), b)
}

// SlotDone reports whether job already has a completed run for slot.
func (s *Store) SlotDone(ctx context.Context, job string, slot time.Time) (bool, error) {
	var n int
	err := s.pool.QueryRow(ctx, "select count(*) from "+s.T("runs")+" where job = $1 and scheduled_for = $2", job, slot).Scan(&n)
	return n > 0, err
}

// LastSlot is the latest slot with a completed run of job (zero if none).
func (s *Store) LastSlot(ctx context.Context, job string) (time.Time, error) {
	var t pgtype.Timestamptz
	err := s.pool.QueryRow(ctx, "select max(scheduled_for) from "+s.T("runs")+" where job = $1", job).Scan(&t)
	if err != nil || !t.Valid {
		return time.Time{}, err
	}
	return t.Time, nil
}

// Record stores a run in one transaction: the run row; its findings upserted
// by finding_id (staged with COPY into a temporary table, then INSERT … ON
// CONFLICT), bumping times_seen and last_seen, reopening resolved ones; and
// the open findings in the run's resolution scope that it did not see again
// marked resolved. The scope is: the rules that ran, in the villages the run
// covered (all when the run has no village scope), and, for a run with a
// window, only findings last seen by a run whose window lies inside it.
// Any error rolls everything back.
//
// extra writers run inside the same transaction, after the findings, so
// what belongs to the run (its leads) commits with it or not at all.
func (s *Store) Record(ctx context.Context, m RunMeta, o *run.Options, out *run.Outcome, extra ...TxWriter) (*Recorded, error) {
	villages, all := villagesCovered(o.Scope, out)
	rs := runSpec{meta: m, scope: o.Scope, rules: rulesThatRan(out), villages: villages, all: all, findings: len(out.Findings)}
	var err error
	if rs.summary, err = json.Marshal(out.Summary); err != nil {
		return nil, err
	}
	if rs.manifest, err = json.Marshal(out.Manifest); err != nil {
		return nil, err
	}
	if out.Summary != nil {
		rs.rejected = out.Summary.Rejected
	}
	var rec *Recorded
	err = commitOnce(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		rec, err = s.recordTx(ctx, tx, rs, func(tx pgx.Tx) error {
			_, err := tx.CopyFrom(ctx, pgx.Identifier{"xw_stage"}, stageColumns, &findingSource{fs: out.Findings, i: -1})
			return err
		}, extra)
		return err
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// runSpec is what recordTx needs of a run: who it is, what it covered
// (its resolution scope) and its summary.
type runSpec struct {
	meta               RunMeta
	scope              run.Scope
	rules              []string
	villages           []string
	all                bool
	findings, rejected int
	summary, manifest  []byte
}

var stageColumns = []string{"finding_id", "rule_id", "family", "severity",
	"village_id", "town_id", "subject", "period", "amount", "title", "message", "responsible", "rule_version", "evidence"}

// recordTx records a run inside tx: stage fills the temporary table
// xw_stage with the run's findings (from memory, or from a run group's
// shards), then the upsert, the events and the resolution follow.
func (s *Store) recordTx(ctx context.Context, tx pgx.Tx, rs runSpec, stage func(tx pgx.Tx) error, extra []TxWriter) (*Recorded, error) {
	m := rs.meta
	rec := &Recorded{RunID: m.RunID, Findings: rs.findings}
	now := time.Now()
	// Recording runs one at a time, so resolution never races an upsert.
	if _, err := tx.Exec(ctx, "select pg_advisory_xact_lock($1)", s.LockKey("record")); err != nil {
		return nil, err
	}
	if err := s.insertRunTx(ctx, tx, rs, now); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `create temp table xw_stage (finding_id text, rule_id text, family text, severity text,
		village_id text, town_id text, subject text, period text, amount numeric(19,2), title text, message text,
		responsible text, rule_version text, evidence text) on commit drop`); err != nil {
		return nil, err
	}
	if err := stage(tx); err != nil {
		return nil, fmt.Errorf("stage findings: %w", err)
	}
	if err := s.upsertFindingsTx(ctx, tx, m.RunID, now, rec); err != nil {
		return nil, err
	}
	if err := s.resolveTx(ctx, tx, rs, now, rec); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, "update "+s.T("runs")+" set new_findings = $2, reopened = $3, resolved = $4 where run_id = $1",
		m.RunID, rec.New, rec.Reopened, rec.Resolved); err != nil {
		return nil, err
	}
	// The extra writers come last, so a cancellation seen by the last of
	// them is the last write before the commit (see commitOnce).
	for _, w := range extra {
		if err := w(ctx, tx, m.RunID); err != nil {
			return nil, err
		}
	}
	return rec, nil
}

// windowArgs gives a scope's window as nullable query arguments.
func windowArgs(sc run.Scope) (from, to any) {
	if sc.From != 0 {
		from = dateTime(sc.From)
	}
	if sc.To != 0 {
		to = dateTime(sc.To)
	}
	return from, to
}

// insertRunTx inserts the run's row, its counts still zero;
// ErrDuplicateSlot when the job already has a run for the slot.
func (s *Store) insertRunTx(ctx context.Context, tx pgx.Tx, rs runSpec, now time.Time) error {
	m, sc := rs.meta, rs.scope
	ruleIDs, villages := rs.rules, rs.villages
	var slot any
	if !m.ScheduledFor.IsZero() {
		slot = m.ScheduledFor
	}
	from, to := windowArgs(sc)
	_, err := tx.Exec(ctx, "insert into "+s.T("runs")+` (run_id, job, campaign, scheduled_for, as_of, window_from, window_to,
		scope_towns, scope_villages, rules, villages_covered, started_at, finished_at, findings, new_findings, reopened, resolved,
		rows_rejected, version, summary, manifest)
		values ($1,$2,nullif($3,''),$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,0,0,0,$15,$16,$17,$18)`,
		m.RunID, m.Job, m.Campaign, slot, dateTime(sc.AsOf), from, to, nonNil(sc.Towns), nonNil(sc.Villages),
		ruleIDs, len(villages), m.StartedAt, now, rs.findings, rs.rejected, m.Version, string(rs.summary), string(rs.manifest))
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == "runs_job_slot" {
			return ErrDuplicateSlot
		}
		return fmt.Errorf("insert run: %w", err)
	}
	return nil
}

// upsertFindingsTx merges the staged findings into findings: resolved
// ones seen again are reopened, new ones opened, each with its event.
func (s *Store) upsertFindingsTx(ctx context.Context, tx pgx.Tx, runID string, now time.Time, rec *Recorded) error {
	tag, err := tx.Exec(ctx, "insert into "+s.T("finding_events")+` (finding_id, run_id, event, at)
		select f.finding_id, $1, 'reopened', $2 from `+s.T("findings")+` f join xw_stage st using (finding_id) where f.status = 'resolved'`, runID, now)
	if err != nil {
		return fmt.Errorf("reopen: %w", err)
	}
	rec.Reopened = int(tag.RowsAffected())
	if _, err := tx.Exec(ctx, "insert into "+s.T("findings")+` as f (finding_id, rule_id, family, severity, village_id, town_id, subject,
		period, amount, title, message, responsible, rule_version, evidence, first_seen, last_seen, first_run_id, last_run_id, times_seen, status)
		select finding_id, rule_id, family, severity, village_id, nullif(town_id, ''), subject, period, amount, title, message,
			nullif(responsible, ''), rule_version, evidence::jsonb, $2, $2, $1, $1, 1, 'open' from xw_stage
		on conflict (finding_id) do update set rule_id = excluded.rule_id, family = excluded.family, severity = excluded.severity,
			village_id = excluded.village_id, town_id = excluded.town_id, subject = excluded.subject, period = excluded.period,
			amount = excluded.amount, title = excluded.title, message = excluded.message, responsible = excluded.responsible,
			rule_version = excluded.rule_version, evidence = excluded.evidence, last_seen = excluded.last_seen,
			last_run_id = excluded.last_run_id, times_seen = f.times_seen + 1, status = 'open', resolved_at = null,
			resolved_run_id = null, reopened = f.reopened + (f.status = 'resolved')::int`, runID, now); err != nil {
		return fmt.Errorf("upsert findings: %w", err)
	}
	tag, err = tx.Exec(ctx, "insert into "+s.T("finding_events")+` (finding_id, run_id, event, at)
		select finding_id, $1, 'opened', $2 from `+s.T("findings")+` where first_run_id = $1`, runID, now)
	if err != nil {
		return fmt.Errorf("open events: %w", err)
	}
	rec.New = int(tag.RowsAffected())
	return nil
}

// resolveTx resolves the open findings in the run's scope (its rules,
// villages and window) that the run did not see again.
func (s *Store) resolveTx(ctx context.Context, tx pgx.Tx, rs runSpec, now time.Time, rec *Recorded) error {
	from, to := windowArgs(rs.scope)
	tag, err := tx.Exec(ctx, `with r as (update `+s.T("findings")+` f set status = 'resolved', resolved_at = $2, resolved_run_id = $1
		where f.status = 'open' and f.last_run_id <> $1 and f.rule_id = any($3)
		and ($4 or f.village_id = any($5))
		and ($6::date is null or exists (select 1 from `+s.T("runs")+` lr where lr.run_id = f.last_run_id and lr.window_from >= $6::date))
		and ($7::date is null or exists (select 1 from `+s.T("runs")+` lr where lr.run_id = f.last_run_id and lr.window_to <= $7::date))
		returning f.finding_id)
		insert into `+s.T("finding_events")+` (finding_id, run_id, event, at) select finding_id, $1, 'resolved', $2 from r`,
		rs.meta.RunID, now, rs.rules, rs.all, rs.villages, from, to)
	if err != nil {
		return fmt.Errorf("resolve: %w", err)
	}
	rec.Resolved = int(tag.RowsAffected())
	return nil
}

// TxWriter stores more of a run inside the transaction that records it.
type TxWriter func(ctx context.Context, tx pgx.Tx, runID string) error

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

// rulesThatRan are the rules evaluated to the end (not skipped for a
// missing table, not disabled mid-run for errors): only their findings can
// be resolved by not being seen.
func rulesThatRan(out *run.Outcome) []string {
	ids := []string{}
	if out.Eval == nil || out.Eval.Result == nil {
		return ids
	}
	for _, st := range out.Eval.Result.Stats {
		if st.Disabled == "" && st.Errors == 0 {
			ids = append(ids, st.RuleID)
		}
	}
	sort.Strings(ids)
	return ids
}

// villagesCovered lists the villages of the run's scope; all is true when
// the run had no village or town scope (it covered every village).
func villagesCovered(sc run.Scope, out *run.Outcome) (ids []string, all bool) {
	ids = []string{}
	var vt = out.Dataset
	if vt == nil || vt.Tables["villages"] == nil {
		return ids, len(sc.Villages) == 0 && len(sc.Towns) == 0
	}
	t := vt.Tables["villages"]
	vid, tid := t.Str("village_id"), t.Str("town_id")
	want := map[string]bool{}
	for _, v := range sc.Villages {
		want[v] = true
	}
	towns := map[string]bool{}
	for _, v := range sc.Towns {
		towns[v] = true
	}
	full := len(sc.Villages) == 0 && len(sc.Towns) == 0
	for i := 0; i < t.Len(); i++ {
		// the run's findings and scope use the normal form (internal/ident)
		v, _ := ident.Normalize(vid.Value(i), ident.Code)
		town, _ := ident.Normalize(tid.Value(i), ident.Code)
		if full || want[v] || towns[town] {
			ids = append(ids, v)
		}
	}
	return ids, full
}

// testHookStageRow, set by tests, is called for each staged finding (to
// kill a run mid-write).
var testHookStageRow func(i int)

// findingSource feeds findings to CopyFrom.
type findingSource struct {
	fs   []*findings.Finding
	i    int
	vals [14]any
	err  error
}

func (s *findingSource) Next() bool { s.i++; return s.i < len(s.fs) && s.err == nil }
func (s *findingSource) Err() error { return s.err }
func (s *findingSource) Values() ([]any, error) {
	if testHookStageRow != nil {
		testHookStageRow(s.i)
	}
	f := s.fs[s.i]
	var amount any
	if f.Amount != nil {
		amount = pgtype.Numeric{Int: big.NewInt(f.Amount.Fen), Exp: -2, Valid: true}
	}
	ev, err := json.Marshal(f.Evidence)
	if err != nil {
		return nil, fmt.Errorf("finding %s evidence: %w", f.FindingID, err)
	}
	if f.Evidence == nil {
		ev = []byte("{}")
	}
	s.vals = [14]any{f.FindingID, f.RuleID, f.Family, f.Severity, f.VillageID, f.TownID, f.Subject, f.Period, amount,
		f.Title, f.Message, f.Responsible, f.RuleHash, string(ev)}
	return s.vals[:], nil
}

// commitTimeout bounds the commit of a recorded run once every write is
// done; it is not cut short by cancellation (see commitOnce).
const commitTimeout = 30 * time.Second

// commitOnce runs fn in a transaction and commits it. The writes honour
// ctx; the COMMIT does not: a SIGTERM that lands after the last write
// would otherwise race the server (the cancel request may arrive after the
// commit took effect, and the caller would report a stored run as
// cancelled). Once everything is written, committing is the one outcome
// that can be reported truthfully.
func commitOnce(ctx context.Context, pool *pgxpool.Pool, fn func(pgx.Tx) error) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		tx.Rollback(rctx)
		return err
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
	defer cancel()
	return tx.Commit(cctx)
}

// RunStored says whether a run was recorded (its transaction committed).
// A caller whose Record call failed at the commit asks this to report
// what really happened.
func (s *Store) RunStored(ctx context.Context, runID string) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, "select exists (select 1 from "+s.T("runs")+" where run_id = $1)", runID).Scan(&ok)
	return ok, err
}
