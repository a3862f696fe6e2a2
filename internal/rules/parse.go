package rules

import (
	"regexp"

	"go.yaml.in/yaml/v3"

	"github.com/neijiang/xiaowei/internal/findings"
)

var idPattern = regexp.MustCompile(`^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$`)
var namePattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

func (p *parser) ruleFile(doc *yaml.Node) *File {
	f := &File{Path: p.file}
	p.fields(doc, "rule file", map[string]func(*yaml.Node){
		"rules": func(v *yaml.Node) {
			p.each(v, "rules: want a list of rules", func(rn *yaml.Node) {
				f.Rules = append(f.Rules, p.rule(rn))
			})
		},
		"settings": func(v *yaml.Node) { f.Settings = p.settings(v) },
		"tables":   func(v *yaml.Node) { f.Tables = p.tables(v) },
		"views":    func(v *yaml.Node) { f.Views = p.views(v) },
	})
	return f
}

func (p *parser) rule(n *yaml.Node) *Rule {
	r := &Rule{Pos: p.pos(n), Enabled: true, Status: "stable"}
	var has = map[string]bool{}
	mark := func(name string, h func(v *yaml.Node)) func(v *yaml.Node) {
		return func(v *yaml.Node) { has[name] = true; h(v) }
	}
	p.fields(n, "rule", map[string]func(*yaml.Node){
		"id": mark("id", func(v *yaml.Node) {
			r.ID = p.str(v, "id")
			if r.ID != "" && !idPattern.MatchString(r.ID) {
				p.errorf(v, "id: %q must be upper-case words joined by '-', like CASH-LARGE", r.ID)
			}
		}),
		"title":       mark("title", func(v *yaml.Node) { r.Title = p.str(v, "title") }),
		"description": func(v *yaml.Node) { r.Description = p.str(v, "description") },
		"family": mark("family", func(v *yaml.Node) {
			r.Family = p.str(v, "family")
			if r.Family != "" && !namePattern.MatchString(r.Family) {
				p.errorf(v, "family: %q must be lower_snake_case", r.Family)
			}
		}),
		"severity": mark("severity", func(v *yaml.Node) { r.Severity = findings.Severity(p.oneOf(v, "severity", severityNames)) }),
		"on":       mark("on", func(v *yaml.Node) { r.On = p.str(v, "on"); r.OnPos = p.pos(v) }),
		"when":     mark("when", func(v *yaml.Node) { r.When = p.expr(v, "when") }),
		"params":   func(v *yaml.Node) { r.Params = p.params(v) },
		"subject":  mark("subject", func(v *yaml.Node) { r.Subject = p.expr(v, "subject") }),
		"period":   func(v *yaml.Node) { r.Period = p.expr(v, "period") },
		"amount":   func(v *yaml.Node) { r.Amount = p.expr(v, "amount") },
		"responsible": func(v *yaml.Node) {
			r.Responsible = p.expr(v, "responsible")
		},
		"message": mark("message", func(v *yaml.Node) { r.Message = p.expr(v, "message") }),
		"verify":  func(v *yaml.Node) { r.Verify = p.str(v, "verify") },
		"escalate": func(v *yaml.Node) {
			p.each(v, "escalate: want a list of {when, severity}", func(en *yaml.Node) {
				e := Escalation{Pos: p.pos(en)}
				p.fields(en, "escalate", map[string]func(*yaml.Node){
					"when":     func(v *yaml.Node) { e.When = p.expr(v, "escalate.when") },
					"severity": func(v *yaml.Node) { e.Severity = findings.Severity(p.oneOf(v, "escalate.severity", severityNames)) },
				})
				if e.When.Src == "" || e.Severity == "" {
					p.errorf(en, "escalate: needs both when and severity")
				}
				r.Escalate = append(r.Escalate, e)
			})
		},
		"evidence": func(v *yaml.Node) {
			r.Evidence = p.strs(v, "evidence")
			if len(r.Evidence) == len(v.Content) {
				for _, c := range v.Content {
					r.EvidencePos = append(r.EvidencePos, p.pos(c))
				}
			}
		},
		"tags":            func(v *yaml.Node) { r.Tags = p.strs(v, "tags") },
		"references":      func(v *yaml.Node) { r.References = p.strs(v, "references") },
		"false_positives": func(v *yaml.Node) { r.FalsePositives = p.strs(v, "false_positives") },
		"status":          func(v *yaml.Node) { r.Status = p.oneOf(v, "status", Statuses) },
		"enabled":         func(v *yaml.Node) { r.Enabled = p.boolean(v, "enabled") },
	})
	for _, f := range []string{"id", "title", "family", "severity", "on", "when", "subject", "message"} {
		if !has[f] && n.Kind == yaml.MappingNode {
			p.errorf(n, "rule %s: missing required field %q", r.ID, f)
		}
	}
	// The hash covers the rule's own text so the manifest can tell which
	// version of a rule produced a finding.
	r.Hash = hashText([]byte(p.nodeText(n)))[:16]
	return r
}

func (p *parser) params(n *yaml.Node) []Param {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "params: want a mapping of name: value")
		return nil
	}
	var out []Param
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !namePattern.MatchString(k.Value) {
			p.errorf(k, "params: name %q must be lower_snake_case", k.Value)
			continue
		}
		if seen[k.Value] {
			p.errorf(k, "params: %q given twice", k.Value)
			continue
		}
		seen[k.Value] = true
		val, ok := p.value(v, "params."+k.Value)
		if ok {
			out = append(out, Param{Name: k.Value, Value: val, Pos: p.pos(v)})
		}
	}
	return out
}

func (p *parser) settings(n *yaml.Node) Settings {
	out := Settings{}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "settings: want a mapping of detector: {setting: value}")
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.MappingNode {
			p.errorf(v, "settings.%s: want a mapping of setting: value", k.Value)
			continue
		}
		m := map[string]Setting{}
		for j := 0; j+1 < len(v.Content); j += 2 {
			sk, sv := v.Content[j], v.Content[j+1]
			if _, dup := m[sk.Value]; dup {
				p.errorf(sk, "settings.%s: %q given twice", k.Value, sk.Value)
				continue
			}
			if val, ok := p.value(sv, "settings."+k.Value+"."+sk.Value); ok {
				m[sk.Value] = Setting{Value: val, Pos: p.pos(sk)}
			}
		}
		out[k.Value] = m
	}
	return out
}

func (p *parser) overrideFile(doc *yaml.Node) *OverrideFile {
	f := &OverrideFile{Path: p.file}
	p.fields(doc, "override file", map[string]func(*yaml.Node){
		"overrides": func(v *yaml.Node) {
			p.each(v, "overrides: want a list", func(on *yaml.Node) {
				f.Overrides = append(f.Overrides, p.override(on))
			})
		},
	})
	return f
}

func (p *parser) override(n *yaml.Node) *Override {
	o := &Override{Pos: p.pos(n), File: p.file}
	p.fields(n, "override", map[string]func(*yaml.Node){
		"town_id":    func(v *yaml.Node) { o.Scope.TownID = p.str(v, "town_id") },
		"village_id": func(v *yaml.Node) { o.Scope.VillageID = p.str(v, "village_id") },
		"reason":     func(v *yaml.Node) { o.Reason = p.str(v, "reason") },
		"settings":   func(v *yaml.Node) { o.Settings = p.settings(v) },
		"rules": func(v *yaml.Node) {
			if v.Kind != yaml.MappingNode {
				p.errorf(v, "rules: want a mapping of rule id: {params, enabled, severity}")
				return
			}
			for i := 0; i+1 < len(v.Content); i += 2 {
				k, rv := v.Content[i], v.Content[i+1]
				ro := RuleOverride{RuleID: k.Value, Pos: p.pos(k)}
				p.fields(rv, "rules."+k.Value, map[string]func(*yaml.Node){
					"params": func(v *yaml.Node) { ro.Params = p.params(v) },
					"enabled": func(v *yaml.Node) {
						b := p.boolean(v, "enabled")
						ro.Enabled = &b
					},
					"severity": func(v *yaml.Node) { ro.Severity = findings.Severity(p.oneOf(v, "severity", severityNames)) },
				})
				o.Rules = append(o.Rules, ro)
			}
		},
	})
	if o.Scope.TownID != "" && o.Scope.VillageID != "" {
		p.errorf(n, "override: give town_id or village_id, not both (a village override beats its town's anyway)")
	}
	return o
}
