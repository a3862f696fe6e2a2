package engine

import (
	"fmt"
	"math"
	"reflect"
	"sort"

	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/table"
)

// Geography maps villages to towns (from the villages table), so that town
// overrides reach their villages.
type Geography map[string]string

// GeographyOf reads the villages table; nil gives an empty map.
func GeographyOf(villages *table.Table) Geography {
	g := Geography{}
	if villages == nil {
		return g
	}
	vid, tid := villages.Str("village_id"), villages.Str("town_id")
	for i := 0; i < villages.Len(); i++ {
		g[vid.Value(i)] = tid.Value(i)
	}
	return g
}

// layer is one scope's values: default, a town's, or a village's.
type layer map[string]any

// convertValue coerces an override value to the type of the default it
// replaces; int and float mix where no precision is lost.
func convertValue(def, v any) (any, error) {
	switch def.(type) {
	case int64:
		switch x := v.(type) {
		case int64:
			return x, nil
		case float64:
			if x == math.Trunc(x) {
				return int64(x), nil
			}
			return nil, fmt.Errorf("want a whole number, got %v", x)
		}
	case float64:
		switch x := v.(type) {
		case int64:
			return float64(x), nil
		case float64:
			return x, nil
		}
	case string:
		if x, ok := v.(string); ok {
			return x, nil
		}
	case bool:
		if x, ok := v.(bool); ok {
			return x, nil
		}
	case []string:
		if x, ok := v.([]string); ok {
			return x, nil
		}
	}
	return nil, fmt.Errorf("want %s, got %v", typeName(def), v)
}

func typeName(v any) string {
	switch v.(type) {
	case int64:
		return "a whole number"
	case float64:
		return "a number"
	case string:
		return "a string"
	case bool:
		return "true or false"
	case []string:
		return "a list of strings"
	}
	return fmt.Sprintf("%T", v)
}

// SettingsResolver answers detector settings per village.
type SettingsResolver struct {
	base    map[string]layer            // detector -> defaults (code, then rule files)
	town    map[string]map[string]layer // town -> detector -> values
	village map[string]map[string]layer // village -> detector -> values
	geo     Geography
	// Applied records, per detector, the non-default values in force by
	// scope, for the manifest.
	Applied map[string]map[string]map[string]any
}

// Get returns a setting for a village.
func (s *SettingsResolver) Get(detector, name, villageID string) any {
	if l, ok := s.village[villageID][detector]; ok {
		if v, ok := l[name]; ok {
			return v
		}
	}
	if t, ok := s.geo[villageID]; ok {
		if l, ok := s.town[t][detector]; ok {
			if v, ok := l[name]; ok {
				return v
			}
		}
	}
	v, ok := s.base[detector][name]
	if !ok {
		panic(fmt.Sprintf("detector %s has no setting %q", detector, name))
	}
	return v
}

// Defaults returns the effective default settings of a detector.
func (s *SettingsResolver) Defaults(detector string) map[string]any { return s.base[detector] }

// NewSettingsResolver layers detector defaults, rule-file settings and
// override settings, checking every name and type.
func NewSettingsResolver(set *rules.Set, extra []*rules.Override, geo Geography) (*SettingsResolver, rules.Errors) {
	decl, errs := declaredViews(set)
	s, e := newSettingsResolver(set, extra, geo, append(Detectors(), decl...))
	return s, append(errs, e...)
}

func newSettingsResolver(set *rules.Set, extra []*rules.Override, geo Geography, dets []Detector) (*SettingsResolver, rules.Errors) {
	s := &SettingsResolver{base: map[string]layer{}, town: map[string]map[string]layer{}, village: map[string]map[string]layer{}, geo: geo,
		Applied: map[string]map[string]map[string]any{}}
	specs := map[string]map[string]SettingSpec{}
	var names []string
	for _, d := range dets {
		names = append(names, d.Name())
		l := layer{}
		specs[d.Name()] = map[string]SettingSpec{}
		for _, sp := range d.Settings() {
			l[sp.Name] = sp.Default
			specs[d.Name()][sp.Name] = sp
		}
		s.base[d.Name()] = l
	}
	var errs rules.Errors
	apply := func(dst map[string]layer, settings rules.Settings, scope string) {
		dets := make([]string, 0, len(settings))
		for d := range settings {
			dets = append(dets, d)
		}
		sort.Strings(dets)
		for _, det := range dets {
			for name, st := range settings[det] {
				sp, ok := specs[det][name]
				if !ok {
					if _, dok := specs[det]; !dok {
						errs = append(errs, &rules.Error{Pos: st.Pos, Msg: fmt.Sprintf("settings: no detector %q (known: %v)", det, names)})
					} else {
						errs = append(errs, &rules.Error{Pos: st.Pos, Msg: fmt.Sprintf("settings: detector %s has no setting %q", det, name)})
					}
					continue
				}
				v, err := convertValue(sp.Default, st.Value)
				if err != nil {
					errs = append(errs, &rules.Error{Pos: st.Pos, Msg: fmt.Sprintf("settings.%s.%s: %v", det, name, err)})
					continue
				}
				if dst[det] == nil {
					dst[det] = layer{}
				}
				dst[det][name] = v
				if s.Applied[scope] == nil {
					s.Applied[scope] = map[string]map[string]any{}
				}
				if s.Applied[scope][det] == nil {
					s.Applied[scope][det] = map[string]any{}
				}
				s.Applied[scope][det][name] = v
			}
		}
	}
	if set != nil {
		for _, f := range set.Files {
			apply(s.base, f.Settings, "default")
		}
	}
	for _, o := range allOverrides(set, extra) {
		switch o.Scope.Level() {
		case rules.ScopeDefault:
			apply(s.base, o.Settings, "default")
		case rules.ScopeTown:
			if s.town[o.Scope.TownID] == nil {
				s.town[o.Scope.TownID] = map[string]layer{}
			}
			apply(s.town[o.Scope.TownID], o.Settings, o.Scope.String())
		case rules.ScopeVillage:
			if s.village[o.Scope.VillageID] == nil {
				s.village[o.Scope.VillageID] = map[string]layer{}
			}
			apply(s.village[o.Scope.VillageID], o.Settings, o.Scope.String())
		}
	}
	return s, errs
}

// allOverrides lists override blocks in a stable order: default scope
// first, then towns, then villages, each in file order, so a more specific
// scope is applied last and wins.
func allOverrides(set *rules.Set, extra []*rules.Override) []*rules.Override {
	var all []*rules.Override
	if set != nil {
		for _, f := range set.Overrides {
			all = append(all, f.Overrides...)
		}
	}
	all = append(all, extra...)
	sort.SliceStable(all, func(i, j int) bool { return all[i].Scope.Level() < all[j].Scope.Level() })
	return all
}

// paramSet is one effective combination of a rule's params, severity and
// enabled flag; villages share sets.
type paramSet struct {
	values   map[string]any
	severity findings.Severity
	enabled  bool
	scope    string        // "default", "town:…", "village:…"
	env      reflect.Value // pointer to the params struct for expr
	evidence map[string]any
}

// ruleScopes resolves a rule's params per village.
type ruleScopes struct {
	sets      []*paramSet
	byVillage map[string]int
	byTown    map[string]int
	geo       Geography
}

// set returns the param set for a village.
func (rs *ruleScopes) set(villageID string) *paramSet {
	if i, ok := rs.byVillage[villageID]; ok {
		return rs.sets[i]
	}
	if t, ok := rs.geo[villageID]; ok {
		if i, ok := rs.byTown[t]; ok {
			return rs.sets[i]
		}
	}
	return rs.sets[0]
}

// anyEnabled reports whether the rule runs anywhere.
func (rs *ruleScopes) anyEnabled() bool {
	for _, s := range rs.sets {
		if s.enabled {
			return true
		}
	}
	return false
}

// Runs reports whether the rule is enabled for at least one village (or
// everywhere): a rule disabled by overrides everywhere needs no view.
func (c *Compiled) Runs() bool { return c.scopes.anyEnabled() }
