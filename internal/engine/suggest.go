package engine

import (
	"strings"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/table"
)

// didYouMean returns ` (did you mean "x"?)` for the candidate closest to
// name, when one is within two edits, differs only in case, or starts with name, else "".
// A rule author who types `amout` or `cash_paymnets` should read the fix in
// the error, not go looking in `xiaowei views`.
func didYouMean(name string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if c == name {
			continue
		}
		d := editDistance(strings.ToLower(name), strings.ToLower(c))
		if len(name) >= 4 && strings.HasPrefix(c, name) {
			d = min(d, 1) // voucher -> voucher_no
		}
		if d < bestD || (d == bestD && best != "" && c < best) {
			best, bestD = c, d
		}
	}
	if best == "" || bestD > 2 || (bestD == 2 && len([]rune(name)) < 5) {
		return ""
	}
	return ` (did you mean "` + best + `"?)`
}

// editDistance is the Levenshtein distance over runes (names are short).
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// viewNames lists every table and view a rule can read.
func viewNames() []string {
	var out []string
	for _, t := range contract.All() {
		out = append(out, t.Name)
	}
	for _, d := range Detectors() {
		for _, v := range d.Views() {
			out = append(out, v.Name)
		}
	}
	return out
}

// colNames lists a view's column names.
func colNames(cols []table.Col) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}

// DidYouMean is didYouMean for other checkers (declared views): ` (did you
// mean "x"?)` or "".
func DidYouMean(name string, candidates []string) string { return didYouMean(name, candidates) }
