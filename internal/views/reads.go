package views

import (
	"slices"
)

// ReadsViews names the Go detectors' views that the wanted views read,
// through any chain of declared views, sorted (engine.ViewReader): a run
// that builds them anyway builds them first and hands them over.
func (d *detector) ReadsViews(want map[string]bool) []string {
	seen := map[*view]bool{}
	var out []string
	var visit func(v *view)
	visit = func(v *view) {
		if seen[v] {
			return
		}
		seen[v] = true
		for _, s := range v.sources() {
			switch {
			case s.decl != nil:
				visit(s.decl)
			case s.det != nil:
				out = append(out, s.name)
			}
		}
	}
	for _, v := range d.order {
		if want[v.spec.Name] {
			visit(v)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// sources are the inputs a view reads: its rows and, for a lookup, the
// table it joins.
func (v *view) sources() []source {
	if v.lookup != nil {
		return []source{v.input, v.lookup.right}
	}
	return []source{v.input}
}
