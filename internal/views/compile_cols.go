package views

import (
	"fmt"
	"strings"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/table"
)

func colIndex(cols []table.Col, name string) int {
	for i, c := range cols {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// keyClass is the physical class of a key: values of two keys compare
// only within a class.
func keyClass(k contract.Kind) string {
	switch k {
	case contract.ID, contract.Text, contract.Enum, contract.Month:
		return "string"
	case contract.Date:
		return "date"
	case contract.Int:
		return "int"
	case contract.Money:
		return "money"
	case contract.Bool:
		return "bool"
	}
	return "float"
}

// keyCols resolves key references to column indexes; all names of an a|b
// key must have one class.
func (c *compiler) keyCols(who string, keys []rules.KeyRef, cols []table.Col) ([][]int, []string) {
	var idx [][]int
	var classes []string
	for _, k := range keys {
		var ii []int
		class := ""
		for _, n := range k.Names {
			i := colIndex(cols, n)
			if i < 0 {
				c.errorf(k.Pos, "%s: unknown column %q%s (columns: %s)", who, n, engine.DidYouMean(n, nameList(cols)), colNames(cols))
				continue
			}
			cl := keyClass(cols[i].Kind)
			if cl == "float" {
				c.errorf(k.Pos, "%s: column %s is a float and cannot be a key", who, n)
			}
			if class != "" && cl != class {
				c.errorf(k.Pos, "%s: type mismatch in %s: %s is %s, the first column is %s", who, k, n, cols[i].Kind, class)
			}
			class = cl
			ii = append(ii, i)
		}
		idx = append(idx, ii)
		classes = append(classes, class)
	}
	return idx, classes
}

func nameList(cols []table.Col) []string {
	n := make([]string, len(cols))
	for i, c := range cols {
		n[i] = c.Name
	}
	return n
}

func colNames(cols []table.Col) string {
	n := make([]string, len(cols))
	for i, c := range cols {
		n[i] = c.Name
	}
	return strings.Join(n, ", ")
}

// aggCols checks aggregates over cols and returns their output columns.
func (c *compiler) aggCols(who string, as []rules.AggDecl, cols []table.Col, plainAsFirst bool) ([]agg, []table.Col) {
	var out []agg
	var oc []table.Col
	for _, a := range as {
		fn := a.Fn
		if fn == "" && plainAsFirst {
			fn = "first"
		}
		g := agg{name: a.Name, fn: fn, col: -1}
		var in contract.Kind
		if a.Col != "" {
			i := colIndex(cols, a.Col)
			if i < 0 {
				c.errorf(a.Pos, "%s: %s: unknown column %q%s (columns: %s)", who, a.Name, a.Col, engine.DidYouMean(a.Col, nameList(cols)), colNames(cols))
				continue
			}
			g.col, in = i, cols[i].Kind
		}
		k, err := aggKind(fn, in)
		if err != nil {
			c.errorf(a.Pos, "%s: %s: type mismatch: %v", who, a.Name, err)
			continue
		}
		g.kind = k
		out = append(out, g)
		doc := fn + "(" + a.Col + ")"
		if a.Fn == "" {
			doc = a.Col
		}
		oc = append(oc, table.Col{Name: a.Name, Kind: k, Doc: doc})
		if k == contract.Enum && g.col >= 0 {
			// first/last keep a value of the column, so its labels hold.
			oc[len(oc)-1].Labels = cols[g.col].Labels
		}
	}
	return out, oc
}

// aggKind is the output kind of fn over a column of kind in.
func aggKind(fn string, in contract.Kind) (contract.Kind, error) {
	switch fn {
	case "count", "count_distinct":
		if fn == "count_distinct" && (in == contract.Float || in == contract.Bool) {
			return 0, fmt.Errorf("count_distinct over a %s column", in)
		}
		return contract.Int, nil
	case "sum":
		if in != contract.Money && in != contract.Int {
			return 0, fmt.Errorf("sum needs a money or int column, got %s", in)
		}
		return in, nil
	case "min", "max":
		if in == contract.Bool || in == contract.Float {
			return 0, fmt.Errorf("%s needs a date, money, int or text column, got %s", fn, in)
		}
		if in == contract.Enum || in == contract.ID || in == contract.Month {
			return contract.Text, nil
		}
		return in, nil
	case "first", "last":
		if in == contract.Float {
			return 0, fmt.Errorf("%s over a float column", fn)
		}
		return in, nil
	}
	return 0, fmt.Errorf("unknown function %s", fn)
}

func (c *compiler) addCols(who string, pos rules.Pos, base, extra []table.Col) []table.Col {
	out := append([]table.Col(nil), base...)
	for _, e := range extra {
		if colIndex(out, e.Name) >= 0 {
			c.errorf(pos, "%s: output column %q is already a column of the input", who, e.Name)
			continue
		}
		out = append(out, e)
	}
	return out
}
