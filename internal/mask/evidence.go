package mask

import (
	"strings"
)

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
