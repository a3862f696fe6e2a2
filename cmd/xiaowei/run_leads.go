package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"path/filepath"

	"github.com/neijiang/xiaowei/internal/campaign"
	"github.com/neijiang/xiaowei/internal/dispose"
	"github.com/neijiang/xiaowei/internal/leads"
	"github.com/neijiang/xiaowei/internal/report"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/run"
	"github.com/neijiang/xiaowei/internal/store"
)

// The leads hook adds to `xiaowei run`: --campaign (scope, window and
// rules of a 专项督查), --dispositions (inspectors' decisions applied to
// the findings) and the leads step writing OUT/leads.jsonl, with
// OUT/dispositions.json, OUT/places.json, OUT/names.json and
// OUT/campaign.json for the report.
var leadFlags struct {
	dispositions string
	campaign     string
	fs           *flag.FlagSet // to read the db hook's --db and --schema
}

// dispositionSource, when set by another hook, supplies the disposition
// events instead of the file (with --db the database's are used).
var dispositionSource func(ctx context.Context, o *run.Options) ([]dispose.Event, string, error)

func init() {
	registerRunHook(runHook{name: "leads", order: 50, flags: func(fs *flag.FlagSet) {
		leadFlags.fs = fs
		fs.StringVar(&leadFlags.dispositions, "dispositions", "", "inspectors' dispositions file (default DATA/dispositions.jsonl; see xiaowei dispose)")
		fs.StringVar(&leadFlags.campaign, "campaign", "", "campaign (专项督查) file: name, towns/villages, window and rules of a special inspection")
	}, prepare: prepareLeads})
}

// dbFlags reads the db hook's --db and --schema, when that hook is built in.
func dbFlags() (url, schema string) {
	if leadFlags.fs == nil {
		return "", ""
	}
	if f := leadFlags.fs.Lookup("db"); f != nil {
		url = f.Value.String()
	}
	if f := leadFlags.fs.Lookup("schema"); f != nil {
		schema = f.Value.String()
	}
	return url, schema
}

// dbDispositionSource reads the decisions from the database.
func dbDispositionSource(open func(ctx context.Context) (*store.Store, func(), error)) func(ctx context.Context, o *run.Options) ([]dispose.Event, string, error) {
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
	addLeadSteps(o, "", src, nil)
	return nil
}

func prepareLeads(ctx context.Context, o *run.Options) error {
	var camp *campaign.Campaign
	if leadFlags.campaign != "" {
		c, err := applyCampaign(leadFlags.campaign, o)
		if err != nil {
			return badInput(err)
		}
		camp = c
	}
	path := leadFlags.dispositions
	if path == "" && o.DataDir != "" {
		path = filepath.Join(o.DataDir, "dispositions.jsonl")
	}
	src := dispositionSource
	if url, schema := dbFlags(); url != "" && src == nil {
		src = dbDispositionSource(func(ctx context.Context) (*store.Store, func(), error) {
			st, err := store.Open(ctx, url, schema)
			if err != nil {
				return nil, nil, err
			}
			return st, st.Close, nil
		})
	}
	if leadFlags.dispositions != "" {
		src = nil // an explicit file wins
	}
	addLeadSteps(o, path, src, camp)
	return nil
}

// addLeadSteps appends the dispositions and leads post steps: decisions
// from src when set, else from the file at path (none when empty).
func addLeadSteps(o *run.Options, path string, src func(ctx context.Context, o *run.Options) ([]dispose.Event, string, error), camp *campaign.Campaign) {
	var applied *dispose.Applied
	o.Post = append(o.Post,
		run.Step{Name: "dispositions", Fn: func(ctx context.Context, o *run.Options, out *run.Outcome) error {
			var events []dispose.Event
			source := path
			var err error
			switch {
			case src != nil:
				events, source, err = src(ctx, o)
			case path != "":
				events, err = dispose.ReadFile(path)
			}
			if err != nil {
				return fmt.Errorf("dispositions: %w", err)
			}
			applied = dispose.Apply(out.Findings, events, o.Scope.AsOf, source)
			b, err := applied.JSON()
			if err != nil {
				return err
			}
			out.Extra["dispositions.json"] = b
			return nil
		}},
		run.Step{Name: "leads", Fn: func(ctx context.Context, o *run.Options, out *run.Outcome) error {
			return writeLeads(o, out, applied, camp)
		}},
	)
}

// applyCampaign narrows the run to a campaign's scope, window and rules.
func applyCampaign(file string, o *run.Options) (*campaign.Campaign, error) {
	c, err := campaign.Load(file)
	if err != nil {
		return nil, err
	}
	o.Campaign = c.Name
	o.Scope.Towns = append(o.Scope.Towns, c.Towns...)
	o.Scope.Villages = append(o.Scope.Villages, c.Villages...)
	from, to := c.Window()
	if from != 0 {
		if o.Scope.From != 0 && o.Scope.From != from {
			return nil, fmt.Errorf("--from %s contradicts the campaign's from %s", o.Scope.From, from)
		}
		o.Scope.From = from
	}
	if to != 0 {
		if o.Scope.To != 0 && o.Scope.To != to {
			return nil, fmt.Errorf("--to %s contradicts the campaign's to %s", o.Scope.To, to)
		}
		o.Scope.To = to
	}
	if o.Scope.To != 0 && o.Scope.To > o.Scope.AsOf {
		return nil, fmt.Errorf("campaign window ends %s, after as_of %s: pass --as-of", o.Scope.To, o.Scope.AsOf)
	}
	if o.Scope.From != 0 && o.Scope.To != 0 && o.Scope.From > o.Scope.To {
		return nil, fmt.Errorf("window %s..%s is empty", o.Scope.From, o.Scope.To)
	}
	if len(c.Rules) > 0 {
		set, err := rules.LoadDirs(o.RuleDirs)
		if set == nil {
			return nil, fmt.Errorf("campaign rules: %w", err)
		}
		only, err := c.Expand(set)
		if err != nil {
			return nil, err
		}
		o.Only = only
	}
	return c, nil
}

func writeLeads(o *run.Options, out *run.Outcome, applied *dispose.Applied, camp *campaign.Campaign) error {
	info := map[string]leads.RuleInfo{}
	var rs []*rules.Rule
	if out.Eval != nil && out.Eval.Plan != nil {
		for _, c := range out.Eval.Plan.Rules {
			rs = append(rs, c.Rule)
		}
		info = leads.RulesOf(rs)
	}
	ls, err := leads.Build(out.Findings, leads.Input{Tables: out.Dataset.Tables, Rules: info, AsOf: o.Scope.AsOf, Dispositions: applied})
	if err != nil {
		return fmt.Errorf("leads: %w", err)
	}
	var buf bytes.Buffer
	if err := leads.WriteJSONL(&buf, ls); err != nil {
		return err
	}
	out.Extra["leads.jsonl"] = buf.Bytes()

	places := leads.Places(out.Dataset.Tables["villages"])
	inScope := scopeFilter(o.Scope, places)
	var list []leads.Place
	for _, p := range leads.SortedPlaces(places) {
		if inScope(p) {
			list = append(list, p)
		}
	}
	if err := putJSON(out, "places.json", list); err != nil {
		return err
	}
	// The register's names, for the report's masker (names in free text
	// are recognised only by knowing them). Personal data, like
	// findings.jsonl: the run folder is for authorised readers.
	names := out.Dataset.PersonNames()
	if names == nil {
		names = []string{}
	}
	if err := putJSON(out, "names.json", names); err != nil {
		return err
	}
	if camp != nil {
		return putJSON(out, "campaign.json", camp)
	}
	return nil
}

func scopeFilter(s run.Scope, places map[string]leads.Place) func(leads.Place) bool {
	if len(s.Towns) == 0 && len(s.Villages) == 0 {
		return func(leads.Place) bool { return true }
	}
	in := map[string]bool{}
	for _, v := range s.Villages {
		in[v] = true
	}
	for _, t := range s.Towns {
		in["town:"+t] = true
	}
	return func(p leads.Place) bool { return in[p.VillageID] || in["town:"+p.TownID] }
}

func putJSON(out *run.Outcome, name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	out.Extra[name] = append(b, '\n')
	return nil
}

// errNoRun is returned when a command needs a run folder.
var errNoRun = errors.New("--run OUT (a run's output folder), or --db URL --run-id ID, is required")
