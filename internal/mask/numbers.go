package mask

import (
	"regexp"
	"strings"
)

var idRe = regexp.MustCompile(`\d{17}[\dXx]`)

// isDigit says whether r is an ASCII or a full-width digit (IDs typed in
// Chinese input methods come full-width).
func isDigit(r rune) bool { return r >= '0' && r <= '9' || r >= '０' && r <= '９' }

func isX(r rune) bool { return r == 'X' || r == 'x' || r == 'Ｘ' || r == 'ｘ' }

func isLatin(r rune) bool { return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' }

// digitVal is the value of an ASCII or full-width digit.
func digitVal(r rune) int {
	if r >= '０' {
		return int(r - '０')
	}
	return int(r - '0')
}

// plausibleBirth says whether run[at:at+n] (n = 8: YYYYMMDD, n = 6: YYMMDD)
// reads as a birth date. It tells a resident ID glued to letters or of the
// first generation (15 digits) from an ordinary long number: an entry id
// like 202401050000123 has month 00 and is left alone.
func plausibleBirth(run []rune, at, n int) bool {
	v := func(i, k int) int {
		x := 0
		for _, r := range run[at+i : at+i+k] {
			x = x*10 + digitVal(r)
		}
		return x
	}
	var m, d int
	if n == 8 {
		if y := v(0, 4); y < 1850 || y > 2100 {
			return false
		}
		m, d = v(4, 2), v(6, 2)
	} else {
		m, d = v(2, 2), v(4, 2)
	}
	return m >= 1 && m <= 12 && d >= 1 && d <= 31 && digitVal(run[0]) != 0
}

// maskNumbers masks resident IDs and account numbers in free text. It
// looks at every maximal run of digits (ASCII or full-width, an 18th
// character may be X):
//   - 18 characters: an ID. Alone it is always masked; glued to Latin
//     letters (ID511002…, P511002…) it is masked when its birth date is
//     plausible, so codes such as D51100210120400007 stay readable.
//   - 15 digits: a first-generation ID when its birth date (YYMMDD) is
//     plausible, glued or not. Money never has 15 digits (at most 12, see
//     internal/money), and an entry id of 15 digits is masked only if it
//     happens to look like an ID, which errs on the safe side.
//   - 16 to 19 digits, not glued to letters: an account number.
//
// Runs separated by one space or dash (a chain) are also read together,
// because people group an ID's digits the way they read it (5110 0219 8409
// 0600 18, 511002-19840906-0018) and such a form would otherwise slip past
// as short numbers; see groupedWindow for which windows of a chain are
// masked. The masked form is written without the separators.
func maskNumbers(s string) string {
	if !strings.ContainsFunc(s, isDigit) {
		return s
	}
	r := []rune(s)
	var b strings.Builder
	last := 0
	replace := func(i, j int, out string) {
		if out == "" {
			return
		}
		b.WriteString(string(r[last:i]))
		b.WriteString(out)
		last = j
	}
	var groups [][2]int // the current chain's runs, [start, end)
	for i := 0; i < len(r); {
		if !isDigit(r[i]) {
			i++
			continue
		}
		groups = groups[:0]
		for {
			j := i
			for j < len(r) && isDigit(r[j]) {
				j++
			}
			x := j < len(r) && isX(r[j])
			if x && (j-i == 17 || len(groups) > 0) {
				j++ // a check character ends the run, and the chain
			}
			groups = append(groups, [2]int{i, j})
			if x || j+1 >= len(r) || !isSep(r[j]) || !isDigit(r[j+1]) {
				break
			}
			i = j + 1
		}
		for g := 0; g < len(groups); {
			if e, out := groupedWindow(r, groups[g:]); e > 0 {
				replace(groups[g][0], groups[g+e][1], out)
				g += e + 1
				continue
			}
			gi, gj := groups[g][0], groups[g][1]
			replace(gi, gj, maskRun(r, gi, gj))
			g++
		}
		i = groups[len(groups)-1][1]
	}
	if last == 0 {
		return s
	}
	b.WriteString(string(r[last:]))
	return b.String()
}

// isSep is a separator people group digits with: one space or dash
// (ASCII or full-width).
func isSep(r rune) bool { return r == ' ' || r == '-' || r == '\u3000' || r == '－' }

// maskRun masks the single digit run r[i:j] (the rules of maskNumbers), or
// returns "" to leave it.
func maskRun(r []rune, i, j int) string {
	glued := i > 0 && isLatin(r[i-1]) || j < len(r) && (isLatin(r[j]) || isX(r[j]))
	starred := i > 0 && r[i-1] == '*' || j < len(r) && r[j] == '*'
	run := r[i:j]
	switch n := len(run); {
	case starred:
	case n == 18 && (!glued || plausibleBirth(run, 6, 8)):
		return ID(string(run))
	case n == 15 && plausibleBirth(run, 6, 6):
		return ID(string(run))
	case n >= 16 && n <= 19 && !glued:
		return Account(string(run))
	}
	return ""
}

// groupedWindow looks for the longest window groups[0..e] (e >= 1: two or
// more runs joined by single separators) that is a grouped ID, else the
// longest that is a grouped account, and returns e and its masked form, or
// 0 and "". A window is
//   - an ID when its characters add up to 18 (the last may be X) with a
//     plausible YYYYMMDD birth date at 7–14, or to 15 digits with a
//     plausible YYMMDD at 7–12;
//   - an account when it is three or more runs, all but the last of four
//     digits (6217 0000 1111 2222), adding up to 16–19 digits, not glued
//     to letters.
//
// The ID wins over the account because an ID grouped in fours (5110 0219
// 8409 0600 18) starts with a 16-digit window in fours. Dates (2024-01-01:
// 8 digits), amounts (1,234.56: a comma is no separator), voucher numbers
// (PZ202401-00001: 11) and phone numbers (138 0000 0000: 11) are never a
// window; a window already starred is left.
func groupedWindow(r []rune, groups [][2]int) (int, string) {
	first := groups[0][0]
	if first > 0 && r[first-1] == '*' {
		return 0, ""
	}
	idEnd, accEnd := 0, 0
	var idOut, accOut string
	n := groups[0][1] - first
	four := n == 4
	digits := append([]rune(nil), r[first:groups[0][1]]...)
	for e := 1; e < len(groups) && n <= 19; e++ {
		g := groups[e]
		n += g[1] - g[0]
		digits = append(digits, r[g[0]:g[1]]...)
		end := g[1]
		if end < len(r) && r[end] == '*' {
			break
		}
		switch {
		case n == 18 && plausibleBirth(digits, 6, 8):
			idEnd, idOut = e, ID(string(digits))
		case n == 15 && !isX(digits[14]) && plausibleBirth(digits, 6, 6):
			idEnd, idOut = e, ID(string(digits))
		case e >= 2 && four && n >= 16 && n <= 19 && !isX(digits[n-1]) &&
			!(first > 0 && isLatin(r[first-1])) && !(end < len(r) && isLatin(r[end])):
			accEnd, accOut = e, Account(string(digits))
		}
		four = four && g[1]-g[0] == 4
	}
	if idEnd > 0 {
		return idEnd, idOut
	}
	return accEnd, accOut
}
