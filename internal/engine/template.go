package engine

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/money"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/table"
)

// A template is text with {{name}} placeholders: a view column, params.x,
// as_of, from or to; {{label col}} shows an enum column's Chinese label
// (declared as `values: {direct: 直接委托, ...}`) instead of its code. Templates build subjects, periods and messages; they
// are resolved only for rows that fired, straight from the Arrow columns.
type template struct {
	parts []tplPart
}

type tplPart struct {
	lit   string
	col   int               // view column index, or -1
	label map[string]string // {{label col}}: the column's value labels
	param string            // params.<name>
	glob  string            // as_of, from, to
}

// parseTemplate resolves every placeholder against the view's columns and
// the rule's params; unknown names are errors at their file position.
func parseTemplate(src rules.Expr, cols []table.Col, params map[string]any, what string) (*template, rules.Errors) {
	t := &template{}
	var errs rules.Errors
	s := src.Src
	line, col := 1, 0
	advance := func(text string) {
		for _, r := range text {
			if r == '\n' {
				line++
				col = 0
			} else {
				col++
			}
		}
	}
	for len(s) > 0 {
		i := strings.Index(s, "{{")
		if i < 0 {
			t.parts = append(t.parts, tplPart{lit: s, col: -1})
			break
		}
		if i > 0 {
			t.parts = append(t.parts, tplPart{lit: s[:i], col: -1})
			advance(s[:i])
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			errs = append(errs, &rules.Error{Pos: src.At(line, col), Msg: what + ": unclosed {{"})
			break
		}
		name := strings.TrimSpace(s[i+2 : i+j])
		part := tplPart{col: -1}
		switch {
		case strings.HasPrefix(name, "params."):
			part.param = strings.TrimPrefix(name, "params.")
			if _, ok := params[part.param]; !ok {
				errs = append(errs, &rules.Error{Pos: src.At(line, col+2), Msg: fmt.Sprintf("%s: rule has no param %q", what, part.param)})
			}
		case name == "as_of" || name == "from" || name == "to":
			part.glob = name
		case strings.HasPrefix(name, "label "):
			cn := strings.TrimSpace(strings.TrimPrefix(name, "label "))
			at := src.At(line, col+2+strings.Index(s[i+2:i+j], cn))
			k := columnIndex(cols, cn)
			switch {
			case k < 0:
				errs = append(errs, &rules.Error{Pos: at, Msg: fmt.Sprintf("%s: unknown column %q in {{label %s}}%s", what, cn, cn, didYouMean(cn, colNames(cols)))})
			case cols[k].Kind != contract.Enum || len(cols[k].Labels) == 0:
				errs = append(errs, &rules.Error{Pos: at, Msg: fmt.Sprintf("%s: {{label %s}}: column %q is %s; only an enum with labels has them (declared as values: {code: 中文标签, ...})", what, cn, cn, kindName(cols[k]))})
			default:
				part.col, part.label = k, cols[k].Labels
			}
		default:
			if part.col = columnIndex(cols, name); part.col < 0 {
				errs = append(errs, &rules.Error{Pos: src.At(line, col+2), Msg: fmt.Sprintf("%s: unknown column %q in {{%s}}%s", what, name, name, didYouMean(name, colNames(cols)))})
			}
		}
		t.parts = append(t.parts, part)
		advance(s[i : i+j+2])
		s = s[i+j+2:]
	}
	return t, errs
}

// globals are the run-wide values templates can name.
type globals struct{ asOf, from, to civil.Date }

// render writes the template for row i. grouped formats money with
// thousands separators (messages); subjects and periods use plain forms.
func (t *template) render(b *strings.Builder, tb *table.Table, i int, ps *paramSet, g globals, grouped bool) {
	for _, p := range t.parts {
		switch {
		case p.label != nil:
			formatLabel(b, tb.Rec.Column(p.col), i, p.label)
		case p.col >= 0:
			formatCell(b, tb.Cols[p.col].Kind, tb.Rec.Column(p.col), i, grouped)
		case p.param != "":
			b.WriteString(formatValue(ps.values[p.param]))
		case p.glob != "":
			d := map[string]civil.Date{"as_of": g.asOf, "from": g.from, "to": g.to}[p.glob]
			if d != 0 {
				b.WriteString(d.String())
			}
		default:
			b.WriteString(p.lit)
		}
	}
}

func (t *template) String(tb *table.Table, i int, ps *paramSet, g globals, grouped bool) string {
	var b strings.Builder
	t.render(&b, tb, i, ps, g, grouped)
	return b.String()
}

// kindName says what a column is for an error: an enum without labels is
// told apart from other kinds.
func kindName(c table.Col) string {
	if c.Kind == contract.Enum {
		return "an enum without labels"
	}
	return "a " + c.Kind.String() + " column"
}

// formatLabel writes an enum cell's label; a value without one (a view
// cannot make one, but data is data) is written as it is rather than lost.
func formatLabel(b *strings.Builder, a interface{ IsNull(int) bool }, i int, labels map[string]string) {
	s, ok := a.(*array.String)
	if !ok || s.IsNull(i) {
		return
	}
	v := s.Value(i)
	if l, ok := labels[v]; ok {
		b.WriteString(l)
		return
	}
	b.WriteString(v)
}

func formatValue(v any) string {
	switch x := v.(type) {
	case []string:
		return strings.Join(x, "、")
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}

func formatCell(b *strings.Builder, k contract.Kind, a interface{ IsNull(int) bool }, i int, grouped bool) {
	if a.IsNull(i) {
		return
	}
	switch x := a.(type) {
	case *array.String:
		b.WriteString(x.Value(i))
	case *array.Int64:
		if k == contract.Money {
			if grouped {
				b.WriteString(money.Grouped(x.Value(i)))
			} else {
				b.WriteString(money.Format(x.Value(i)))
			}
		} else {
			b.WriteString(strconv.FormatInt(x.Value(i), 10))
		}
	case *array.Float64:
		b.WriteString(strconv.FormatFloat(x.Value(i), 'f', -1, 64))
	case *array.Date32:
		b.WriteString(civil.Date(x.Value(i)).String())
	case *array.Boolean:
		if x.Value(i) {
			b.WriteString("是")
		} else {
			b.WriteString("否")
		}
	}
}

// cellValue is a cell as evidence: money as an exact JSON number, dates as
// strings, null as nil.
func cellValue(k contract.Kind, a interface{ IsNull(int) bool }, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch x := a.(type) {
	case *array.String:
		// a copy: Value points into the view's buffer, which a finding
		// would otherwise keep alive (or outlive) after the run releases
		// the view
		return strings.Clone(x.Value(i))
	case *array.Int64:
		if k == contract.Money {
			return moneyJSON(x.Value(i))
		}
		return x.Value(i)
	case *array.Float64:
		return x.Value(i)
	case *array.Date32:
		return civil.Date(x.Value(i)).String()
	case *array.Boolean:
		return x.Value(i)
	}
	return nil
}
