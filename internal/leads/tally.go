package leads

import (
	"fmt"
	"math"
	"sort"

	"github.com/neijiang/xiaowei/internal/dispose"
	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/money"
)

// ruleAcc gathers one rule's findings of a lead: the hit, and the largest
// amount per subject (a subject found twice counts once).
type ruleAcc struct {
	hit      RuleHit
	subjects map[string]int64
}

// tally is a lead's findings gathered by rule.
type tally struct {
	byRule    map[string]*ruleAcc
	first     map[string]map[string]any // rule -> evidence of its first finding
	ruleOrder []string
	subjects  map[string]int64 // largest amount per subject, over all rules
	fams      map[string]bool
}

// tallyFindings gathers fs by rule, and sets the lead's finding ids,
// severity and confirmation as it goes.
func tallyFindings(l *Lead, fs []*findings.Finding, in Input) *tally {
	t := &tally{byRule: map[string]*ruleAcc{}, first: map[string]map[string]any{}, subjects: map[string]int64{}, fams: map[string]bool{}}
	for _, f := range fs {
		l.FindingIDs = append(l.FindingIDs, f.FindingID)
		if f.Disposition == dispose.Confirmed {
			l.Confirmed = true
		}
		a := t.byRule[f.RuleID]
		if a == nil {
			info := in.Rules[f.RuleID]
			title := f.Title
			if title == "" {
				title = info.Title
			}
			a = &ruleAcc{hit: RuleHit{RuleID: f.RuleID, Title: title, Family: f.Family, Severity: f.Severity}, subjects: map[string]int64{}}
			t.byRule[f.RuleID] = a
			t.first[f.RuleID] = f.Evidence
			t.ruleOrder = append(t.ruleOrder, f.RuleID)
		}
		a.hit.Findings++
		if f.Severity.Rank() > a.hit.Severity.Rank() {
			a.hit.Severity = f.Severity
		}
		if f.Severity.Rank() > l.Severity.Rank() {
			l.Severity = f.Severity
		}
		t.fams[f.Family] = true
		if f.Amount != nil {
			if f.Amount.Fen > a.subjects[f.Subject] {
				a.subjects[f.Subject] = f.Amount.Fen
			}
			if f.Amount.Fen > t.subjects[f.Subject] {
				t.subjects[f.Subject] = f.Amount.Fen
			}
		}
	}
	return t
}

// score sets the lead's rule hits (in rule id order), families, score
// and amount from the tally.
func (t *tally) score(l *Lead) error {
	sort.Strings(t.ruleOrder)
	score := 0.0
	for _, id := range t.ruleOrder {
		a := t.byRule[id]
		var sum money.Sum
		for _, v := range a.subjects {
			sum.Add(v)
		}
		if sum.Err != nil {
			return fmt.Errorf("lead %s, rule %s: %w", l.LeadID, id, sum.Err) // the id, not the key: a key holds a person id
		}
		fen := sum.Total
		if len(a.subjects) > 0 {
			a.hit.Amount = &findings.Amount{Fen: fen}
		}
		rs := RuleScore(a.hit.Severity, fen, a.hit.Findings)
		a.hit.Score = round1(rs)
		score += rs
		l.Rules = append(l.Rules, a.hit)
	}
	for fam := range t.fams {
		l.Families = append(l.Families, fam)
	}
	sort.Strings(l.Families)
	score += PerExtraRule*float64(len(l.Rules)-1) + PerExtraFamily*float64(len(l.Families)-1)
	l.Score = round1(score)
	var total money.Sum
	for _, v := range t.subjects {
		total.Add(v)
	}
	if total.Err != nil {
		return fmt.Errorf("lead %s: %w", l.LeadID, total.Err)
	}
	if len(t.subjects) > 0 {
		l.Amount = &findings.Amount{Fen: total.Total}
	}
	return nil
}

// RuleScore is one rule's part of a lead's score.
func RuleScore(severity findings.Severity, fen int64, n int) float64 {
	yuan := float64(fen) / 100
	return Weights[severity] * (1 + math.Log10(1+yuan/AmountUnit)) * (1 + RepeatFactor*math.Log2(float64(max(n, 1))))
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }
