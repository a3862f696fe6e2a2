package rules

import (
	"github.com/neijiang/xiaowei/internal/findings"
	"go.yaml.in/yaml/v3"
)

// TestFile is a rule unit test file, like `promtool test rules`: small
// inline tables, and the findings the real engine must produce from them.
type TestFile struct {
	Path  string
	Cases []*TestCase
}

// TestCase is one test.
type TestCase struct {
	Name      string
	AsOf      string
	From, To  string
	Rules     []string          // rules to evaluate; default: those named in Expect
	Tables    map[string]Expr   // table name -> inline CSV (header row first)
	Overrides []*Override       // inline overrides, as in an override file
	Expect    []ExpectedFinding // exactly these findings of Rules, no others
	Pos       Pos
}

// ExpectedFinding is one finding a test expects; empty optional fields are
// not compared.
type ExpectedFinding struct {
	Rule     string
	Subject  string
	Severity findings.Severity
	Amount   string
	Period   string
	Pos      Pos
}

func (p *parser) testFile(doc *yaml.Node) *TestFile {
	f := &TestFile{Path: p.file}
	p.fields(doc, "test file", map[string]func(*yaml.Node){
		"tests": func(v *yaml.Node) {
			p.each(v, "tests: want a list", func(tn *yaml.Node) {
				f.Cases = append(f.Cases, p.testCase(tn))
			})
		},
	})
	return f
}

func (p *parser) testCase(n *yaml.Node) *TestCase {
	tc := &TestCase{Pos: p.pos(n), Tables: map[string]Expr{}}
	p.fields(n, "test", map[string]func(*yaml.Node){
		"name":  func(v *yaml.Node) { tc.Name = p.str(v, "name") },
		"as_of": func(v *yaml.Node) { tc.AsOf = p.str(v, "as_of") },
		"from":  func(v *yaml.Node) { tc.From = p.str(v, "from") },
		"to":    func(v *yaml.Node) { tc.To = p.str(v, "to") },
		"rules": func(v *yaml.Node) { tc.Rules = p.strs(v, "rules") },
		"tables": func(v *yaml.Node) {
			if v.Kind != yaml.MappingNode {
				p.errorf(v, "tables: want a mapping of table: inline CSV")
				return
			}
			for i := 0; i+1 < len(v.Content); i += 2 {
				tc.Tables[v.Content[i].Value] = p.expr(v.Content[i+1], "tables."+v.Content[i].Value)
			}
		},
		"overrides": func(v *yaml.Node) {
			p.each(v, "overrides: want a list", func(on *yaml.Node) {
				tc.Overrides = append(tc.Overrides, p.override(on))
			})
		},
		"expect": func(v *yaml.Node) {
			p.each(v, "expect: want a list of {rule, subject}", func(en *yaml.Node) {
				e := ExpectedFinding{Pos: p.pos(en)}
				p.fields(en, "expect", map[string]func(*yaml.Node){
					"rule":     func(v *yaml.Node) { e.Rule = p.str(v, "rule") },
					"subject":  func(v *yaml.Node) { e.Subject = p.str(v, "subject") },
					"severity": func(v *yaml.Node) { e.Severity = findings.Severity(p.oneOf(v, "severity", severityNames)) },
					"amount":   func(v *yaml.Node) { e.Amount = p.str(v, "amount") },
					"period":   func(v *yaml.Node) { e.Period = p.str(v, "period") },
				})
				if e.Rule == "" || e.Subject == "" {
					p.errorf(en, "expect: needs rule and subject")
				}
				tc.Expect = append(tc.Expect, e)
			})
		},
	})
	if tc.Name == "" {
		p.errorf(n, "test: missing required field \"name\"")
	}
	if tc.AsOf == "" {
		p.errorf(n, "test %s: missing required field \"as_of\"", tc.Name)
	}
	return tc
}
