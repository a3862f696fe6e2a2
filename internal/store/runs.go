package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/neijiang/xiaowei/internal/findings"
)

// StoredRun is a recorded run's header: its summary and manifest as
// stored (JSON), its campaign (empty for none), the campaign's scope and
// the run's as_of.
type StoredRun struct {
	Summary, Manifest []byte
	Campaign          string
	Towns, Villages   []string
	AsOf              time.Time
}

// Run reads a recorded run's header.
func (s *Store) Run(ctx context.Context, runID string) (*StoredRun, error) {
	r := &StoredRun{}
	var camp *string
	err := s.pool.QueryRow(ctx, "select summary, manifest, campaign, scope_towns, scope_villages, as_of from "+s.T("runs")+" where run_id = $1", runID).
		Scan(&r.Summary, &r.Manifest, &camp, &r.Towns, &r.Villages, &r.AsOf)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("no run %s in schema %s", runID, s.Schema)
	}
	if err != nil {
		return nil, err
	}
	if camp != nil {
		r.Campaign = *camp
	}
	return r, nil
}

// RunFindings reads the findings a run saw, those whose last sighting is
// this run (complete for the latest run of a scope), ordered by village,
// rule, subject and period.
func (s *Store) RunFindings(ctx context.Context, runID string) ([]*findings.Finding, error) {
	rows, err := s.pool.Query(ctx, `select finding_id, rule_id, family, severity, village_id, coalesce(town_id, ''), subject, period,
		amount::text, coalesce(title, ''), message, coalesce(responsible, ''), coalesce(rule_version, ''), evidence
		from `+s.T("findings")+` where last_run_id = $1 order by village_id, rule_id, subject, period`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*findings.Finding
	for rows.Next() {
		f := &findings.Finding{}
		var amount *string
		var ev []byte
		if err := rows.Scan(&f.FindingID, &f.RuleID, &f.Family, &f.Severity, &f.VillageID, &f.TownID, &f.Subject, &f.Period,
			&amount, &f.Title, &f.Message, &f.Responsible, &f.RuleHash, &ev); err != nil {
			return nil, err
		}
		if amount != nil {
			// numeric::text is the decimal yuan the finding's JSON amount reads.
			a := &findings.Amount{}
			if err := a.UnmarshalJSON([]byte(*amount)); err != nil {
				return nil, fmt.Errorf("finding %s amount: %w", f.FindingID, err)
			}
			f.Amount = a
		}
		if err := json.Unmarshal(ev, &f.Evidence); err != nil {
			return nil, fmt.Errorf("finding %s evidence: %w", f.FindingID, err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// AllVillages lists every imported village, ordered by village_id.
func (s *Store) AllVillages(ctx context.Context) ([]Village, error) {
	return collectVillages(s.pool.Query(ctx, "select village_id, village_name, town_id, coalesce(town_name, '') from "+s.D("villages")+" order by village_id"))
}

// TrendRow is one run's counts in a trend.
type TrendRow struct {
	RunID, AsOf             string
	Findings, New, Resolved int
}

// Trend returns up to 12 runs of the same job and campaign up to and
// including runID, oldest first.
func (s *Store) Trend(ctx context.Context, runID string) ([]TrendRow, error) {
	rows, err := s.pool.Query(ctx, `select r.run_id, to_char(r.as_of, 'YYYY-MM-DD'), r.findings, r.new_findings, r.resolved from `+s.T("runs")+` r,
		`+s.T("runs")+` me where me.run_id = $1 and r.job = me.job and r.campaign is not distinct from me.campaign and r.finished_at <= me.finished_at
		order by r.finished_at desc limit 12`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TrendRow
	for rows.Next() {
		var p TrendRow
		if err := rows.Scan(&p.RunID, &p.AsOf, &p.Findings, &p.New, &p.Resolved); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	// Read newest first (the limit keeps the latest 12), shown oldest first.
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, rows.Err()
}

// RunRow is one completed run as the service's /runs lists it.
type RunRow struct {
	RunID, Job                                  string
	Campaign                                    *string
	ScheduledFor                                *time.Time
	AsOf                                        string
	StartedAt, FinishedAt                       time.Time
	Findings, New, Reopened, Resolved, Rejected int
}

// RecentRuns lists the latest limit completed runs, newest first.
func (s *Store) RecentRuns(ctx context.Context, limit int) ([]RunRow, error) {
	rows, err := s.pool.Query(ctx, `select run_id, job, campaign, scheduled_for, as_of::text, started_at, finished_at,
		findings, new_findings, reopened, resolved, rows_rejected from `+s.T("runs")+` order by finished_at desc limit $1`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RunRow
	for rows.Next() {
		var x RunRow
		if err := rows.Scan(&x.RunID, &x.Job, &x.Campaign, &x.ScheduledFor, &x.AsOf, &x.StartedAt, &x.FinishedAt,
			&x.Findings, &x.New, &x.Reopened, &x.Resolved, &x.Rejected); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// WorkLeadCount is the number of leads in the workbench.
func (s *Store) WorkLeadCount(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, "select count(*) from "+s.T("work_leads")).Scan(&n)
	return n, err
}

// TryJobLock takes the advisory lock of a job (LockKey("job:"+name)) on one
// pinned connection, so two instances never run the same job at once. It
// returns ok=false when another session holds it. When ok, release must
// be called: it unlocks, and drops the connection if the unlock fails (the
// session may be broken; the lock goes with it).
func (s *Store) TryJobLock(ctx context.Context, name string) (release func(), ok bool, err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, false, err
	}
	key := s.LockKey("job:" + name)
	if err := conn.QueryRow(ctx, "select pg_try_advisory_lock($1)", key).Scan(&ok); err != nil {
		conn.Release()
		return nil, false, err
	}
	if !ok {
		conn.Release()
		return nil, false, nil
	}
	return func() {
		uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(uctx, "select pg_advisory_unlock($1)", key); err != nil {
			conn.Conn().Close(uctx)
		}
		conn.Release()
	}, true, nil
}
