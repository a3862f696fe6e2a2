// Package mask hides personal data in everything meant for reading (the
// HTML report, CSV and XLSX exports). findings.jsonl and leads.jsonl stay
// unmasked: they are the evidence store, read only by the authorised.
//
//   - resident ID numbers keep the first 6 (the county) and last 4
//     characters: 511002********123X
//   - names keep the first and last character: 张*斌, 欧**明; two
//     characters keep the first: 张*
//   - bank accounts keep the first 4 and last 4 digits: 6217****1234
package mask

import (
	"strings"
	"unicode/utf8"
)

// ID masks an 18-character resident ID (or any ID of 11 or more
// characters) keeping the first 6 and last 4; shorter values become
// stars of the same length.
func ID(s string) string {
	n := utf8.RuneCountInString(s)
	if n == 0 {
		return ""
	}
	r := []rune(s)
	if n < 11 {
		return strings.Repeat("*", n)
	}
	return string(r[:6]) + strings.Repeat("*", n-10) + string(r[n-4:])
}

// Name keeps the first and last character of a name: 张三斌 -> 张*斌,
// 张三 -> 张*, 张 -> *.
func Name(s string) string {
	r := []rune(strings.TrimSpace(s))
	switch len(r) {
	case 0:
		return ""
	case 1:
		return "*"
	case 2:
		return string(r[0]) + "*"
	}
	return string(r[0]) + strings.Repeat("*", len(r)-2) + string(r[len(r)-1])
}

// Account keeps the first 4 and last 4 characters with four stars between
// them (the length is hidden too): 6217000011112222 -> 6217****2222.
func Account(s string) string {
	r := []rune(s)
	if len(r) == 0 {
		return ""
	}
	if len(r) <= 8 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:4]) + "****" + string(r[len(r)-4:])
}
