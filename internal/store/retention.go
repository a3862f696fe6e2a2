package store

import (
	"context"
	"fmt"
	"time"
)

// Keep is a retention policy: a run is kept while it is younger than
// MaxAge or among the newest Keep runs of its job. Zero MaxAge and zero
// Keep keep everything.
type Keep struct {
	MaxAge time.Duration
	Keep   int
}

// Off reports whether the policy keeps everything.
func (k Keep) Off() bool { return k.MaxAge <= 0 && k.Keep <= 0 }

// PruneRuns deletes the stored runs the policy no longer keeps (their
// leads go with them), except the runs anything still points at: a
// finding (first, last or resolving run: the history inspectors read), a
// finding event, or a lead an inspector has decided on. A run group's
// record goes with its run. It returns the run ids deleted.
func (s *Store) PruneRuns(ctx context.Context, k Keep, now time.Time) ([]string, error) {
	if k.Off() {
		return nil, nil
	}
	cutoff := now
	if k.MaxAge > 0 {
		cutoff = now.Add(-k.MaxAge)
	}
	rows, err := s.pool.Query(ctx, `with ranked as (
			select run_id, finished_at, row_number() over (partition by job order by finished_at desc, run_id desc) as rn from `+s.T("runs")+`)
		delete from `+s.T("runs")+` r using ranked k
		where r.run_id = k.run_id and k.rn > $1 and k.finished_at < $2
		and not exists (select 1 from `+s.T("findings")+` f where f.first_run_id = r.run_id)
		and not exists (select 1 from `+s.T("findings")+` f where f.last_run_id = r.run_id)
		and not exists (select 1 from `+s.T("findings")+` f where f.resolved_run_id = r.run_id)
		and not exists (select 1 from `+s.T("finding_events")+` e where e.run_id = r.run_id)
		and not exists (select 1 from `+s.T("leads")+` l join `+s.T("dispositions")+` d on d.finding_or_lead_id = l.lead_id and d.kind = 'lead'
			where l.run_id = r.run_id)
		returning r.run_id`, k.Keep, cutoff)
	if err != nil {
		return nil, fmt.Errorf("prune runs: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("prune runs: %w", err)
	}
	return out, nil
}

// PinnedRuns are the runs whose output folders must stay whatever their
// age: those an open finding was last seen in (its evidence and report)
// and those holding a lead an inspector decided on.
func (s *Store) PinnedRuns(ctx context.Context) (map[string]bool, error) {
	rows, err := s.pool.Query(ctx, `select distinct last_run_id from `+s.T("findings")+` where status = 'open'
		union select distinct l.run_id from `+s.T("leads")+` l join `+s.T("dispositions")+` d on d.finding_or_lead_id = l.lead_id and d.kind = 'lead'`)
	if err != nil {
		return nil, fmt.Errorf("pinned runs: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}

// RunCount counts the stored runs.
func (s *Store) RunCount(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, "select count(*) from "+s.T("runs")).Scan(&n)
	return n, err
}

// LastRuns is the finish time of each job's latest stored run, whoever
// recorded it (any serve instance, a run --db, a run group's finish).
func (s *Store) LastRuns(ctx context.Context) (map[string]time.Time, error) {
	rows, err := s.pool.Query(ctx, "select job, max(finished_at) from "+s.T("runs")+" group by job")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var job string
		var t time.Time
		if err := rows.Scan(&job, &t); err != nil {
			return nil, err
		}
		out[job] = t
	}
	return out, rows.Err()
}

// UnfinishedGroups counts run groups begun more than age ago and not
// finished (a shard missing, failed or killed, or finish never ran).
func (s *Store) UnfinishedGroups(ctx context.Context, age time.Duration) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, "select count(*) from "+s.T("run_groups")+" where run_id is null and created_at < now() - $1::interval",
		age.String()).Scan(&n)
	return n, err
}
