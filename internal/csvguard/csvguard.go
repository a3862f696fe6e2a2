// Package csvguard keeps spreadsheet programs from running what xiaowei
// writes into CSV files meant for people (the report's exports and
// rejected.csv). The values come from the audited offices' own data, so a
// cell such as `=HYPERLINK(...)` or `-1+cmd|' /C calc'!A0` is an attack
// on the inspector who opens the file.
//
// The rule is OWASP's "CSV injection" advice: a cell starting with = + - @,
// a tab or a carriage return is prefixed with a single quote, so Excel and
// LibreOffice show it as text. The one exception is a cell that is wholly a
// plain decimal number (-1200.50), which no spreadsheet can run; checking
// only a numeric prefix is not enough (-1+cmd|...).
//
// Data files that xiaowei itself reads back byte for byte (the partition
// split's per-county inputs, generated datasets) are not guarded: they are
// inputs, not reports, and a prefix would change their values.
package csvguard

// Cell returns s made safe to open in a spreadsheet.
func Cell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if isNumber(s) {
			return s
		}
		return "'" + s
	}
	return s
}

// Row guards every cell of r in place and returns it.
func Row(r []string) []string {
	for i, c := range r {
		r[i] = Cell(c)
	}
	return r
}

// isNumber says whether s is wholly a plain decimal number: an optional
// sign, digits, and optionally a point followed by digits. Exponents,
// Inf, NaN and hex floats are refused: they are not how xiaowei writes
// numbers, so such a cell came from the data.
func isNumber(s string) bool {
	i := 0
	if s[0] == '-' || s[0] == '+' {
		i = 1
	}
	digits := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		digits++
	}
	if digits == 0 {
		return false
	}
	if i == len(s) {
		return true
	}
	if s[i] != '.' {
		return false
	}
	i++
	frac := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		frac++
	}
	return frac > 0 && i == len(s)
}
