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
	"regexp"
	"sort"
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

// Masker masks free text and evidence values. It knows the names it has
// been told (Learn), because a name in free text cannot be recognised on
// its own.
type Masker struct {
	Off   bool // --unmasked: everything passes through
	names map[string]bool
	re    *strings.Replacer
}

// New returns a masker; off disables masking.
func New(off bool) *Masker { return &Masker{Off: off, names: map[string]bool{}} }

// Learn records a person's name so that it is masked wherever it appears,
// and a name of three or more characters also when written with spaces
// between them (钟 建 平, 钟　建　平), a cheap way to slip past a plain
// search. Two-character names are not matched spaced: "任 梅" occurs in
// ordinary text (村级责任 梅堂湾村). One-character names are not learned:
// masking every occurrence of a common character would garble the text.
func (m *Masker) Learn(name string) {
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) < 2 || m.names[name] {
		return
	}
	m.names[name] = true
	m.re = nil
}

// LearnAll records every name of a register (the persons table), so names
// in free text (a ledger summary 陪同张三…) are masked even when the person
// is in no lead or evidence.
func (m *Masker) LearnAll(names []string) {
	for _, n := range names {
		m.Learn(n)
	}
}

// ID masks an ID unless masking is off.
func (m *Masker) ID(s string) string {
	if m.Off {
		return s
	}
	return ID(s)
}

// Name masks a name unless masking is off.
func (m *Masker) Name(s string) string {
	if m.Off {
		return s
	}
	return Name(s)
}

// Account masks an account number unless masking is off.
func (m *Masker) Account(s string) string {
	if m.Off {
		return s
	}
	return Account(s)
}

// Text masks ID numbers, account-like digit runs and every learned name
// inside free text (messages, subjects, reasons).
func (m *Masker) Text(s string) string {
	if m.Off || s == "" {
		return s
	}
	s = maskNumbers(s)
	if len(m.names) > 0 {
		if m.re == nil {
			names := make([]string, 0, len(m.names))
			for n := range m.names {
				names = append(names, n)
			}
			// longest first, so 欧阳明 is replaced before 欧阳
			sort.Slice(names, func(i, j int) bool {
				if len(names[i]) != len(names[j]) {
					return len(names[i]) > len(names[j])
				}
				return names[i] < names[j]
			})
			pairs := make([]string, 0, 6*len(names))
			for _, n := range names {
				pairs = append(pairs, n, Name(n))
			}
			// spaced variants after every plain name: a Replacer prefers
			// earlier pairs at the same position
			for _, n := range names {
				rs := strings.Split(n, "")
				if len(rs) >= 3 && !strings.ContainsAny(n, " 　") {
					pairs = append(pairs, strings.Join(rs, " "), Name(n), strings.Join(rs, "　"), Name(n))
				}
			}
			m.re = strings.NewReplacer(pairs...)
		}
		s = m.re.Replace(s)
	}
	return s
}

// Field masks one evidence value by what its key says it holds: names,
// person ids, accounts; anything else is masked as free text.
func (m *Masker) Field(key, value string) string {
	if m.Off {
		return value
	}
	k := strings.ToLower(key)
	switch {
	case strings.Contains(k, "account") && !strings.Contains(k, "holder"):
		return Account(value)
	case isNameKey(k):
		m.Learn(value)
		return Name(value)
	case isPartyKey(k):
		if n, ok := PersonName(value); ok {
			m.Learn(n)
		}
		return m.Text(value)
	case strings.HasSuffix(k, "person_id") || k == "relative_id" || k == "handled_by" || k == "approved_by" || k == "account_holder_id" || k == "cadre_id" || k == "responsible" || strings.HasSuffix(k, "_person"):
		if idRe.MatchString(value) || len(value) >= 11 {
			return ID(value)
		}
		return value
	}
	return m.Text(value)
}

// isNameKey says whether an evidence key holds a person's name (not a
// place's).
func isNameKey(k string) bool {
	if !strings.Contains(k, "name") {
		return false
	}
	for _, place := range []string{"village", "town", "county"} {
		if strings.Contains(k, place) {
			return false
		}
	}
	return true
}

// orgMarks are characters that make a counterparty an organisation (a
// shop, company, office), not a person.
const orgMarks = "店公司厂社站所局院部行馆场队会中心委办处厅校园室楼堂市镇村组"

// PersonName returns the person's name in a counterparty-like value ("肖建林",
// "肖建林（临时工）"): two to four Han characters before any bracket, with
// none of the marks of an organisation.
func PersonName(v string) (string, bool) {
	name := v
	if i := strings.IndexAny(v, "（(·,， "); i >= 0 {
		name = v[:i]
	}
	r := []rune(name)
	if len(r) < 2 || len(r) > 4 {
		return "", false
	}
	for _, c := range r {
		if c < 0x4e00 || c > 0x9fff || strings.ContainsRune(orgMarks, c) {
			return "", false
		}
	}
	return name, true
}

// isPartyKey says whether a key holds a counterparty, which may be a
// private person.
func isPartyKey(k string) bool {
	return strings.Contains(k, "counterparty") || strings.Contains(k, "payee") || strings.Contains(k, "payer")
}

// LearnEvidence walks evidence and learns every person name in it, so a
// later Text call masks them in messages.
func (m *Masker) LearnEvidence(ev map[string]any) {
	for k, v := range ev {
		switch x := v.(type) {
		case string:
			if lk := strings.ToLower(k); isNameKey(lk) {
				m.Learn(x)
			} else if isPartyKey(lk) {
				if n, ok := PersonName(x); ok {
					m.Learn(n)
				}
			}
		case map[string]any:
			m.LearnEvidence(x)
		case []any:
			for _, e := range x {
				if mm, ok := e.(map[string]any); ok {
					m.LearnEvidence(mm)
				}
			}
		}
	}
}

// Evidence returns a masked copy of evidence (nested maps and lists too).
func (m *Masker) Evidence(ev map[string]any) map[string]any {
	if ev == nil {
		return nil
	}
	if !m.Off {
		m.LearnEvidence(ev)
	}
	out := make(map[string]any, len(ev))
	for k, v := range ev {
		out[k] = m.value(k, v)
	}
	return out
}

func (m *Masker) value(k string, v any) any {
	switch x := v.(type) {
	case string:
		return m.Field(k, x)
	case map[string]any:
		return m.Evidence(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = m.value(k, e)
		}
		return out
	}
	return v
}
