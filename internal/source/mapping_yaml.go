package source

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/yamlpos"
)

type mapErrs struct {
	path string
	list yamlpos.Errors
}

// add reports a problem at n's line and column, in the style of rule files
// (file:line:col: message).
func (e *mapErrs) add(n *yaml.Node, format string, args ...any) {
	e.list = append(e.list, &yamlpos.Error{File: e.path, Line: n.Line, Col: n.Column, Msg: fmt.Sprintf(format, args...)})
}

// mappingError is every problem of a mapping file, one file:line:col a
// line in file order, like rule files; it is ErrMapping (exit 2).
type mappingError struct{ errs yamlpos.Errors }

func (e *mappingError) Error() string { return e.errs.Err().Error() }

func (e *mappingError) Is(target error) bool { return target == ErrMapping }

func (e *mappingError) Unwrap() error { return e.errs.Err() }

func eachKey(n *yaml.Node, errs *mapErrs, allowed []string, fn func(k string, kn, v *yaml.Node)) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !slices.Contains(allowed, k.Value) {
			errs.add(k, "unknown key %q (want one of: %s)", k.Value, strings.Join(allowed, ", "))
			continue
		}
		fn(k.Value, k, n.Content[i+1])
	}
}

// firstNonUTF8 finds the first byte that is not UTF-8 (a mapping saved as
// GBK): YAML would report it at 1:1.
func firstNonUTF8(src []byte) (line, col int, b byte, bad bool) {
	if utf8.Valid(src) {
		return 0, 0, 0, false
	}
	line, col = 1, 1
	for i := 0; i < len(src); {
		r, n := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && n <= 1 {
			return line, col, src[i], true
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += n
	}
	return 0, 0, 0, false
}

// dupKeys reports every key given twice in any mapping of the document,
// as the rule parser does: YAML keeps the last silently, so a column
// mapped twice would quietly read the wrong source column.
func dupKeys(n *yaml.Node, errs *mapErrs, where string) {
	if n.Kind == yaml.MappingNode {
		first := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			name := k.Value
			if where != "" {
				name = where + "." + k.Value
			}
			if line, ok := first[k.Value]; ok {
				errs.add(k, "%s given twice (first on line %d)", name, line)
			} else {
				first[k.Value] = k.Line
			}
			dupKeys(n.Content[i+1], errs, name)
		}
		return
	}
	for _, c := range n.Content {
		dupKeys(c, errs, where)
	}
}

// eachColumnKey walks a mapping keyed by contract column names (any table).
func eachColumnKey(n *yaml.Node, errs *mapErrs, where string, fn func(col string, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		errs.add(n, "%s: want a mapping keyed by contract column names", where)
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		col := n.Content[i].Value
		found := false
		for _, t := range contract.All() {
			if _, ok := t.Column(col); ok {
				found = true
			}
		}
		if !found {
			errs.add(n.Content[i], "%s.%s: no contract table has a column %s", where, col, col)
			continue
		}
		fn(col, n.Content[i+1])
	}
}

func strings1(n *yaml.Node, errs *mapErrs, where string) ([]string, bool) {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Value == "" {
			errs.add(n, "%s: empty name", where)
			return nil, false
		}
		return []string{n.Value}, true
	case yaml.SequenceNode:
		var out []string
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode || c.Value == "" {
				errs.add(c, "%s: want header names", where)
				return nil, false
			}
			out = append(out, c.Value)
		}
		if len(out) == 0 {
			errs.add(n, "%s: empty list", where)
			return nil, false
		}
		return out, true
	}
	errs.add(n, "%s: want a header name or a list of them", where)
	return nil, false
}

func valueMap(n *yaml.Node, errs *mapErrs, where string) map[string]string {
	if n.Kind != yaml.MappingNode {
		errs.add(n, "%s: want source value: contract value pairs", where)
		return nil
	}
	vm := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			errs.add(v, "%s.%s: want a contract value", where, k.Value)
			continue
		}
		vm[k.Value] = v.Value
	}
	return vm
}
