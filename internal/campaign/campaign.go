// Package campaign reads a special-inspection (专项督查) file: a named
// campaign with its scope (towns, villages), window and rules. A run with
// --campaign evaluates only those rules over that scope and window, and the
// report is titled and scoped accordingly.
//
//	campaign:
//	  id: dibao-2025                      # optional, [a-z0-9-]
//	  name: 2025年农村低保专项督查          # required, the report's title
//	  description: 聚焦优亲厚友、人情保      # optional
//	  towns: ["511002103"]                # optional; towns and villages add up
//	  villages: ["511002101204"]          # optional; neither = everywhere
//	  from: 2025-01-01                    # optional window
//	  to: 2025-06-30
//	  rules: [REL-*, DIS-NO-NOTICE, "family:cash"]   # optional; none = all
//
// Rules are rule ids, globs over ids (REL-*), or family:<name>.
package campaign

import (
	"errors"
	"fmt"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/run"
	"github.com/neijiang/xiaowei/internal/yamlpos"
)

// Campaign is one special inspection.
type Campaign struct {
	ID          string   `yaml:"id" json:"id,omitempty"`
	Name        string   `yaml:"name" json:"name"`
	Description string   `yaml:"description" json:"description,omitempty"`
	Towns       []string `yaml:"towns" json:"towns,omitempty"`
	Villages    []string `yaml:"villages" json:"villages,omitempty"`
	From        string   `yaml:"from" json:"from,omitempty"`
	To          string   `yaml:"to" json:"to,omitempty"`
	Rules       []string `yaml:"rules" json:"rules,omitempty"`
	// RuleIDs is Rules expanded against the rule set of the run.
	RuleIDs []string `yaml:"-" json:"rule_ids,omitempty"`
	File    string   `yaml:"-" json:"file"`
}

var idRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// Load reads and checks a campaign file.
func Load(file string) (*Campaign, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	c, err := Parse(file, b)
	if err != nil {
		return nil, err
	}
	c.File = file
	return c, nil
}

// Parse reads a campaign strictly and reports every problem at its
// file:line:col, like a rule file: unknown or repeated fields, values of
// the wrong type, a missing name, bad codes and window dates.
func Parse(file string, b []byte) (*Campaign, error) {
	var doc struct {
		Campaign *Campaign `yaml:"campaign"`
	}
	d, errs := yamlpos.Decode(file, b, &doc)
	if len(errs) > 0 {
		return nil, errs.Err()
	}
	c := doc.Campaign
	if c == nil {
		return nil, yamlpos.Errors{d.At("", "no top-level campaign:")}.Err()
	}
	if strings.TrimSpace(c.Name) == "" {
		errs = append(errs, d.At("campaign.name", "campaign.name is required"))
	}
	if c.ID != "" && !idRe.MatchString(c.ID) {
		errs = append(errs, d.At("campaign.id", "campaign.id %q: lower-case letters, digits and '-'", c.ID))
	}
	if _, err := run.ParseScope(run.ScopeText{From: c.From, To: c.To}, scopeNames); err != nil {
		es, _ := err.(run.ScopeErrors)
		for _, e := range es {
			errs = append(errs, d.At("campaign."+e.Field, "%v", e))
		}
	}
	for i, t := range c.Towns {
		if len(t) != 9 {
			errs = append(errs, d.At(fmt.Sprintf("campaign.towns[%d]", i), "campaign.towns: %q is not a 9-digit town code", t))
		}
	}
	for i, v := range c.Villages {
		if len(v) != 12 {
			errs = append(errs, d.At(fmt.Sprintf("campaign.villages[%d]", i), "campaign.villages: %q is not a 12-digit village code", v))
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return c, nil
}

// scopeNames are the campaign's window fields as written.
var scopeNames = run.ScopeNames{AsOf: "as_of", From: "campaign.from", To: "campaign.to"}

// Window returns the campaign window (zero = open); Parse has checked it.
func (c *Campaign) Window() (from, to civil.Date) {
	s, _ := run.ParseScope(run.ScopeText{From: c.From, To: c.To}, scopeNames)
	return s.From, s.To
}

// Expand turns the campaign's rule patterns into rule ids of set. A pattern
// that matches no rule is an error (a typo would silently narrow the
// campaign to nothing). No patterns = nil (all rules).
func (c *Campaign) Expand(set *rules.Set) (map[string]bool, error) {
	if len(c.Rules) == 0 {
		return nil, nil
	}
	all := set.Rules()
	only := map[string]bool{}
	var errs []error
	for _, p := range c.Rules {
		n := 0
		for _, r := range all {
			ok := false
			if fam, isFam := strings.CutPrefix(p, "family:"); isFam {
				ok = r.Family == fam
			} else {
				ok, _ = path.Match(p, r.ID)
			}
			if ok {
				only[r.ID] = true
				n++
			}
		}
		if n == 0 {
			errs = append(errs, fmt.Errorf("campaign.rules: %q matches no rule", p))
		}
	}
	c.RuleIDs = c.RuleIDs[:0]
	for id := range only {
		c.RuleIDs = append(c.RuleIDs, id)
	}
	sort.Strings(c.RuleIDs)
	return only, errors.Join(errs...)
}

// ScopeText describes the scope in Chinese for the report.
func ScopeText(c *Campaign, towns, villages map[string]string) string {
	var parts []string
	for _, t := range c.Towns {
		parts = append(parts, nameOr(towns, t))
	}
	for _, v := range c.Villages {
		parts = append(parts, nameOr(villages, v))
	}
	if len(parts) == 0 {
		return "全部村（社区）"
	}
	return strings.Join(parts, "、")
}

func nameOr(m map[string]string, id string) string {
	if n := m[id]; n != "" {
		return n
	}
	return id
}

// Apply narrows a run to the campaign's scope, window and rules. A window
// already set on the run (--from, --to) must agree with the campaign's,
// since a run cannot honour both.
func (c *Campaign) Apply(o *run.Options) error {
	o.Campaign = c.Name
	o.Scope.Towns = append(o.Scope.Towns, c.Towns...)
	o.Scope.Villages = append(o.Scope.Villages, c.Villages...)
	from, to := c.Window()
	if from != 0 {
		if o.Scope.From != 0 && o.Scope.From != from {
			return fmt.Errorf("--from %s contradicts the campaign's from %s", o.Scope.From, from)
		}
		o.Scope.From = from
	}
	if to != 0 {
		if o.Scope.To != 0 && o.Scope.To != to {
			return fmt.Errorf("--to %s contradicts the campaign's to %s", o.Scope.To, to)
		}
		o.Scope.To = to
	}
	if o.Scope.To != 0 && o.Scope.To > o.Scope.AsOf {
		return fmt.Errorf("campaign window ends %s, after as_of %s: pass --as-of", o.Scope.To, o.Scope.AsOf)
	}
	if o.Scope.From != 0 && o.Scope.To != 0 && o.Scope.From > o.Scope.To {
		return fmt.Errorf("window %s..%s is empty", o.Scope.From, o.Scope.To)
	}
	if len(c.Rules) > 0 {
		set, err := rules.LoadDirs(o.RuleDirs)
		if set == nil {
			return fmt.Errorf("campaign rules: %w", err)
		}
		only, err := c.Expand(set)
		if err != nil {
			return err
		}
		o.Only = only
	}
	return nil
}
