package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/neijiang/xiaowei/internal/campaign"
	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/dispose"
	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/leads"
	"github.com/neijiang/xiaowei/internal/run"
	"github.com/neijiang/xiaowei/internal/store"
)

// LoadDB reads a recorded run from PostgreSQL: its summary and manifest,
// the findings it saw (those whose last sighting is this run: complete for
// the latest run of a scope), its leads, the dispositions, the villages and
// the trend. Rejected rows are not stored: their count is in the summary.
func LoadDB(ctx context.Context, st *store.Store, runID string) (*Data, error) {
	d := &Data{RunID: runID, Places: map[string]leads.Place{}}
	var summary, manifest []byte
	var camp *string
	var towns, villages []string
	var asOf time.Time
	err := st.Pool.QueryRow(ctx, "select summary, manifest, campaign, scope_towns, scope_villages, as_of from "+st.T("runs")+" where run_id = $1", runID).
		Scan(&summary, &manifest, &camp, &towns, &villages, &asOf)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("no run %s in schema %s", runID, st.Schema)
	}
	if err != nil {
		return nil, err
	}
	d.Summary, d.Manifest = &run.Summary{}, &run.Manifest{}
	if err := json.Unmarshal(summary, d.Summary); err != nil {
		return nil, fmt.Errorf("run summary: %w", err)
	}
	if len(manifest) > 0 {
		json.Unmarshal(manifest, d.Manifest)
	}
	if camp != nil && *camp != "" {
		d.Campaign = &campaign.Campaign{Name: *camp, Towns: towns, Villages: villages}
	}
	rows, err := st.Pool.Query(ctx, `select finding_id, rule_id, family, severity, village_id, coalesce(town_id, ''), subject, period,
		amount::text, coalesce(title, ''), message, coalesce(responsible, ''), coalesce(rule_version, ''), evidence
		from `+st.T("findings")+` where last_run_id = $1 order by village_id, rule_id, subject, period`, runID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		f := &findings.Finding{}
		var amount *string
		var ev []byte
		if err := rows.Scan(&f.FindingID, &f.RuleID, &f.Family, &f.Severity, &f.VillageID, &f.TownID, &f.Subject, &f.Period,
			&amount, &f.Title, &f.Message, &f.Responsible, &f.RuleHash, &ev); err != nil {
			rows.Close()
			return nil, err
		}
		if amount != nil {
			a := &findings.Amount{}
			if err := a.UnmarshalJSON([]byte(*amount)); err != nil {
				rows.Close()
				return nil, err
			}
			f.Amount = a
		}
		if err := json.Unmarshal(ev, &f.Evidence); err != nil {
			rows.Close()
			return nil, err
		}
		d.Findings = append(d.Findings, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if d.Leads, err = LeadsDB(ctx, st, runID); err != nil {
		return nil, err
	}
	events, err := DispositionsDB(ctx, st)
	if err != nil {
		return nil, err
	}
	d.Dispositions = dispose.Apply(d.Findings, events, civil.FromTime(asOf), "database")
	prow, err := st.Pool.Query(ctx, "select village_id, village_name, town_id, coalesce(town_name, '') from "+st.D("villages")+" order by village_id")
	if err != nil {
		return nil, err
	}
	for prow.Next() {
		var p leads.Place
		if err := prow.Scan(&p.VillageID, &p.VillageName, &p.TownID, &p.TownName); err != nil {
			prow.Close()
			return nil, err
		}
		if inScope(p, towns, villages) {
			d.Places[p.VillageID] = p
		}
	}
	prow.Close()
	if err := prow.Err(); err != nil {
		return nil, err
	}
	if d.Names, err = st.PersonNames(ctx); err != nil {
		return nil, err
	}
	d.Trend, err = TrendDB(ctx, st, runID)
	return d, err
}

func inScope(p leads.Place, towns, villages []string) bool {
	if len(towns) == 0 && len(villages) == 0 {
		return true
	}
	for _, t := range towns {
		if t == p.TownID {
			return true
		}
	}
	for _, v := range villages {
		if v == p.VillageID {
			return true
		}
	}
	return false
}

// TrendDB returns up to 12 runs of the same job and campaign up to and
// including runID, oldest first.
func TrendDB(ctx context.Context, st *store.Store, runID string) ([]TrendPoint, error) {
	rows, err := st.Pool.Query(ctx, `select r.run_id, to_char(r.as_of, 'YYYY-MM-DD'), r.findings, r.new_findings, r.resolved from `+st.T("runs")+` r,
		`+st.T("runs")+` me where me.run_id = $1 and r.job = me.job and r.campaign is not distinct from me.campaign and r.finished_at <= me.finished_at
		order by r.finished_at desc limit 12`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TrendPoint
	for rows.Next() {
		var p TrendPoint
		if err := rows.Scan(&p.RunID, &p.AsOf, &p.Findings, &p.New, &p.Resolved); err != nil {
			return nil, err
		}
		out = append([]TrendPoint{p}, out...)
	}
	return out, rows.Err()
}

// DispositionsDB reads the decision trail (disposition_events) as events.
func DispositionsDB(ctx context.Context, st *store.Store) ([]dispose.Event, error) {
	ds, err := st.DispositionEvents(ctx)
	if err != nil {
		return nil, err
	}
	evs := make([]dispose.Event, 0, len(ds))
	for _, d := range ds {
		e := dispose.Event{At: d.DecidedAt.In(civil.Shanghai).Format(time.RFC3339), FindingIDs: d.FindingIDs, Status: d.Status,
			Until: d.Until, Reason: d.Reason, By: d.DecidedBy}
		if d.Kind == "lead" {
			e.LeadID = d.ID
		} else {
			e.FindingID, e.FindingIDs = d.ID, nil
		}
		evs = append(evs, e)
	}
	return evs, nil
}

// LeadsDB reads a run's leads (stored with the run) in rank order.
func LeadsDB(ctx context.Context, st *store.Store, runID string) ([]*leads.Lead, error) {
	rows, err := st.Pool.Query(ctx, "select payload from "+st.T("leads")+" where run_id = $1 order by (payload->>'rank')::int, lead_id", runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*leads.Lead
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		l := &leads.Lead{}
		if err := json.Unmarshal(b, l); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// LeadDB returns a lead as stored by the latest recorded run that had it.
func LeadDB(ctx context.Context, st *store.Store, leadID string) (*leads.Lead, error) {
	var b []byte
	err := st.Pool.QueryRow(ctx, "select l.payload from "+st.T("leads")+" l join "+st.T("runs")+" r using (run_id) where l.lead_id = $1 order by r.finished_at desc limit 1", leadID).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("no lead %s in the database", leadID)
	}
	if err != nil {
		return nil, err
	}
	l := &leads.Lead{}
	return l, json.Unmarshal(b, l)
}
