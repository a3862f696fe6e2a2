package engine

import (
	"fmt"
	"strings"

	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/money"
	"github.com/neijiang/xiaowei/internal/table"
)

// finding builds the finding for a row that fired.
func (ev *evaluator) finding(c *Compiled, t *table.Table, i int, village string, ps *paramSet, g globals, e *env) (*findings.Finding, error) {
	r := c.Rule
	// village is read from the view without copying: a copy, so that the
	// finding does not pin the view's column (cellValue copies likewise)
	f := &findings.Finding{
		RuleID: r.ID, Family: r.Family, Severity: ps.severity, VillageID: strings.Clone(village), Title: r.Title,
		RuleHash: r.Hash, Order: i, TownID: ev.opt.Towns[village],
	}
	for _, esc := range c.escalate {
		out, err := ev.vm.Run(esc.when, e.ptr)
		if err != nil {
			return nil, fmt.Errorf("escalate: %w", err)
		}
		if b, _ := out.(bool); b && esc.severity.Rank() > f.Severity.Rank() {
			f.Severity = esc.severity
			break
		}
	}
	f.Subject = c.subject.String(t, i, ps, g, false)
	if c.period != nil {
		f.Period = c.period.String(t, i, ps, g, false)
	}
	f.Message = c.message.String(t, i, ps, g, true)
	if c.responsible != nil {
		f.Responsible = c.responsible.String(t, i, ps, g, false)
	}
	switch {
	case c.amountCol >= 0:
		a := t.Rec.Column(c.amountCol)
		if a.IsValid(i) {
			f.Amount = &findings.Amount{Fen: t.Money(t.Cols[c.amountCol].Name).Value(i)}
		}
	case c.amount != nil:
		out, err := ev.vm.Run(c.amount, e.ptr)
		if err != nil {
			return nil, fmt.Errorf("amount: %w", err)
		}
		switch x := out.(type) {
		case float64:
			fen, err := money.FromYuanChecked(x)
			if err != nil {
				return nil, fmt.Errorf("amount: %w", err)
			}
			f.Amount = &findings.Amount{Fen: fen}
		case int:
			if int64(x) > money.MaxFen/100 || int64(x) < -money.MaxFen/100 {
				return nil, fmt.Errorf("amount: %d yuan is out of range: at most 999,999,999,999.99 yuan", x)
			}
			f.Amount = &findings.Amount{Fen: int64(x) * 100}
		case nil:
		default:
			return nil, fmt.Errorf("amount: want a number of yuan, got %T", out)
		}
	}
	ev1 := make(map[string]any, len(c.evidence)+2)
	for _, k := range c.evidence {
		ev1[t.Cols[k].Name] = cellValue(t.Cols[k].Kind, t.Rec.Column(k), i)
	}
	if len(ps.evidence) > 0 {
		ev1["params"] = ps.evidence
	}
	if ps.scope != "default" {
		ev1["params_scope"] = ps.scope
	}
	f.Evidence = ev1
	f.FindingID = findings.ID(r.ID, f.Subject, f.Period)
	return f, nil
}
