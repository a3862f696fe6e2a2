package store

import (
	"context"

	"github.com/neijiang/xiaowei/internal/auth"
	"github.com/neijiang/xiaowei/internal/civil"
)

// Count is one bar of a chart.
type Count struct {
	Key   string
	Label string
	N     int
	Fen   int64
}

// TrendRun is one run of the trend: findings in scope first seen and
// resolved by it.
type TrendRun struct {
	RunID, AsOf, Job string
	New, Resolved    int
}

// Dashboard holds the figures a commission reports upward, all inside the
// caller's scope.
type Dashboard struct {
	Leads, OpenFindings, Overdue, Closed int
	PeopleHeld                           int // distinct persons with an outcome
	Outcomes                             int
	InvolvedFen, RecoveredFen            int64
	ByStatus, ByConclusion               []Count
	ByTown, ByFamily, ByForm             []Count
	// Open findings by town and by family (the leads' charts count leads).
	FindingsByTown, FindingsByFamily []Count
	Trend                            []TrendRun
}

// Dashboard computes the figures for the scope.
func (s *Store) Dashboard(ctx context.Context, sc auth.Scope, today civil.Date) (*Dashboard, error) {
	if today == 0 {
		today = civil.Today()
	}
	d := &Dashboard{}
	w := &whereBuilder{}
	w.add("?::date is not null", today.String())
	scopeLeads(w, sc)
	if err := s.dashboardLeads(ctx, d, w); err != nil {
		return nil, err
	}
	// Findings and the trend, in scope: town officers count only their
	// towns' findings; informants see no findings.
	fw := &whereBuilder{}
	switch {
	case sc.AllLeads():
		fw.add("true")
	case sc.Role == auth.Town:
		fw.add("f.town_id = any(?)", nonNil(sc.Towns))
	default:
		fw.add("false")
	}
	if err := s.dashboardFindings(ctx, d, fw); err != nil {
		return nil, err
	}
	if err := s.dashboardTrend(ctx, d, fw); err != nil {
		return nil, err
	}
	return d, nil
}

// dashboardLeads fills the lead figures: totals, counts by status,
// conclusion, town and family, and the outcomes (people held
// accountable by form, money recovered).
func (s *Store) dashboardLeads(ctx context.Context, d *Dashboard, w *whereBuilder) error {
	W := s.T("work_leads") + " w"
	var err error
	if err := s.pool.QueryRow(ctx, "select count(*), count(*) filter (where w.status <> 'closed' and w.due_on < $1::date), count(*) filter (where w.status = 'closed'), coalesce((sum(w.amount)*100)::bigint, 0) from "+
		W+" where "+w.sql(), w.args...).Scan(&d.Leads, &d.Overdue, &d.Closed, &d.InvolvedFen); err != nil {
		return err
	}
	if d.ByStatus, err = s.counts(ctx, "select w.status, w.status, count(*), coalesce((sum(w.amount)*100)::bigint,0) from "+W+" where "+w.sql()+" group by 1 order by 1", w.args); err != nil {
		return err
	}
	if d.ByConclusion, err = s.counts(ctx, "select w.conclusion, w.conclusion, count(*), coalesce((sum(w.amount)*100)::bigint,0) from "+W+" where "+w.sql()+" and w.conclusion is not null group by 1 order by 1", w.args); err != nil {
		return err
	}
	if d.ByTown, err = s.counts(ctx, "select w.town_id, max(w.town_name), count(*), coalesce((sum(w.amount)*100)::bigint,0) from "+W+" where "+w.sql()+" group by 1 order by 3 desc, 1", w.args); err != nil {
		return err
	}
	if d.ByFamily, err = s.counts(ctx, "select f, f, count(*), coalesce((sum(w.amount)*100)::bigint,0) from "+W+" cross join unnest(w.families) f where "+w.sql()+" group by 1 order by 3 desc, 1", w.args); err != nil {
		return err
	}
	// Outcomes: people held accountable by form, money recovered.
	if d.ByForm, err = s.counts(ctx, "select o.form, o.form, count(distinct o.person || '|' || o.lead_id), coalesce((sum(o.recovered)*100)::bigint,0) from "+s.T("outcomes")+" o join "+W+
		" on w.lead_id = o.lead_id where "+w.sql()+" group by 1 order by 3 desc, 1", w.args); err != nil {
		return err
	}
	if err := s.pool.QueryRow(ctx, "select count(distinct o.person || '|' || o.lead_id), count(*), coalesce((sum(o.recovered)*100)::bigint,0) from "+s.T("outcomes")+" o join "+W+
		" on w.lead_id = o.lead_id where "+w.sql(), w.args...).Scan(&d.PeopleHeld, &d.Outcomes, &d.RecoveredFen); err != nil {
		return err
	}
	return nil
}

// dashboardFindings fills the open findings by town and family, in the
// findings scope fw.
func (s *Store) dashboardFindings(ctx context.Context, d *Dashboard, fw *whereBuilder) error {
	var err error
	if d.FindingsByTown, err = s.counts(ctx, "select coalesce(f.town_id,''), coalesce(max(v.town_name), f.town_id, ''), count(*), coalesce((sum(f.amount)*100)::bigint,0) from "+
		s.T("findings")+" f left join (select distinct town_id, town_name from "+s.D("villages")+") v on v.town_id = f.town_id where f.status = 'open' and "+
		fw.sql()+" group by f.town_id order by 3 desc, 1", fw.args); err != nil {
		return err
	}
	if d.FindingsByFamily, err = s.counts(ctx, "select f.family, f.family, count(*), coalesce((sum(f.amount)*100)::bigint,0) from "+s.T("findings")+
		" f where f.status = 'open' and "+fw.sql()+" group by 1 order by 3 desc, 1", fw.args); err != nil {
		return err
	}
	for _, c := range d.FindingsByTown {
		d.OpenFindings += c.N
	}
	return nil
}

// dashboardTrend fills the new and resolved findings of the last 30 runs.
func (s *Store) dashboardTrend(ctx context.Context, d *Dashboard, fw *whereBuilder) error {
	rows, err := s.pool.Query(ctx, `with r as (select run_id, job, as_of, finished_at from `+s.T("runs")+` order by finished_at desc limit 30)
		select r.run_id, to_char(r.as_of,'YYYY-MM-DD'), r.job,
			(select count(*) from `+s.T("finding_events")+` e join `+s.T("findings")+` f using (finding_id) where e.run_id = r.run_id and e.event in ('opened','reopened') and `+fw.sql()+`),
			(select count(*) from `+s.T("finding_events")+` e join `+s.T("findings")+` f using (finding_id) where e.run_id = r.run_id and e.event = 'resolved' and `+fw.sql()+`)
		from r order by r.finished_at`, fw.args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var t TrendRun
		if err := rows.Scan(&t.RunID, &t.AsOf, &t.Job, &t.New, &t.Resolved); err != nil {
			return err
		}
		d.Trend = append(d.Trend, t)
	}
	return rows.Err()
}

// counts runs a grouped query whose rows are key, label, count, fen.
func (s *Store) counts(ctx context.Context, sql string, args []any) ([]Count, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Count
	for rows.Next() {
		var c Count
		if err := rows.Scan(&c.Key, &c.Label, &c.N, &c.Fen); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CampaignRow is a campaign (专项督查) with its runs and leads in scope.
type CampaignRow struct {
	Name       string
	Runs       int
	LastAsOf   string
	Leads      int
	ClosedLead int
}

// Campaigns lists the campaigns that have runs, with their leads in scope.
func (s *Store) Campaigns(ctx context.Context, sc auth.Scope) ([]CampaignRow, error) {
	w := &whereBuilder{}
	scopeLeads(w, sc)
	rows, err := s.pool.Query(ctx, `with c as (select campaign, count(*) runs, to_char(max(as_of),'YYYY-MM-DD') last_as_of from `+s.T("runs")+
		` where campaign is not null group by campaign),
		l as (select cp, count(*) n, count(*) filter (where w.status = 'closed') closed from `+s.T("work_leads")+` w cross join unnest(w.campaigns) cp where `+w.sql()+` group by cp)
		select c.campaign, c.runs, c.last_as_of, coalesce(l.n,0), coalesce(l.closed,0) from c left join l on l.cp = c.campaign order by c.campaign`, w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CampaignRow
	for rows.Next() {
		var c CampaignRow
		if err := rows.Scan(&c.Name, &c.Runs, &c.LastAsOf, &c.Leads, &c.ClosedLead); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
