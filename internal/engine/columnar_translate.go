package engine

import (
	"reflect"
	"strings"

	"github.com/expr-lang/expr/ast"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/table"
)

// The translator: a checked expr tree becomes a tree of vector nodes
// (columnar_leaves.go, columnar_ops.go), or nil when any node is outside
// the supported set and the rule runs on the VM.

// compileColumnar translates a checked `when` tree; nil means "use the VM".
func compileColumnar(root ast.Node, cols []table.Col, defaults map[string]any) *colExpr {
	b := &colBuilder{cols: cols, defaults: defaults, used: map[int]bool{}}
	n, ok := b.node(root)
	if !ok || n.kind() != vBool {
		return nil
	}
	ce := &colExpr{root: n, slots: b.slots + 1}
	for i := range cols {
		if b.used[i] {
			ce.cols = append(ce.cols, i)
		}
	}
	return ce
}

type colBuilder struct {
	cols     []table.Col
	defaults map[string]any
	used     map[int]bool
	slots    int
}

func (b *colBuilder) slot() int { b.slots++; return b.slots }

func kindOf(t reflect.Type) (vkind, bool) {
	if t == nil {
		return 0, false
	}
	switch t.Kind() {
	case reflect.Bool:
		return vBool, true
	case reflect.Int:
		return vInt, true
	case reflect.Float64:
		return vFloat, true
	case reflect.String:
		return vStr, true
	}
	return 0, false
}

func colKind(k contract.Kind) vkind {
	switch k {
	case contract.Money, contract.Float:
		return vFloat
	case contract.Date, contract.Int:
		return vInt
	case contract.Bool:
		return vBool
	default:
		return vStr
	}
}

// node translates one expr node: one case per supported node kind, so the
// switch is the supported set, read in one place; anything not listed
// falls back to the VM.
func (b *colBuilder) node(n ast.Node) (vnode, bool) {
	switch n := n.(type) {
	case *ast.BoolNode:
		return constBool(n.Value), true
	case *ast.IntegerNode:
		if k, ok := kindOf(n.Type()); ok && k == vFloat {
			return constFloat(float64(n.Value)), true
		}
		return constInt(n.Value), true
	case *ast.FloatNode:
		return constFloat(n.Value), true
	case *ast.StringNode:
		return constStr(n.Value), true
	case *ast.ConstantNode:
		return constant(n)
	case *ast.IdentifierNode:
		return b.ident(n)
	case *ast.MemberNode:
		return b.param(n)
	case *ast.CallNode:
		return b.call(n)
	case *ast.UnaryNode:
		return b.unary(n)
	case *ast.BinaryNode:
		return b.binary(n)
	}
	return nil, false
}

// constant is a constant the optimizer folded, of a supported kind.
func constant(n *ast.ConstantNode) (vnode, bool) {
	switch v := n.Value.(type) {
	case bool:
		return constBool(v), true
	case int:
		return constInt(v), true
	case float64:
		return constFloat(v), true
	case string:
		return constStr(v), true
	}
	return nil, false
}

// param is params.NAME for a declared param of a supported kind.
func (b *colBuilder) param(n *ast.MemberNode) (vnode, bool) {
	id, ok := n.Node.(*ast.IdentifierNode)
	prop, ok2 := n.Property.(*ast.StringNode)
	if !ok || !ok2 || id.Value != "params" || n.Optional || n.Method {
		return nil, false
	}
	k, ok := kindOf(n.Type())
	if !ok {
		return nil, false
	}
	if _, ok := b.defaults[prop.Value]; !ok {
		return nil, false
	}
	return &paramNode{name: prop.Value, k: k, slot: b.slot()}, true
}

// call translates the two calls that cannot fail on a row: checked integer
// + - * and day() of a literal.
func (b *colBuilder) call(n *ast.CallNode) (vnode, bool) {
	id, ok := n.Callee.(*ast.IdentifierNode)
	if !ok {
		return nil, false
	}
	// int + - * are overflow-checked calls (funcs.go): the same
	// arithmetic column-wise, with the overflow flagged.
	if op, isArith := map[string]byte{fnAdd: '+', fnSub: '-', fnMul: '*'}[id.Value]; isArith && len(n.Arguments) == 2 {
		l, ok := b.node(n.Arguments[0])
		if !ok || l.kind() != vInt {
			return nil, false
		}
		r, ok := b.node(n.Arguments[1])
		if !ok || r.kind() != vInt {
			return nil, false
		}
		return &arithNode{op: op, k: vInt, l: l, r: r, slot: b.slot(), checked: true}, true
	}
	// day("YYYY-MM-DD") with a literal is a constant date.
	if id.Value != "day" || len(n.Arguments) != 1 {
		return nil, false
	}
	s, ok := n.Arguments[0].(*ast.StringNode)
	if !ok {
		return nil, false
	}
	d, err := civil.Parse(s.Value)
	if err != nil {
		return nil, false
	}
	return constInt(int(d)), true
}

// unary translates not, negation and unary plus.
func (b *colBuilder) unary(n *ast.UnaryNode) (vnode, bool) {
	x, ok := b.node(n.Node)
	if !ok {
		return nil, false
	}
	switch n.Operator {
	case "!", "not":
		if x.kind() != vBool {
			return nil, false
		}
		return &notNode{x: x, slot: b.slot()}, true
	case "-":
		if x.kind() != vInt && x.kind() != vFloat {
			return nil, false
		}
		return &negNode{x: x, slot: b.slot()}, true
	case "+":
		if x.kind() != vInt && x.kind() != vFloat {
			return nil, false
		}
		return x, true
	}
	return nil, false
}

func (b *colBuilder) ident(n *ast.IdentifierNode) (vnode, bool) {
	name := n.Value
	if i := columnIndex(b.cols, name); i >= 0 {
		b.used[i] = true
		return &colNode{idx: i, k: colKind(b.cols[i].Kind), money: b.cols[i].Kind == contract.Money, slot: b.slot()}, true
	}
	if base, ok := strings.CutPrefix(name, "has_"); ok {
		if i := columnIndex(b.cols, base); i >= 0 {
			b.used[i] = true
			return &hasNode{idx: i, slot: b.slot()}, true
		}
	}
	switch name {
	case "as_of", "from", "to":
		return globalNode(name), true
	}
	return nil, false
}

func (b *colBuilder) binary(n *ast.BinaryNode) (vnode, bool) {
	l, ok := b.node(n.Left)
	if !ok {
		return nil, false
	}
	if n.Operator == "in" {
		return b.in(l, n.Right)
	}
	r, ok := b.node(n.Right)
	if !ok {
		return nil, false
	}
	lk, rk := l.kind(), r.kind()
	num := func(k vkind) bool { return k == vInt || k == vFloat }
	switch n.Operator {
	case "&&", "and", "||", "or":
		if lk != vBool || rk != vBool {
			return nil, false
		}
		return &logicNode{and: n.Operator == "&&" || n.Operator == "and", l: l, r: r, slot: b.slot()}, true
	case "==", "!=":
		neg := n.Operator == "!="
		switch {
		case num(lk) && num(rk):
			return &cmpNode{op: "==", neg: neg, l: l, r: r, slot: b.slot()}, true
		case lk == rk:
			return &cmpNode{op: "==", neg: neg, l: l, r: r, slot: b.slot()}, true
		default: // different kinds are never equal in expr
			return constBool(neg), true
		}
	case "<", "<=", ">", ">=":
		if (num(lk) && num(rk)) || (lk == vStr && rk == vStr) {
			return &cmpNode{op: n.Operator, l: l, r: r, slot: b.slot()}, true
		}
		return nil, false
	case "+", "-", "*", "/":
		if !num(lk) || !num(rk) {
			return nil, false
		}
		k := vInt
		if lk == vFloat || rk == vFloat || n.Operator == "/" {
			k = vFloat
		}
		if want, ok := kindOf(n.Type()); ok && want != k {
			return nil, false
		}
		return &arithNode{op: n.Operator[0], k: k, l: l, r: r, slot: b.slot()}, true
	case "contains", "startsWith", "endsWith":
		if lk != vStr || rk != vStr {
			return nil, false
		}
		return &strOpNode{op: n.Operator, l: l, r: r, slot: b.slot()}, true
	}
	return nil, false
}

// in supports a list of literals (as written, or as expr's optimizer turned
// it into a constant set) and a []string param.
func (b *colBuilder) in(l vnode, right ast.Node) (vnode, bool) {
	lk := l.kind()
	switch r := right.(type) {
	case *ast.ConstantNode:
		switch m := r.Value.(type) {
		case map[string]struct{}:
			if lk != vStr {
				return nil, false
			}
			return &inNode{l: l, strs: m, slot: b.slot()}, true
		case map[int]struct{}:
			if lk != vInt {
				return nil, false
			}
			return &inNode{l: l, ints: m, slot: b.slot()}, true
		case []any: // a folded list of literals
			var opts []vnode
			for _, e := range m {
				switch v := e.(type) {
				case int:
					opts = append(opts, constInt(v))
				case float64:
					opts = append(opts, constFloat(v))
				case string:
					opts = append(opts, constStr(v))
				case bool:
					opts = append(opts, constBool(v))
				default:
					return nil, false
				}
			}
			return b.anyOf(l, opts), true
		}
	case *ast.ArrayNode:
		var opts []vnode
		for _, e := range r.Nodes {
			c, ok := b.node(e)
			if !ok {
				return nil, false
			}
			opts = append(opts, c)
		}
		return b.anyOf(l, opts), true
	case *ast.MemberNode:
		id, ok := r.Node.(*ast.IdentifierNode)
		prop, ok2 := r.Property.(*ast.StringNode)
		if !ok || !ok2 || id.Value != "params" || lk != vStr {
			return nil, false
		}
		if _, ok := b.defaults[prop.Value].([]string); !ok {
			return nil, false
		}
		return &inNode{l: l, param: prop.Value, slot: b.slot()}, true
	}
	return nil, false
}

// anyOf is x in [a, b, …] as x == a || x == b || … (expr's runtime.In
// compares with Equal: numbers across int and float, other kinds never).
func (b *colBuilder) anyOf(l vnode, opts []vnode) vnode {
	lk := l.kind()
	var acc vnode = constBool(false)
	for _, o := range opts {
		var eq vnode
		num := func(k vkind) bool { return k == vInt || k == vFloat }
		if lk == o.kind() || (num(lk) && num(o.kind())) {
			eq = &cmpNode{op: "==", l: l, r: o, slot: b.slot()}
		} else {
			eq = constBool(false)
		}
		acc = &logicNode{and: false, l: acc, r: eq, slot: b.slot()}
	}
	return acc
}
