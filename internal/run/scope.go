package run

import (
	"errors"
	"fmt"

	"github.com/neijiang/xiaowei/internal/civil"
)

// ScopeText is a run's dates as a person wrote them: command-line flags, a
// rule test case, a campaign file or the serve config. "" = not given.
type ScopeText struct{ AsOf, From, To string }

// ScopeNames are what the writer calls the three dates, so a message names
// the field as it was written ("--from", "as_of", "campaign.from").
type ScopeNames struct{ AsOf, From, To string }

// FlagNames are the dates' command-line flags.
var FlagNames = ScopeNames{AsOf: "--as-of", From: "--from", To: "--to"}

// ParseScope is the one reading of a run's dates: each YYYY-MM-DD (a
// calendar date in Asia/Shanghai), from not after to, and to not after
// as_of, since nothing dated after as_of is read and a window reaching past
// it would be cut silently. An empty as_of stays 0: the caller decides
// (a run defaults to today; a campaign or schedule gets its as_of when it
// runs). Every problem is reported, joined.
func ParseScope(t ScopeText, n ScopeNames) (Scope, error) {
	var s Scope
	var errs []error
	parse := func(text, name string, dst *civil.Date) {
		if text == "" {
			return
		}
		d, err := civil.Parse(text)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			return
		}
		*dst = d
	}
	parse(t.AsOf, n.AsOf, &s.AsOf)
	parse(t.From, n.From, &s.From)
	parse(t.To, n.To, &s.To)
	if s.From != 0 && s.To != 0 && s.From > s.To {
		errs = append(errs, fmt.Errorf("%s %s is after %s %s", n.From, s.From, n.To, s.To))
	}
	if s.AsOf != 0 && s.To != 0 && s.To > s.AsOf {
		errs = append(errs, fmt.Errorf("%s %s is after %s %s: nothing dated after as_of is read", n.To, s.To, n.AsOf, s.AsOf))
	}
	return s, errors.Join(errs...)
}
