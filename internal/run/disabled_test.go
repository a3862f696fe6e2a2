package run

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/gen"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/rules"
)

// TestDisabledEverywhereBuildsNoView: a detector whose rules are all
// disabled by an override everywhere is not run (the equal-work benchmark
// disables most rules), while a rule disabled only in one village still
// needs its view; the findings of the rules left on do not change.
func TestDisabledEverywhereBuildsNoView(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	if _, err := gen.Generate(context.Background(), gen.Config{Villages: 20, Seed: 3, PersonsPerVillage: 40, LedgerPerYear: 60, AnomalyRate: 0.3}, data); err != nil {
		t.Fatal(err)
	}
	ds, err := load.Load(context.Background(), data, load.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Release()
	set, err := rules.LoadDirs([]string{filepath.Join("..", "..", "rules")})
	if err != nil {
		t.Fatal(err)
	}
	subsidyViews := map[string]bool{"beneficiary_links": true, "case_handlers": true, "payment_checks": true, "enrolment_overlaps": true, "id_checks": true}
	subsidyRule := map[string]bool{}
	for _, r := range set.Rules() {
		subsidyRule[r.ID] = subsidyViews[r.On]
	}
	offAll := func(village string) []*rules.Override {
		o := &rules.Override{Scope: rules.Scope{VillageID: village}}
		for _, r := range set.Rules() {
			if subsidyViews[r.On] {
				f := false
				o.Rules = append(o.Rules, rules.RuleOverride{RuleID: r.ID, Enabled: &f})
			}
		}
		return []*rules.Override{o}
	}
	cfg := EvalConfig{Rules: set, Scope: Scope{AsOf: civil.MustParse("2025-06-30")}}
	eval := func(ov []*rules.Override) *Evaluation {
		c := cfg
		c.Overrides = ov
		e, err := Pipeline(context.Background(), ds.Tables, c)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	all := eval(nil)
	village := ds.Tables["villages"].Str("village_id").Value(0)
	for _, c := range []struct {
		name        string
		ov          []*rules.Override
		wantSubsidy bool
	}{
		{"no override", nil, true},
		{"subsidy rules off in one village", offAll(village), true},
		{"subsidy rules off everywhere", offAll(""), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := eval(c.ov)
			if _, ran := e.Stages["detect:subsidy"]; ran != c.wantSubsidy {
				t.Errorf("detect:subsidy ran = %v, want %v (stages %v)", ran, c.wantSubsidy, e.Stages)
			}
			n, m := 0, 0
			for _, f := range all.Result.Findings {
				if !subsidyRule[f.RuleID] {
					n++
				}
			}
			for _, f := range e.Result.Findings {
				if !subsidyRule[f.RuleID] {
					m++
				}
			}
			if n != m || n == 0 {
				t.Errorf("findings of the other families: %d, want %d", m, n)
			}
		})
	}
}
