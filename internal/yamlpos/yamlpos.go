// Package yamlpos reads the small YAML files that configure a run (a
// campaign file, the serve config) strictly, and reports every problem the
// way rule files do: file:line:col: message, all at once. Rule and mapping
// files have their own walkers (internal/rules, internal/source) because
// their shapes are richer; they use the same message style.
package yamlpos

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Error is one problem at a 1-based line and column of a file.
type Error struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg) }

// Errors is every problem found, in file order.
type Errors []*Error

func (es Errors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Err is es as an error, nil when there is none (so a nil Errors never
// becomes a non-nil error interface).
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	slices.SortStableFunc(es, func(a, b *Error) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Col - b.Col
	})
	return es
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// Syntax places a YAML parser error. The parser gives a line, not a
// column, so the column is 1 (as for rule files).
func Syntax(file string, err error) *Error {
	line := 1
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
	}
	msg := yamlLine.ReplaceAllString(strings.TrimPrefix(err.Error(), "yaml: "), "")
	msg = strings.TrimPrefix(strings.TrimSpace(msg), ": ")
	return &Error{File: file, Line: line, Col: 1, Msg: "invalid YAML: " + msg}
}

// Doc is a decoded file with the position of every value, by path
// ("campaign.from", "campaigns[1].name"), for the caller's own checks.
type Doc struct {
	File string
	root *yaml.Node
	pos  map[string]*yaml.Node
}

// At is a problem with the value at path; a path that was not written
// (a missing required field) is placed at its nearest written parent.
func (d *Doc) At(path, format string, args ...any) *Error {
	n := d.root
	for p := path; ; {
		if v, ok := d.pos[p]; ok {
			n = v
			break
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	line, col := 1, 1
	if n != nil {
		line, col = n.Line, n.Column
	}
	return &Error{File: d.File, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

// Decode reads src into v (a pointer to a struct) strictly: an unknown or
// repeated key, or a value of the wrong shape or type, is an error at its
// position; every one is returned. Struct fields are named by their yaml
// tag. A type with UnmarshalYAML or UnmarshalText decodes itself, and its
// error is placed at its value. An empty document leaves v as it is.
func Decode(file string, src []byte, v any) (*Doc, Errors) {
	d := &Doc{File: file, pos: map[string]*yaml.Node{}}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(src)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return d, nil
		}
		return d, Errors{Syntax(file, err)}
	}
	d.root = &doc
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		d.root = doc.Content[0]
	}
	w := &walker{doc: d}
	w.value(d.root, reflect.ValueOf(v).Elem(), "")
	return d, w.errs
}

type walker struct {
	doc  *Doc
	errs Errors
}

func (w *walker) errorf(n *yaml.Node, format string, args ...any) {
	w.errs = append(w.errs, &Error{File: w.doc.File, Line: n.Line, Col: n.Column, Msg: fmt.Sprintf(format, args...)})
}

var (
	unmarshalerType     = reflect.TypeFor[yaml.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// label is how a message names the value at path ("campaign.from"); the
// document itself is "document".
func label(path string) string {
	if path == "" {
		return "document"
	}
	return path
}

func (w *walker) value(n *yaml.Node, rv reflect.Value, path string) {
	w.doc.pos[path] = n
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	null := n.Kind == yaml.ScalarNode && n.Tag == "!!null"
	if rv.CanAddr() && (rv.Addr().Type().Implements(unmarshalerType) || rv.Addr().Type().Implements(textUnmarshalerType)) {
		if err := n.Decode(rv.Addr().Interface()); err != nil {
			w.errorf(n, "%s: %s", label(path), cleanDecodeError(err))
		}
		return
	}
	switch rv.Kind() {
	case reflect.Pointer:
		if null {
			return
		}
		if rv.IsNil() {
			rv.Set(reflect.New(rv.Type().Elem()))
		}
		w.value(n, rv.Elem(), path)
	case reflect.Struct:
		w.structure(n, rv, path)
	case reflect.Slice:
		if null {
			return
		}
		if n.Kind != yaml.SequenceNode {
			w.errorf(n, "%s: want a list", label(path))
			return
		}
		s := reflect.MakeSlice(rv.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			w.value(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		rv.Set(s)
	case reflect.Map:
		w.mapping(n, rv, path)
	default:
		if n.Kind != yaml.ScalarNode {
			w.errorf(n, "%s: want a single value (%s), not a %s", label(path), kindName(rv.Kind()), nodeKind(n))
			return
		}
		if null {
			return
		}
		if err := n.Decode(rv.Addr().Interface()); err != nil {
			w.errorf(n, "%s: %q is not %s", label(path), n.Value, kindName(rv.Kind()))
		}
	}
}

func (w *walker) structure(n *yaml.Node, rv reflect.Value, path string) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if n.Kind != yaml.MappingNode {
		w.errorf(n, "%s: want a mapping", label(path))
		return
	}
	fields := map[string]int{}
	var known []string
	t := rv.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields[name] = i
		known = append(known, name)
	}
	slices.Sort(known)
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		fi, ok := fields[k.Value]
		switch {
		case !ok:
			w.errorf(k, "%s: unknown field %q (known: %s)", label(path), k.Value, strings.Join(known, ", "))
		case seen[k.Value]:
			w.errorf(k, "%s: field %q given twice", label(path), k.Value)
		default:
			seen[k.Value] = true
			w.value(v, rv.Field(fi), join(path, k.Value))
		}
	}
}

func (w *walker) mapping(n *yaml.Node, rv reflect.Value, path string) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if n.Kind != yaml.MappingNode {
		w.errorf(n, "%s: want a mapping", label(path))
		return
	}
	m := reflect.MakeMapWithSize(rv.Type(), len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		kv := reflect.New(rv.Type().Key()).Elem()
		w.value(k, kv, join(path, k.Value))
		if m.MapIndex(kv).IsValid() {
			w.errorf(k, "%s: key %q given twice", label(path), k.Value)
			continue
		}
		vv := reflect.New(rv.Type().Elem()).Elem()
		w.value(v, vv, join(path, k.Value))
		m.SetMapIndex(kv, vv)
	}
	rv.Set(m)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func kindName(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a " + k.String()
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return "value"
}

// cleanDecodeError drops the "yaml: " and "line N: " prefixes a decoder
// error carries: the position is already in front of the message.
func cleanDecodeError(err error) string {
	s := strings.TrimPrefix(err.Error(), "yaml: ")
	s = yamlLine.ReplaceAllString(s, "")
	return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), ":"))
}
