package rules

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

type parser struct {
	file  string
	src   []byte
	lines [][]byte
	errs  Errors
}

func newParser(file string, src []byte) *parser {
	return &parser{file: file, src: src, lines: bytes.Split(src, []byte("\n"))}
}

func (p *parser) pos(n *yaml.Node) Pos { return Pos{p.file, n.Line, n.Column} }

func (p *parser) at(n *yaml.Node, format string, args ...any) *Error {
	return &Error{Pos: p.pos(n), Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	p.errs = append(p.errs, p.at(n, format, args...))
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

func (p *parser) yamlError(err error) *Error {
	line := 1
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
	}
	return &Error{Pos: Pos{p.file, line, 1}, Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
}

// fields walks a mapping, calling the handler for each known key and
// reporting unknown and repeated keys.
func (p *parser) fields(n *yaml.Node, what string, handlers map[string]func(v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s: want a mapping", what)
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		h, ok := handlers[k.Value]
		if !ok {
			known := make([]string, 0, len(handlers))
			for name := range handlers {
				known = append(known, name)
			}
			sort.Strings(known)
			p.errorf(k, "%s: unknown field %q (known: %s)", what, k.Value, strings.Join(known, ", "))
			continue
		}
		if seen[k.Value] {
			p.errorf(k, "%s: field %q given twice", what, k.Value)
			continue
		}
		seen[k.Value] = true
		h(v)
	}
}

// each calls fn for every item of a sequence node, or reports want (e.g.
// "rules: want a list of rules") at the node when it is not a list.
func (p *parser) each(n *yaml.Node, want string, fn func(item *yaml.Node)) {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "%s", want)
		return
	}
	for _, item := range n.Content {
		fn(item)
	}
}

func (p *parser) str(n *yaml.Node, what string) string {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errorf(n, "%s: want a string", what)
		return ""
	}
	return n.Value
}

func (p *parser) boolean(n *yaml.Node, what string) bool {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		p.errorf(n, "%s: want true or false", what)
		return false
	}
	return n.Value == "true"
}

func (p *parser) strs(n *yaml.Node, what string) []string {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "%s: want a list of strings", what)
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		out = append(out, p.str(c, what))
	}
	return out
}

func (p *parser) oneOf(n *yaml.Node, what string, allowed []string) string {
	s := p.str(n, what)
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	if s != "" || n.Kind == yaml.ScalarNode {
		p.errorf(n, "%s: %q is not one of %s", what, s, strings.Join(allowed, ", "))
	}
	return s
}

// expr captures a scalar's text with the position its content starts at.
func (p *parser) expr(n *yaml.Node, what string) Expr {
	s := p.str(n, what)
	e := Expr{Src: s, Pos: p.pos(n)}
	switch n.Style {
	case yaml.LiteralStyle, yaml.FoldedStyle:
		e.Block = true
		if n.Line < len(p.lines) { // content starts on the next line
			l := p.lines[n.Line]
			e.Indent = len(l) - len(bytes.TrimLeft(l, " "))
		}
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		e.Quoted = true
	}
	if strings.TrimSpace(s) == "" && n.Kind == yaml.ScalarNode {
		p.errorf(n, "%s: must not be empty", what)
	}
	return e
}

// nodeText re-serialises a node canonically (comments and layout do not
// change the hash).
func (p *parser) nodeText(n *yaml.Node) string {
	c := *n
	c.HeadComment, c.LineComment, c.FootComment = "", "", ""
	b, err := yaml.Marshal(&c)
	if err != nil {
		return ""
	}
	return string(b)
}

// value reads a param or setting value: int64, float64, bool, string or
// []string.
func (p *parser) value(v *yaml.Node, what string) (any, bool) {
	switch v.Kind {
	case yaml.ScalarNode:
		switch v.Tag {
		case "!!int":
			i, err := strconv.ParseInt(strings.ReplaceAll(v.Value, "_", ""), 0, 64)
			if err != nil {
				p.errorf(v, "%s: %v", what, err)
				return nil, false
			}
			return i, true
		case "!!float":
			f, err := strconv.ParseFloat(v.Value, 64)
			if err != nil {
				p.errorf(v, "%s: %v", what, err)
				return nil, false
			}
			return f, true
		case "!!bool":
			return v.Value == "true", true
		case "!!str":
			return v.Value, true
		}
	case yaml.SequenceNode:
		return p.strs(v, what), true
	}
	p.errorf(v, "%s: want a number, string, bool or list of strings", what)
	return nil, false
}
