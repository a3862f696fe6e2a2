package report

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/neijiang/xiaowei/internal/campaign"
	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/dispose"
	"github.com/neijiang/xiaowei/internal/leads"
	"github.com/neijiang/xiaowei/internal/run"
	"github.com/neijiang/xiaowei/internal/store"
)

// LoadDB reads a recorded run from PostgreSQL: its summary and manifest,
// the findings it saw (those whose last sighting is this run: complete for
// the latest run of a scope), its leads, the dispositions, the villages and
// the trend. Rejected rows are not stored: their count is in the summary.
// Every query is a store method: report only shapes what they return.
func LoadDB(ctx context.Context, st *store.Store, runID string) (*Data, error) {
	d := &Data{RunID: runID, Places: map[string]leads.Place{}}
	r, err := st.Run(ctx, runID)
	if err != nil {
		return nil, err
	}
	towns, villages := r.Towns, r.Villages
	d.Summary, d.Manifest = &run.Summary{}, &run.Manifest{}
	if err := json.Unmarshal(r.Summary, d.Summary); err != nil {
		return nil, fmt.Errorf("run summary: %w", err)
	}
	if len(r.Manifest) > 0 {
		json.Unmarshal(r.Manifest, d.Manifest)
	}
	if r.Campaign != "" {
		d.Campaign = &campaign.Campaign{Name: r.Campaign, Towns: towns, Villages: villages}
	}
	if d.Findings, err = st.RunFindings(ctx, runID); err != nil {
		return nil, err
	}
	if d.Leads, err = LeadsDB(ctx, st, runID); err != nil {
		return nil, err
	}
	events, err := DispositionsDB(ctx, st)
	if err != nil {
		return nil, err
	}
	d.Dispositions = dispose.Apply(d.Findings, events, civil.FromTime(r.AsOf), "database")
	vs, err := st.AllVillages(ctx)
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		p := leads.Place{VillageID: v.VillageID, VillageName: v.VillageName, TownID: v.TownID, TownName: v.TownName}
		if inScope(p, towns, villages) {
			d.Places[p.VillageID] = p
		}
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
	rows, err := st.Trend(ctx, runID)
	if err != nil {
		return nil, err
	}
	var out []TrendPoint
	for _, r := range rows {
		out = append(out, TrendPoint{RunID: r.RunID, AsOf: r.AsOf, Findings: r.Findings, New: r.New, Resolved: r.Resolved})
	}
	return out, nil
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
	return st.RunLeads(ctx, runID)
}

// LeadDB returns a lead as stored by the latest recorded run that had it.
func LeadDB(ctx context.Context, st *store.Store, leadID string) (*leads.Lead, error) {
	return st.LatestLead(ctx, leadID)
}
