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

var (
	idRe = regexp.MustCompile(`\d{17}[\dXx]`)
	// In free text an ID or account is a whole token: not part of a longer
	// code such as a disclosure id D51100210120400007.
	idText      = regexp.MustCompile(`(?:^|[^0-9A-Za-z])(\d{17}[\dXx])(?:[^0-9A-Za-z]|$)`)
	accountText = regexp.MustCompile(`(?:^|[^0-9A-Za-z*])(\d{16,19})(?:[^0-9A-Za-z]|$)`)
)

// replaceTokens applies f to the first group of every match of re.
// Matches may share their boundary character, so it loops until stable.
func replaceTokens(s string, re *regexp.Regexp, f func(string) string) string {
	for i := 0; i < 4; i++ {
		idx := re.FindAllStringSubmatchIndex(s, -1)
		if len(idx) == 0 {
			return s
		}
		var b strings.Builder
		last := 0
		for _, m := range idx {
			b.WriteString(s[last:m[2]])
			b.WriteString(f(s[m[2]:m[3]]))
			last = m[3]
		}
		b.WriteString(s[last:])
		s = b.String()
	}
	return s
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

// Learn records a person's name so that it is masked wherever it appears.
func (m *Masker) Learn(name string) {
	name = strings.TrimSpace(name)
	if name == "" || m.names[name] {
		return
	}
	m.names[name] = true
	m.re = nil
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
	s = replaceTokens(s, idText, ID)
	s = replaceTokens(s, accountText, Account)
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
			pairs := make([]string, 0, 2*len(names))
			for _, n := range names {
				pairs = append(pairs, n, Name(n))
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
