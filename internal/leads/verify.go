package leads

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// verifyList is what to verify: each rule's text, most severe rule
// first, each text once.
func verifyList(rules []RuleHit, in Input, first map[string]map[string]any) []string {
	var out []string
	hits := append([]RuleHit(nil), rules...)
	sort.SliceStable(hits, func(i, j int) bool {
		return hits[i].Severity.Rank() > hits[j].Severity.Rank()
	})
	seen := map[string]bool{}
	for _, h := range hits {
		v := fillVerify(in.Rules[h.RuleID].Verify, first[h.RuleID])
		if v == "" {
			v = "核实" + h.Title + "所涉凭证、名单与经办情况。"
		}
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

var placeholder = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_.]+)\s*\}\}`)

// fillVerify fills {{column}} placeholders of a rule's verify text from the
// evidence of the rule's first finding in the lead; a value not in the
// evidence reads 相关人员/事项.
func fillVerify(v string, ev map[string]any) string {
	if !strings.Contains(v, "{{") {
		return v
	}
	return placeholder.ReplaceAllStringFunc(v, func(m string) string {
		key := placeholder.FindStringSubmatch(m)[1]
		var val any
		if p, ok := strings.CutPrefix(key, "params."); ok {
			if ps, isMap := ev["params"].(map[string]any); isMap {
				val = ps[p]
			}
		} else {
			val = ev[key]
		}
		switch x := val.(type) {
		case nil:
			return "相关人员/事项"
		case string:
			return x
		default:
			return fmt.Sprint(x)
		}
	})
}
