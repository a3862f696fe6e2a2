package run

import (
	"fmt"

	"github.com/neijiang/xiaowei/internal/rules"
)

// dropBad removes the rules that have errors so the rest can run.
func dropBad(set *rules.Set, bad rules.Errors) (*rules.Set, []string) {
	badAt := map[string]bool{}
	var names []string
	for _, f := range set.Files {
		kept := f.Rules[:0]
		for _, r := range f.Rules {
			isBad := false
			for _, e := range bad {
				if e.Pos.File == r.Pos.File && e.Pos.Line >= r.Pos.Line && e.Pos.Line < nextRuleLine(f, r) {
					isBad = true
				}
			}
			if isBad || r.ID == "" {
				if !badAt[r.ID] {
					names = append(names, fmt.Sprintf("%s (%s)", r.ID, r.Pos))
					badAt[r.ID] = true
				}
				continue
			}
			kept = append(kept, r)
		}
		f.Rules = kept
	}
	return set, names
}

func nextRuleLine(f *rules.File, r *rules.Rule) int {
	next := 1 << 30
	for _, o := range f.Rules {
		if o.Pos.Line > r.Pos.Line && o.Pos.Line < next {
			next = o.Pos.Line
		}
	}
	return next
}
