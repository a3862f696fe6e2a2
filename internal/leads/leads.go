// Package leads rolls findings up into accountability leads (问题线索): the
// findings that point at one responsible person, or at a village where no
// person can be named, with who and where, the rules that fired, the amount
// at stake, a score that ranks them, and what to verify.
//
// Who is responsible (domain.md): the person a rule names through its
// `responsible:` template (the cadre in a relative conflict, the handler of
// a case or of cash); otherwise the village, whose cashier and director
// answer for its books and notices and are named in the lead.
//
// Score (documented in docs/leads.md):
//
//	score = Σ_rules w(sev) × (1 + log10(1 + amount/10000)) × (1 + 0.25·log2(n))
//	      + 15 × (distinct rules − 1) + 25 × (distinct families − 1)
//
// with w = critical 40, high 20, medium 8, low 2; sev, amount and n per rule
// being the rule's highest severity, the amount at stake on its subjects
// and its number of findings. Repeats of one rule add little (log2);
// another rule or another family adds a lot, so a lead touching several
// families ranks above one repeated finding. Confirmed leads come first
// whatever their score.
package leads

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"sort"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/dispose"
	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/table"
)

// Weights are the severities' weights in the score.
var Weights = map[findings.Severity]float64{findings.Critical: 40, findings.High: 20, findings.Medium: 8, findings.Low: 2}

// Score constants.
const (
	PerExtraRule   = 15
	PerExtraFamily = 25
	RepeatFactor   = 0.25
	AmountUnit     = 10000 // yuan: the amount factor is 1 + log10(1 + amount/AmountUnit)
)

// Person is someone a lead names.
type Person struct {
	PersonID  string `json:"person_id"`
	Name      string `json:"name"`
	Role      string `json:"role,omitempty"`
	RoleLabel string `json:"role_label,omitempty"`
	VillageID string `json:"village_id,omitempty"`
}

// RuleHit is one rule that fired in a lead.
type RuleHit struct {
	RuleID   string            `json:"rule_id"`
	Title    string            `json:"title"`
	Family   string            `json:"family"`
	Severity findings.Severity `json:"severity"`
	Findings int               `json:"findings"`
	Amount   *findings.Amount  `json:"amount"`
	Score    float64           `json:"score"`
}

// Lead is one accountability lead.
type Lead struct {
	LeadID      string            `json:"lead_id"`
	Rank        int               `json:"rank"`
	Kind        string            `json:"kind"` // person | village
	Key         string            `json:"key"`  // person:<id> or village:<id>
	Person      *Person           `json:"person,omitempty"`
	Contacts    []Person          `json:"contacts,omitempty"` // village leads: cashier and director
	VillageID   string            `json:"village_id"`
	VillageName string            `json:"village_name"`
	TownID      string            `json:"town_id"`
	TownName    string            `json:"town_name"`
	Severity    findings.Severity `json:"severity"`
	Score       float64           `json:"score"`
	Amount      *findings.Amount  `json:"amount"`
	Confirmed   bool              `json:"confirmed"`
	Families    []string          `json:"families"`
	Rules       []RuleHit         `json:"rules"`
	FindingIDs  []string          `json:"finding_ids"`
	Verify      []string          `json:"verify"`
}

// RuleInfo is what a lead needs from a rule.
type RuleInfo struct {
	Title, Family, Verify string
}

// RulesOf indexes rule metadata by id.
func RulesOf(rs []*rules.Rule) map[string]RuleInfo {
	m := make(map[string]RuleInfo, len(rs))
	for _, r := range rs {
		m[r.ID] = RuleInfo{Title: r.Title, Family: r.Family, Verify: r.Verify}
	}
	return m
}

// Input is what Build reads besides the findings.
type Input struct {
	Tables       map[string]*table.Table // persons, cadres, villages
	Rules        map[string]RuleInfo
	AsOf         civil.Date
	Dispositions *dispose.Applied // nil = none
}

// ID is a lead's stable id: a hash of its grouping key.
func ID(key string) string {
	h := sha256.Sum256([]byte("lead\x00" + key))
	return "L" + hex.EncodeToString(h[:8])
}

// KeyOf is the grouping key of a finding.
func KeyOf(f *findings.Finding) string {
	if f.Responsible != "" {
		return "person:" + f.Responsible
	}
	return "village:" + f.VillageID
}

// Build groups the findings that are not disposed of as false positives or
// suppressed into ranked leads, in a deterministic order.
//
// A lead's amounts are overflow-checked sums (money.Add): a sum that
// leaves int64 fen is an error naming the lead, never a wrapped negative
// amount (which made the score NaN and the JSON unwritable).
func Build(fs []*findings.Finding, in Input) ([]*Lead, error) {
	groups := map[string][]*findings.Finding{}
	var keys []string
	for _, f := range fs {
		if dispose.Excluded(f) {
			continue
		}
		k := KeyOf(f)
		if groups[k] == nil {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], f)
	}
	dir := newDirectory(in.Tables, in.AsOf)
	var out []*Lead
	for _, k := range keys {
		l, err := build(k, groups[k], in, dir)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	dir.resolve(out)
	Sort(out)
	return out, nil
}

func build(key string, fs []*findings.Finding, in Input, dir *directory) (*Lead, error) {
	l := &Lead{LeadID: ID(key), Key: key, VillageID: leadVillage(fs)}
	if pid, ok := cutPrefix(key, "person:"); ok {
		l.Kind = "person"
		l.Person = &Person{PersonID: pid}
		dir.want(pid)
	} else {
		l.Kind = "village"
		for _, c := range dir.contacts(l.VillageID) {
			l.Contacts = append(l.Contacts, c)
			dir.want(c.PersonID)
		}
	}
	t := tallyFindings(l, fs, in)
	if in.Dispositions.ConfirmedLead(l.LeadID) {
		l.Confirmed = true
	}
	if err := t.score(l); err != nil {
		return nil, err
	}
	l.Verify = verifyList(l.Rules, in, t.first)
	return l, nil
}

// leadVillage is where most of a lead's findings are (ties: lowest id).
func leadVillage(fs []*findings.Finding) string {
	count := map[string]int{}
	for _, f := range fs {
		count[f.VillageID]++
	}
	best := ""
	for v, n := range count {
		if best == "" || n > count[best] || (n == count[best] && v < best) {
			best = v
		}
	}
	return best
}

// Sort orders leads: confirmed first, then score, amount, id; and numbers
// them.
func Sort(ls []*Lead) {
	sort.SliceStable(ls, func(i, j int) bool {
		a, b := ls[i], ls[j]
		if a.Confirmed != b.Confirmed {
			return a.Confirmed
		}
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		if fa, fb := fen(a.Amount), fen(b.Amount); fa != fb {
			return fa > fb
		}
		return a.LeadID < b.LeadID
	})
	for i, l := range ls {
		l.Rank = i + 1
	}
}

func fen(a *findings.Amount) int64 {
	if a == nil {
		return 0
	}
	return a.Fen
}

func cutPrefix(s, p string) (string, bool) {
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):], true
	}
	return s, false
}

// WriteJSONL writes one lead a line (deterministic bytes).
func WriteJSONL(w io.Writer, ls []*Lead) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for _, l := range ls {
		if err := enc.Encode(l); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// ReadJSONL reads leads written by WriteJSONL.
func ReadJSONL(r io.Reader) ([]*Lead, error) {
	var out []*Lead
	dec := json.NewDecoder(r)
	for dec.More() {
		l := &Lead{}
		if err := dec.Decode(l); err != nil {
			return out, err
		}
		out = append(out, l)
	}
	return out, nil
}
