package main

import (
	"context"
	"errors"
	"flag"
	"path/filepath"

	"github.com/neijiang/xiaowei/internal/campaign"
	"github.com/neijiang/xiaowei/internal/dispose"
	"github.com/neijiang/xiaowei/internal/leads"
	"github.com/neijiang/xiaowei/internal/report"
	"github.com/neijiang/xiaowei/internal/run"
	"github.com/neijiang/xiaowei/internal/store"
)

// The leads hook adds to `xiaowei run`: --campaign (scope, window and
// rules of a 专项督查, applied by campaign.Apply), --dispositions
// (inspectors' decisions) and the leads steps (leads.Steps).
type leadFlags struct{ dispositions, campaign string }

func init() {
	registerRunHook(runHook{name: "leads", order: 50, flags: func(fs *flag.FlagSet, f *runFlags) {
		fs.StringVar(&f.leads.dispositions, "dispositions", "", "inspectors' dispositions file (default DATA/dispositions.jsonl; see xiaowei dispose)")
		fs.StringVar(&f.leads.campaign, "campaign", "", "campaign (专项督查) file: name, towns/villages, window and rules of a special inspection")
	}, prepare: prepareLeads})
}

// dbDispositionSource reads the decisions from the database.
func dbDispositionSource(open func(ctx context.Context) (*store.Store, func(), error)) leads.DispositionSource {
	return func(ctx context.Context, o *run.Options) ([]dispose.Event, string, error) {
		st, done, err := open(ctx)
		if err != nil {
			return nil, "", err
		}
		defer done()
		evs, err := report.DispositionsDB(ctx, st)
		return evs, "postgres:" + st.Schema + ".disposition_events", err
	}
}

// prepareServiceRun adds the dispositions (from the database) and leads
// steps to a scheduled run of `xiaowei serve`, and stores its leads after
// the service's record step (service.Service.InTx). Wire it as
// service.Service.Prepare.
func prepareServiceRun(ctx context.Context, st *store.Store, o *run.Options) error {
	src := dbDispositionSource(func(context.Context) (*store.Store, func(), error) { return st, func() {}, nil })
	o.Post = append(o.Post, leads.Steps("", src, nil)...)
	return nil
}

// prepareLeads applies --campaign and adds the leads steps. Decisions come
// from --dispositions when given, else from --db's database with --db,
// else from DATA/dispositions.jsonl.
func prepareLeads(ctx context.Context, f *runFlags, o *run.Options) error {
	var camp *campaign.Campaign
	if f.leads.campaign != "" {
		c, err := campaign.Load(f.leads.campaign)
		if err == nil {
			err = c.Apply(o)
		}
		if err != nil {
			return badInput(err)
		}
		camp = c
	}
	path := f.leads.dispositions
	if path == "" && o.DataDir != "" {
		path = filepath.Join(o.DataDir, "dispositions.jsonl")
	}
	var src leads.DispositionSource
	if url, schema := f.db.url, f.db.schema; url != "" && f.leads.dispositions == "" {
		src = dbDispositionSource(func(ctx context.Context) (*store.Store, func(), error) {
			st, err := store.Open(ctx, url, schema)
			if err != nil {
				return nil, nil, err
			}
			return st, st.Close, nil
		})
	}
	o.Post = append(o.Post, leads.Steps(path, src, camp)...)
	return nil
}

// errNoRun is returned when a command needs a run folder.
var errNoRun = errors.New("--run OUT (a run's output folder), or --db URL --run-id ID, is required")
