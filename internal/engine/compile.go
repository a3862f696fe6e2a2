package engine

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/table"
)

// Compiled is a rule ready to evaluate.
type Compiled struct {
	Rule     *rules.Rule
	View     ViewSpec
	Detector Detector // nil when the rule reads a contract table

	layout      *envLayout
	when        *vm.Program
	escalate    []compiledEscalation
	amount      *vm.Program
	amountCol   int // money column read exactly when amount is a bare column; -1 otherwise
	subject     *template
	period      *template
	message     *template
	responsible *template
	used        map[string]bool
	evidence    []int // view columns kept as evidence
	paramNames  []string
	defaults    map[string]any
	scopes      *ruleScopes
	col         *colExpr // `when` as column-wise loops; nil = VM only (columnar.go)
}

type compiledEscalation struct {
	when     *vm.Program
	severity findings.Severity
}

// Plan is a compiled rule set.
type Plan struct {
	Rules    []*Compiled
	Settings *SettingsResolver
	// Declared are the detectors of the views the rule files declare
	// (views:), compiled for this rule set.
	Declared []Detector
}

// Check compiles every rule and validates settings and overrides without
// data: the `xiaowei check` command.
func Check(set *rules.Set) rules.Errors {
	_, errs := Compile(set, nil, Geography{})
	return errs
}

// Compile compiles the rule set and resolves params per village. All
// problems are returned together, sorted by position; the plan holds every
// rule that compiled, so a caller may choose to run them anyway.
func Compile(set *rules.Set, extra []*rules.Override, geo Geography) (*Plan, rules.Errors) {
	var errs rules.Errors
	plan := &Plan{}
	byID := map[string]*Compiled{}
	decl, e := declaredViews(set)
	errs = append(errs, e...)
	plan.Declared = decl
	lookup := func(name string) (ViewSpec, Detector, bool) {
		if v, d, ok := viewOf(decl, name); ok {
			return v, d, true
		}
		if set != nil {
			for _, v := range set.Views() {
				if v.Name == name { // declared, but it did not compile
					return ViewSpec{}, nil, true
				}
			}
		}
		return LookupView(name)
	}
	for _, r := range set.Rules() {
		c, e := compileRule(r, lookup)
		errs = append(errs, e...)
		if c != nil && len(e) == 0 {
			plan.Rules = append(plan.Rules, c)
			byID[r.ID] = c
		}
	}
	errs = append(errs, resolveScopes(set, extra, geo, byID)...)
	res, e2 := newSettingsResolver(set, extra, geo, append(Detectors(), decl...))
	errs = append(errs, e2...)
	plan.Settings = res
	errs.Sort()
	return plan, errs
}

func compileRule(r *rules.Rule, lookup func(string) (ViewSpec, Detector, bool)) (c *Compiled, errs rules.Errors) {
	view, det, ok := lookup(r.On)
	if !ok {
		return nil, rules.Errors{{Pos: r.OnPos, Msg: fmt.Sprintf("rule %s: on: no table or view %q%s (see `xiaowei views`)", r.ID, r.On, didYouMean(r.On, viewNames()))}}
	}
	if det == nil && view.Name == "" {
		return nil, rules.Errors{{Pos: r.OnPos, Msg: fmt.Sprintf("rule %s: on: view %q has errors (reported at its declaration)", r.ID, r.On)}}
	}
	c = &Compiled{Rule: r, View: view, Detector: det, amountCol: -1, defaults: map[string]any{}, used: map[string]bool{}}
	for _, p := range r.Params {
		c.paramNames = append(c.paramNames, p.Name)
		c.defaults[p.Name] = p.Value
	}
	layout, err := newLayout(view.Cols, paramsStruct(c.paramNames, c.defaults))
	if err != nil {
		return nil, rules.Errors{{Pos: r.OnPos, Msg: fmt.Sprintf("rule %s: view %s: %v", r.ID, view.Name, err)}}
	}
	c.layout = layout
	envProto := reflect.New(layout.typ).Elem().Interface() // a struct value: expr then emits direct field loads; Run gets a pointer

	compile := func(src rules.Expr, what string, asBool bool) *vm.Program {
		prog, err := compileExpr(src.Src, envProto, asBool, c.used)
		if err != nil {
			e := exprError(r, src, what, err)
			if name, ok := strings.CutPrefix(e.Msg, "rule "+r.ID+": "+what+": unknown name "); ok {
				e.Msg += didYouMean(name, colNames(view.Cols))
			}
			errs = append(errs, e)
			return nil
		}
		return prog
	}
	c.when = compile(r.When, "when", true)
	if c.when != nil {
		c.col = compileColumnar(c.when.Node(), view.Cols, c.defaults)
	}
	for _, e := range r.Escalate {
		if p := compile(e.When, "escalate.when", true); p != nil {
			c.escalate = append(c.escalate, compiledEscalation{when: p, severity: e.Severity})
		}
	}
	if src := strings.TrimSpace(r.Amount.Src); src != "" {
		if i := columnIndex(view.Cols, src); i >= 0 && view.Cols[i].Kind == contract.Money {
			c.amountCol = i // exact: read fen straight from the column
		} else {
			c.amount = compile(r.Amount, "amount", false)
			if c.amount != nil {
				if k := c.amount.Node().Type(); k != nil && k.Kind() != reflect.Float64 && k.Kind() != reflect.Int && k.Kind() != reflect.Interface {
					errs = append(errs, exprError(r, r.Amount, "amount", fmt.Errorf("want a number of yuan, got %s", k)))
				}
			}
		}
	}
	errs = append(errs, c.compileTemplates(r)...)
	errs = append(errs, c.resolveEvidence(r)...)
	return c, errs
}

func columnIndex(cols []table.Col, name string) int {
	for i, c := range cols {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// identVisitor records the identifiers an expression reads, so that only
// those columns are written into the env per row.
type identVisitor struct{ used map[string]bool }

func (v identVisitor) Visit(n *ast.Node) {
	if id, ok := (*n).(*ast.IdentifierNode); ok {
		v.used[id.Value] = true
	}
}

// compileExpr compiles under recover: expr can panic on some inputs, and
// one bad rule must become an error, not a crash.
func compileExpr(src string, env any, asBool bool, used map[string]bool) (prog *vm.Program, err error) {
	defer func() {
		if p := recover(); p != nil {
			prog, err = nil, fmt.Errorf("expr panicked while compiling: %v", p)
		}
	}()
	if err := checkShape(src); err != nil {
		return nil, err
	}
	opts := append(exprOptions(), expr.Env(env), expr.Patch(identVisitor{used}))
	if asBool {
		opts = append(opts, expr.AsBool())
	}
	return expr.Compile(src, opts...)
}

// exprError maps an expr error inside a rule string to its file position.
func exprError(r *rules.Rule, src rules.Expr, what string, err error) *rules.Error {
	return exprErrorAt(src, "rule "+r.ID+": "+what, err)
}

// exprErrorAt maps an expr error inside src to its file position.
func exprErrorAt(src rules.Expr, what string, err error) *rules.Error {
	var fe *file.Error
	if errors.As(err, &fe) {
		return &rules.Error{Pos: src.At(fe.Line, fe.Column), Msg: fmt.Sprintf("%s: %s", what, fe.Message)}
	}
	return &rules.Error{Pos: src.Pos, Msg: fmt.Sprintf("%s: %v", what, err)}
}

// resolveScopes validates overrides and builds each rule's param sets.
func resolveScopes(set *rules.Set, extra []*rules.Override, geo Geography, byID map[string]*Compiled) rules.Errors {
	per, errs := checkOverrides(set, extra, byID)
	for id, c := range byID {
		c.scopes = scopesOf(c, per[id], geo)
	}
	return errs
}

// layered is one rule override with the scope of its block.
type layered struct {
	scope rules.Scope
	ro    rules.RuleOverride
}

// checkOverrides collects the overrides per rule, in file order, each
// param converted to its default's type. An override of an unknown rule
// or param, or of a param with a value of the wrong type, is an error (an
// override of a rule that exists but did not compile is left out
// silently: that rule's own error is reported).
func checkOverrides(set *rules.Set, extra []*rules.Override, byID map[string]*Compiled) (map[string][]layered, rules.Errors) {
	var errs rules.Errors
	per := map[string][]layered{}
	for _, o := range allOverrides(set, extra) {
		for _, ro := range o.Rules {
			c, ok := byID[ro.RuleID]
			if !ok {
				if set.Rule(ro.RuleID) == nil {
					errs = append(errs, &rules.Error{Pos: ro.Pos, Msg: fmt.Sprintf("override: no rule %q", ro.RuleID)})
				}
				continue
			}
			for i, p := range ro.Params {
				def, ok := c.defaults[p.Name]
				if !ok {
					errs = append(errs, &rules.Error{Pos: p.Pos, Msg: fmt.Sprintf("override of %s: rule has no param %q", ro.RuleID, p.Name)})
					continue
				}
				v, err := convertValue(def, p.Value)
				if err != nil {
					errs = append(errs, &rules.Error{Pos: p.Pos, Msg: fmt.Sprintf("override of %s: params.%s: %v", ro.RuleID, p.Name, err)})
					continue
				}
				ro.Params[i].Value = v
			}
			per[ro.RuleID] = append(per[ro.RuleID], layered{o.Scope, ro})
		}
	}
	return per, errs
}

// scopesOf builds a rule's param sets: the default (the rule's own values
// with the default-scope overrides), then one per overridden town on top of
// it, then one per overridden village on top of its town's (or the
// default).
func scopesOf(c *Compiled, layers []layered, geo Geography) *ruleScopes {
	rs := &ruleScopes{byVillage: map[string]int{}, byTown: map[string]int{}, geo: geo}
	def := &paramSet{values: c.defaults, severity: c.Rule.Severity, enabled: c.Rule.Enabled, scope: "default"}
	var defaults []rules.RuleOverride
	townOv := map[string][]rules.RuleOverride{}
	villageOv := map[string][]rules.RuleOverride{}
	for _, l := range layers {
		switch l.scope.Level() {
		case rules.ScopeDefault:
			defaults = append(defaults, l.ro)
		case rules.ScopeTown:
			townOv[l.scope.TownID] = append(townOv[l.scope.TownID], l.ro)
		case rules.ScopeVillage:
			villageOv[l.scope.VillageID] = append(villageOv[l.scope.VillageID], l.ro)
		}
	}
	def = c.overlay(def, "default", defaults)
	rs.sets = append(rs.sets, def)
	townSet := map[string]*paramSet{}
	for _, t := range slices.Sorted(maps.Keys(townOv)) {
		ps := c.overlay(def, "town:"+t, townOv[t])
		townSet[t] = ps
		rs.byTown[t] = len(rs.sets)
		rs.sets = append(rs.sets, ps)
	}
	for _, v := range slices.Sorted(maps.Keys(villageOv)) {
		base := def
		if t, ok := geo[v]; ok && townSet[t] != nil {
			base = townSet[t]
		}
		ps := c.overlay(base, "village:"+v, villageOv[v])
		rs.byVillage[v] = len(rs.sets)
		rs.sets = append(rs.sets, ps)
	}
	ptype := c.layout.typ.Field(c.layout.paramsIdx).Type
	for _, ps := range rs.sets {
		ps.env = fillParams(ptype, c.paramNames, ps.values)
		ps.evidence = map[string]any{}
		for k, v := range ps.values {
			ps.evidence[k] = v
		}
	}
	return rs
}

// overlay is base with the overrides ros applied in order (a param the
// rule does not declare is ignored: checkOverrides reported it), named
// scope.
func (c *Compiled) overlay(base *paramSet, scope string, ros []rules.RuleOverride) *paramSet {
	ps := &paramSet{values: map[string]any{}, severity: base.severity, enabled: base.enabled, scope: scope}
	for k, v := range base.values {
		ps.values[k] = v
	}
	for _, ro := range ros {
		for _, p := range ro.Params {
			if _, ok := c.defaults[p.Name]; ok {
				ps.values[p.Name] = p.Value
			}
		}
		if ro.Enabled != nil {
			ps.enabled = *ro.Enabled
		}
		if ro.Severity != "" {
			ps.severity = ro.Severity
		}
	}
	return ps
}

func fieldIndex(t reflect.Type, exprName string) int {
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).Tag.Get("expr") == exprName {
			return i
		}
	}
	return -1
}

// compileTemplates parses the rule's text templates against its view.
func (c *Compiled) compileTemplates(r *rules.Rule) rules.Errors {
	var errs rules.Errors
	tpl := func(src rules.Expr, what string) *template {
		if src.Src == "" {
			return nil
		}
		t, e := parseTemplate(src, c.View.Cols, c.defaults, "rule "+r.ID+": "+what)
		errs = append(errs, e...)
		return t
	}
	c.subject = tpl(r.Subject, "subject")
	c.period = tpl(r.Period, "period")
	c.message = tpl(r.Message, "message")
	c.responsible = tpl(r.Responsible, "responsible")
	return errs
}

// resolveEvidence finds the evidence columns (none listed: all of the
// view's); an unknown column is an error at its own line.
func (c *Compiled) resolveEvidence(r *rules.Rule) rules.Errors {
	view := c.View
	var errs rules.Errors
	if len(r.Evidence) == 0 {
		for i := range view.Cols {
			c.evidence = append(c.evidence, i)
		}
		return nil
	}
	for k, name := range r.Evidence {
		i := columnIndex(view.Cols, name)
		if i < 0 {
			pos := r.Pos
			if k < len(r.EvidencePos) {
				pos = r.EvidencePos[k]
			}
			errs = append(errs, &rules.Error{Pos: pos, Msg: fmt.Sprintf("rule %s: evidence: unknown column %q in view %s%s", r.ID, name, view.Name, didYouMean(name, colNames(view.Cols)))})
			continue
		}
		c.evidence = append(c.evidence, i)
	}
	return errs
}
