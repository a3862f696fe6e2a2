package views

import (
	"slices"
	"strings"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/table"
)

func (c *compiler) compileLookup(v *view, in source, needs []string) ([]table.Col, []string) {
	d := v.decl.Lookup
	who := "view " + v.decl.Name + ": lookup"
	right, ok := c.resolve(d.From, d.FromPos, who+".from")
	if !ok {
		return nil, needs
	}
	op := &lookupOp{right: right, inner: d.Inner, expand: d.Expand}
	var lc, rc []string
	op.left, lc = c.keyCols(who+".on", d.On, in.cols)
	op.rightKeys, rc = c.keyCols(who+".to", d.To, right.cols)
	for i := range lc {
		if i < len(rc) && lc[i] != "" && rc[i] != "" && lc[i] != rc[i] {
			c.errorf(d.To[i].Pos, "%s: type mismatch: key %s is %s, %s of %s is %s", who, d.On[i], lc[i], d.To[i], d.From, rc[i])
		}
	}
	var extra []table.Col
	if d.Expand {
		for _, a := range d.Columns {
			if a.Fn != "" {
				c.errorf(a.Pos, "%s: %s: an expanded lookup takes columns, not aggregates (each match is its own row)", who, a.Name)
				continue
			}
			i := colIndex(right.cols, a.Col)
			if i < 0 {
				c.errorf(a.Pos, "%s: %s: unknown column %q of %s%s (columns: %s)", who, a.Name, a.Col, d.From, engine.DidYouMean(a.Col, nameList(right.cols)), colNames(right.cols))
				continue
			}
			op.take = append(op.take, i)
			extra = append(extra, table.Col{Name: a.Name, Kind: right.cols[i].Kind, Doc: d.From + "." + a.Col, Labels: right.cols[i].Labels})
		}
	} else {
		op.aggs, extra = c.aggCols(who+".columns", d.Columns, right.cols, true)
	}
	v.lookup = op
	return c.addCols(who, d.Pos, in.cols, extra), union(needs, c.needs(right))
}

func (c *compiler) compileGroup(v *view, in source) []table.Col {
	d := v.decl.Group
	who := "view " + v.decl.Name + ": group"
	op := &groupOp{}
	op.keys, _ = c.keyCols(who+".by", d.By, in.cols)
	cols := keyOutCols(d.By, op.keys, in.cols)
	var ac []table.Col
	op.aggs, ac = c.aggCols(who+".columns", d.Columns, in.cols, false)
	v.group = op
	return c.addCols(who, d.Pos, cols, ac)
}

func (c *compiler) compileWindow(v *view, in source) []table.Col {
	d := v.decl.Window
	who := "view " + v.decl.Name + ": window"
	op := &windowOp{days: d.Days, daysParam: d.DaysParam, per: d.Per, best: -1}
	op.keys, _ = c.keyCols(who+".by", d.By, in.cols)
	op.order = colIndex(in.cols, d.Order)
	if op.order < 0 || in.cols[op.order].Kind != contract.Date {
		c.errorf(d.Pos, "%s: order: %q is not a date column (columns: %s)", who, d.Order, colNames(in.cols))
	}
	if d.DaysParam != "" && !hasSetting(v.owner.settings, d.DaysParam) {
		c.errorf(d.Pos, "%s: days: params.%s is not a param of this file's views", who, d.DaysParam)
	}
	var ac []table.Col
	op.aggs, ac = c.aggCols(who+".columns", d.Columns, in.cols, false)
	if d.Best != "" && len(op.aggs) == len(d.Columns) { // (a bad column is reported already)
		for i, a := range op.aggs {
			if a.name == d.Best {
				op.best = i
			}
		}
		if op.best < 0 || (op.aggs[op.best].kind != contract.Money && op.aggs[op.best].kind != contract.Int) {
			c.errorf(d.Pos, "%s: best: %q is not a count or sum among its columns", who, d.Best)
		}
	}
	ac = append([]table.Col{{Name: "window_start", Kind: contract.Date, Doc: "first row's date in the row's window"},
		{Name: "window_end", Kind: contract.Date, Doc: "last row's date in the row's window"},
		{Name: "window_rows", Kind: contract.Int, Doc: "rows in the row's window"}}, ac...)
	v.window = op
	return c.addCols(who, d.Pos, in.cols, ac)
}

func hasSetting(ss []engine.SettingSpec, name string) bool {
	for _, s := range ss {
		if s.Name == name {
			return true
		}
	}
	return false
}

func (c *compiler) compileSequence(v *view, in source) []table.Col {
	d := v.decl.Sequence
	who := "view " + v.decl.Name + ": sequence"
	op := &seqOp{steps: d.Steps}
	op.keys, _ = c.keyCols(who+".by", d.By, in.cols)
	op.order = colIndex(in.cols, d.Order)
	if op.order < 0 || in.cols[op.order].Kind != contract.Date {
		c.errorf(d.Pos, "%s: order: %q is not a date column (columns: %s)", who, d.Order, colNames(in.cols))
	}
	op.step = colIndex(in.cols, d.Step)
	if op.step < 0 || keyClass(in.cols[op.step].Kind) != "string" {
		c.errorf(d.Pos, "%s: step: %q is not a text or enum column (columns: %s)", who, d.Step, colNames(in.cols))
	} else if sc := in.cols[op.step]; sc.Kind == contract.Enum {
		if t, ok := contract.Lookup(in.name); ok {
			if col, ok := t.Column(sc.Name); ok {
				for _, s := range d.Steps {
					if !slices.Contains(col.Enum, s) {
						c.errorf(d.Pos, "%s: steps: %q is not a value of %s.%s (%s)", who, s, in.name, sc.Name, strings.Join(col.Enum, ", "))
					}
				}
			}
		}
	}
	cols := keyOutCols(d.By, op.keys, in.cols)
	var extra []table.Col
	for _, s := range d.Steps {
		extra = append(extra, table.Col{Name: s + "_on", Kind: contract.Date, Doc: "first " + s + " (null when missing)"})
	}
	extra = append(extra,
		table.Col{Name: "missing_steps", Kind: contract.Text, Doc: "steps with no row, in procedure order, comma-separated (null when none)"},
		table.Col{Name: "missing_count", Kind: contract.Int, Doc: "number of missing steps"},
		table.Col{Name: "out_of_order", Kind: contract.Bool, Doc: "a step's first occurrence is dated before an earlier step's first occurrence"},
		table.Col{Name: "step_rows", Kind: contract.Int, Doc: "rows of the key with one of the steps"})
	v.seq = op
	return c.addCols(who, d.Pos, cols, extra)
}

// keyOutCols are the output columns a group or sequence keeps for its keys:
// each key's first column, named by the key's first name (a key whose
// columns are all unknown has none; its error is already reported).
func keyOutCols(by []rules.KeyRef, keys [][]int, cols []table.Col) []table.Col {
	var out []table.Col
	for i, k := range by {
		if len(keys[i]) > 0 {
			col := cols[keys[i][0]]
			col.Name = k.Names[0]
			out = append(out, col)
		}
	}
	return out
}
