package run

import (
	"fmt"
	"strings"

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
// runs). Every problem is reported, as ScopeErrors.
func ParseScope(t ScopeText, n ScopeNames) (Scope, error) {
	var s Scope
	var errs ScopeErrors
	add := func(field string, err error) { errs = append(errs, &ScopeError{Field: field, Err: err}) }
	parse := func(text, field, name string, dst *civil.Date) {
		if text == "" {
			return
		}
		d, err := civil.Parse(text)
		if err != nil {
			add(field, fmt.Errorf("%s: %w", name, err))
			return
		}
		*dst = d
	}
	parse(t.AsOf, "as_of", n.AsOf, &s.AsOf)
	parse(t.From, "from", n.From, &s.From)
	parse(t.To, "to", n.To, &s.To)
	if s.From != 0 && s.To != 0 && s.From > s.To {
		add("from", fmt.Errorf("%s %s is after %s %s", n.From, s.From, n.To, s.To))
	}
	if s.AsOf != 0 && s.To != 0 && s.To > s.AsOf {
		add("to", fmt.Errorf("%s %s is after %s %s: nothing dated after as_of is read", n.To, s.To, n.AsOf, s.AsOf))
	}
	if len(errs) == 0 {
		return s, nil
	}
	return s, errs
}

// ScopeError is one problem with a scope's dates; Field ("as_of", "from"
// or "to") says which date it is about, so a file reader can place it at
// that field's line and column.
type ScopeError struct {
	Field string
	Err   error
}

func (e *ScopeError) Error() string { return e.Err.Error() }
func (e *ScopeError) Unwrap() error { return e.Err }

// ScopeErrors are all of a scope's problems.
type ScopeErrors []*ScopeError

func (es ScopeErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}
