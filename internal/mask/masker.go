package mask

import (
	"sort"
	"strings"
	"unicode/utf8"
)

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
