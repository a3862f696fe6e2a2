package run

import (
	"testing"

	"github.com/neijiang/xiaowei/internal/civil"
)

func TestParseScope(t *testing.T) {
	yaml := ScopeNames{AsOf: "as_of", From: "campaign.from", To: "campaign.to"}
	d := func(s string) civil.Date {
		v, err := civil.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name  string
		text  ScopeText
		names ScopeNames
		want  Scope
		err   string
	}{
		{"all given", ScopeText{"2025-06-30", "2024-01-01", "2024-12-31"}, FlagNames,
			Scope{AsOf: d("2025-06-30"), From: d("2024-01-01"), To: d("2024-12-31")}, ""},
		{"nothing given", ScopeText{}, FlagNames, Scope{}, ""},
		{"window without as_of", ScopeText{"", "2024-01-01", "2024-03-31"}, yaml,
			Scope{From: d("2024-01-01"), To: d("2024-03-31")}, ""},
		{"to on as_of", ScopeText{"2024-12-31", "", "2024-12-31"}, FlagNames,
			Scope{AsOf: d("2024-12-31"), To: d("2024-12-31")}, ""},
		{"bad as_of", ScopeText{"2025-02-30", "", ""}, FlagNames, Scope{},
			`--as-of: "2025-02-30" is not a calendar date`},
		{"from after to", ScopeText{"", "2024-05-01", "2024-04-30"}, yaml, Scope{},
			"campaign.from 2024-05-01 is after campaign.to 2024-04-30"},
		{"to after as_of", ScopeText{"2024-06-30", "", "2024-12-31"}, FlagNames, Scope{},
			"--to 2024-12-31 is after --as-of 2024-06-30: nothing dated after as_of is read"},
		{"every problem", ScopeText{"x", "2024-13-01", "y"}, FlagNames, Scope{},
			"--as-of: \"x\" is not a date: want YYYY-MM-DD\n--from: \"2024-13-01\" is not a calendar date\n--to: \"y\" is not a date: want YYYY-MM-DD"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseScope(tc.text, tc.names)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.AsOf != tc.want.AsOf || got.From != tc.want.From || got.To != tc.want.To {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
