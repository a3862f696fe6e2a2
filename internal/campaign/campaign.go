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
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/rules"
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
	c, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	c.File = file
	return c, nil
}

// Parse reads a campaign strictly: unknown fields are errors.
func Parse(b []byte) (*Campaign, error) {
	var doc struct {
		Campaign *Campaign `yaml:"campaign"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	c := doc.Campaign
	if c == nil {
		return nil, errors.New("no top-level campaign:")
	}
	var errs []error
	if strings.TrimSpace(c.Name) == "" {
		errs = append(errs, errors.New("campaign.name is required"))
	}
	if c.ID != "" && !idRe.MatchString(c.ID) {
		errs = append(errs, fmt.Errorf("campaign.id %q: lower-case letters, digits and '-'", c.ID))
	}
	var from, to civil.Date
	var err error
	if c.From != "" {
		if from, err = civil.Parse(c.From); err != nil {
			errs = append(errs, fmt.Errorf("campaign.from: %w", err))
		}
	}
	if c.To != "" {
		if to, err = civil.Parse(c.To); err != nil {
			errs = append(errs, fmt.Errorf("campaign.to: %w", err))
		}
	}
	if from != 0 && to != 0 && from > to {
		errs = append(errs, fmt.Errorf("campaign.from %s is after campaign.to %s", c.From, c.To))
	}
	for _, t := range c.Towns {
		if len(t) != 9 {
			errs = append(errs, fmt.Errorf("campaign.towns: %q is not a 9-digit town code", t))
		}
	}
	for _, v := range c.Villages {
		if len(v) != 12 {
			errs = append(errs, fmt.Errorf("campaign.villages: %q is not a 12-digit village code", v))
		}
	}
	return c, errors.Join(errs...)
}

// Window returns the campaign window (zero = open).
func (c *Campaign) Window() (from, to civil.Date) {
	from, _ = civil.Parse(c.From)
	to, _ = civil.Parse(c.To)
	return from, to
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
