package leads

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/neijiang/xiaowei/internal/campaign"
	"github.com/neijiang/xiaowei/internal/dispose"
	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/run"
)

// DispositionSource supplies the inspectors' decisions for a run and names
// where they came from (a file, or the database's disposition_events).
type DispositionSource func(ctx context.Context, o *run.Options) ([]dispose.Event, string, error)

// Steps are the run's post steps that turn findings into leads: apply the
// inspectors' decisions (from src when set, else from the file at path;
// none when both are empty), then write OUT/leads.jsonl with
// OUT/dispositions.json, OUT/places.json, OUT/names.json and, for a
// campaign, OUT/campaign.json, which the report reads.
func Steps(path string, src DispositionSource, camp *campaign.Campaign) []run.Step {
	var applied *dispose.Applied
	return []run.Step{
		{Name: "dispositions", Fn: func(ctx context.Context, o *run.Options, out *run.Outcome) error {
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
		{Name: "leads", Fn: func(ctx context.Context, o *run.Options, out *run.Outcome) error {
			return writeLeads(o, out, applied, camp)
		}},
	}
}

func writeLeads(o *run.Options, out *run.Outcome, applied *dispose.Applied, camp *campaign.Campaign) error {
	// names.json and the leads each scan the persons register (millions
	// of rows at province scale); on a second core the scans overlap. The
	// names are awaited on every path: the dataset may be released after.
	namesDone := make(chan []string, 1)
	go func() { namesDone <- out.Dataset.PersonNames() }()
	err := writeLeadsAndPlaces(o, out, applied)
	names := <-namesDone
	if err != nil {
		return err
	}
	// The register's names, for the report's masker (names in free text
	// are recognised only by knowing them). Personal data, like
	// findings.jsonl: the run folder is for authorised readers.
	b, err := namesJSON(names)
	if err != nil {
		return err
	}
	out.Extra["names.json"] = b
	if camp != nil {
		return putJSON(out, "campaign.json", camp)
	}
	return nil
}

// writeLeadsAndPlaces puts leads.jsonl and places.json.
func writeLeadsAndPlaces(o *run.Options, out *run.Outcome, applied *dispose.Applied) error {
	info := map[string]RuleInfo{}
	var rs []*rules.Rule
	if out.Eval != nil && out.Eval.Plan != nil {
		for _, c := range out.Eval.Plan.Rules {
			rs = append(rs, c.Rule)
		}
		info = RulesOf(rs)
	}
	b, err := BuildJSONL(out.Findings, Input{Tables: out.Dataset.Tables, Rules: info, AsOf: o.Scope.AsOf, Dispositions: applied})
	if err != nil {
		return fmt.Errorf("leads: %w", err)
	}
	out.Extra["leads.jsonl"] = b

	places := Places(out.Dataset.Tables["villages"])
	inScope := scopeFilter(o.Scope, places)
	var list []Place
	for _, p := range SortedPlaces(places) {
		if inScope(p) {
			list = append(list, p)
		}
	}
	return putJSON(out, "places.json", list)
}

// BuildJSONL is leads.jsonl of the findings: Build, then WriteJSONL. A
// run's leads step and a run group's finish both write it.
func BuildJSONL(fs []*findings.Finding, in Input) ([]byte, error) {
	ls, err := Build(fs, in)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := WriteJSONL(&buf, ls); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func scopeFilter(s run.Scope, places map[string]Place) func(Place) bool {
	if len(s.Towns) == 0 && len(s.Villages) == 0 {
		return func(Place) bool { return true }
	}
	in := map[string]bool{}
	for _, v := range s.Villages {
		in[v] = true
	}
	for _, t := range s.Towns {
		in["town:"+t] = true
	}
	return func(p Place) bool { return in[p.VillageID] || in["town:"+p.TownID] }
}

func putJSON(out *run.Outcome, name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	out.Extra[name] = append(b, '\n')
	return nil
}
