// Package ident normalises identifiers and names the way people read them,
// so that values an exporter (or someone hiding a link) wrote differently
// match when they mean the same: an ID number with a zero-width space
// appended, full-width digits, a leading space or a lower-case x is the same
// person to any reader, and must be the same key to every check.
//
// The data comes from the offices being supervised, so each alteration is
// also a signal: Normalize reports whether it changed anything and Describe
// says what, for a data-quality finding.
package ident

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/neijiang/xiaowei/internal/civil"
)

// Kind says how a column is normalised.
type Kind uint8

const (
	// Code is an opaque identifier (case, payment, entry, village, household
	// ids): Unicode NFKC, invisible and space characters removed.
	Code Kind = iota
	// Person is a resident ID number or person id: as Code, a lower-case
	// x (the GB 11643 check character) upper-cased, and a valid
	// first-generation 15-digit ID number written in its 18-digit form
	// (Upgrade15), so that one person registered in the old form in one
	// table and the new in another is one key.
	Person
	// Account is a bank account or card number: as Code, and the dashes
	// people group the digits with removed.
	Account
	// Name is a person's name: NFKC (full-width Latin and digits become
	// half-width), invisible characters and spaces removed (张 三 is 张三).
	// The middle dot of minority names (·) is kept.
	Name
)

func (k Kind) String() string {
	switch k {
	case Person:
		return "person_id"
	case Account:
		return "account"
	case Name:
		return "name"
	}
	return "code"
}

// invisible reports runes that render as nothing (or as a direction
// change): zero-width spaces and joiners, BOM, soft hyphen, bidi controls,
// the word joiner and invisible operators, and every other format (Cf)
// character; plus control characters.
func invisible(r rune) bool {
	switch r {
	case '\u00AD', '\u034F', '\u061C', '\u115F', '\u1160', '\u17B4', '\u17B5', '\u180E', '\u3164', '\uFFA0':
		return true
	}
	return unicode.Is(unicode.Cf, r) || unicode.IsControl(r)
}

// space reports whitespace of any width (ASCII, no-break, ideographic).
func space(r rune) bool {
	return unicode.IsSpace(r) || r == '\u3000' || r == '\u00A0' || r == '\u2007' || r == '\u202F'
}

// clean says whether s is already in normal form for k without building a
// new string: the common case (plain ASCII ids, already-normal names)
// costs one pass and no allocation.
func clean(s string, k Kind) bool {
	ascii := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf:
			ascii = false
		case c <= ' ' || c == 0x7F:
			return false
		case c == 'x' && k == Person, c == '-' && k == Account:
			return false
		}
	}
	if ascii {
		return k != Person || len(s) != 15 || !upgradable(s)
	}
	stable := true // only runes NFKC leaves alone: skip its (allocating) check
	for _, r := range s {
		switch {
		case r >= 0x4E00 && r <= 0x9FFF, r > ' ' && r < 0x7F, r == '·':
			// CJK unified ideographs and printable ASCII: normal as they are
		case invisible(r) || space(r):
			return false
		default:
			stable = false
		}
	}
	return stable || norm.NFKC.IsNormalString(s)
}

// Normalize returns s in normal form for k and whether it differed.
func Normalize(s string, k Kind) (string, bool) {
	if clean(s, k) {
		return s, false
	}
	strip := func(r rune) rune {
		switch {
		case invisible(r) || space(r):
			return -1
		case r == 'x' && k == Person:
			return 'X'
		case r == '-' && k == Account:
			return -1
		}
		return r
	}
	// NFKC, then strip; removing a character can bring a base letter and a
	// combining mark together (e + U+200B + U+0301), which NFKC would then
	// compose, so repeat until nothing changes (twice in practice)
	t := s
	for range 4 {
		u := strings.Map(strip, norm.NFKC.String(t))
		if u == t {
			break
		}
		t = u
	}
	if k == Person {
		if u, ok := Upgrade15(t); ok {
			t = u
		}
	}
	return t, t != s
}

// CheckChars are GB 11643's check characters, indexed by the weighted
// sum mod 11 (ISO 7064 MOD 11-2).
const CheckChars = "10X98765432"

var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// CheckDigit is the GB 11643 (ISO 7064 MOD 11-2) check character of an ID
// number's first 17 characters, which must be ASCII digits (ok is false
// otherwise). The one place the project computes it: the loader's 15-digit
// upgrade, DQ-BAD-ID and the generator all call it. It does not allocate.
func CheckDigit[T string | []byte](first17 T) (c byte, ok bool) {
	if len(first17) < 17 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		d := first17[i]
		if d < '0' || d > '9' {
			return 0, false
		}
		sum += int(d-'0') * idWeights[i]
	}
	return CheckChars[sum%11], true
}

// upgradable says whether s is a first-generation (GB 11643-1989) ID
// number: 15 ASCII digits whose characters 7–12 are a calendar date
// 19YYMMDD. Only such values are rewritten: a 15-digit case number or
// other code without a birth date stays as written.
func upgradable[T string | []byte](s T) bool {
	if len(s) != 15 {
		return false
	}
	for i := 0; i < 15; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	y := 1900 + int(s[6]-'0')*10 + int(s[7]-'0')
	m := int(s[8]-'0')*10 + int(s[9]-'0')
	d := int(s[10]-'0')*10 + int(s[11]-'0')
	return m >= 1 && m <= 12 && d >= 1 && d <= civil.DaysIn(y, time.Month(m))
}

// Upgrade15 returns the 18-digit form of a first-generation 15-digit ID
// number: "19" inserted before the two-digit birth year and the GB 11643
// check character appended. The conversion is deterministic (the 1989
// numbers were all issued to people born in the 1900s), so both forms name
// the same person. ok is false, and s is returned, when s is not a valid
// 15-digit ID (upgradable).
func Upgrade15(s string) (string, bool) {
	if !upgradable(s) {
		return s, false
	}
	var b [18]byte
	copy(b[:6], s[:6])
	b[6], b[7] = '1', '9'
	copy(b[8:17], s[6:])
	b[17], _ = CheckDigit(b[:17]) // upgradable: all digits
	return string(b[:]), true
}

// Upgraded says whether the Person normal form of s is the 18-digit form
// of a 15-digit ID number (Upgrade15 after the character clean-up), for the
// altered-values view: an old-form number is reported only when the same
// person is also written in the new form.
func Upgraded(s string) bool {
	t, _ := Normalize(s, Code) // Person differs only in x, which no 15-digit number holds
	return upgradable(t)
}

// Describe says in Chinese what Normalize changed in s, for inspectors:
// "零宽空格(U+200B)×1、全角字符×18". It names each invisible character by
// code point, since that is what an inspector would search the source
// system for.
func Describe(s string, k Kind) string {
	var parts []string
	counts := map[string]int{}
	var order []string
	add := func(what string) {
		if counts[what] == 0 {
			order = append(order, what)
		}
		counts[what]++
	}
	for _, r := range s {
		switch {
		case space(r):
			if r == ' ' {
				add("空格")
			} else {
				add(fmt.Sprintf("空白字符(U+%04X)", r))
			}
		case invisible(r):
			add(fmt.Sprintf("不可见字符%s(U+%04X)", invisibleName(r), r))
		case r == 'x' && k == Person:
			add("小写x")
		case r == '-' && k == Account:
			add("连字符")
		case r >= 0xFF01 && r <= 0xFF5E:
			add("全角字符")
		case norm.NFKC.String(string(r)) != string(r):
			add(fmt.Sprintf("兼容字符(U+%04X)", r))
		}
	}
	for _, what := range order {
		parts = append(parts, fmt.Sprintf("%s×%d", what, counts[what]))
	}
	if k == Person && Upgraded(s) {
		parts = append(parts, "15位旧身份证号（已按GB 11643升为18位比对）")
	}
	return strings.Join(parts, "、")
}

func invisibleName(r rune) string {
	switch r {
	case '\u200B':
		return "零宽空格"
	case '\u200C', '\u200D':
		return "零宽连接符"
	case '\uFEFF':
		return "BOM"
	case '\u00AD':
		return "软连字符"
	case '\u2060':
		return "词连接符"
	}
	if r >= '\u202A' && r <= '\u202E' || r >= '\u2066' && r <= '\u2069' || r == '\u200E' || r == '\u200F' {
		return "双向控制符"
	}
	if unicode.IsControl(r) {
		return "控制字符"
	}
	return ""
}

// Escape shows s with every rune outside printable ASCII as \uXXXX, so an
// invisible character is visible in evidence and the value cannot be
// mistaken for its normal form (full-width digits look like digits).
func Escape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '!' && r <= '~' {
			b.WriteRune(r)
		} else {
			fmt.Fprintf(&b, `\u%04X`, r)
		}
	}
	return b.String()
}

// Change is one value a run normalised: table, column and row (0-based,
// in the loaded table), the value as written and its normal form, and the
// row as a finding subject and village (both in normal form).
type Change struct {
	Table, Column        string
	Kind                 Kind
	Row                  int
	Original, Normalised string
	Subject, VillageID   string
	// Duplicate: in normal form the row's key (the table's primary key,
	// when this column is part of it) equals another row's, so the loader's
	// duplicate check could not see that one record was entered twice.
	Duplicate bool
	// Upgraded: the value is a 15-digit ID number and Normalised its
	// 18-digit form. Mixed: the same person is also written in the 18-digit
	// form somewhere in the run's person columns. Only a mixed upgrade is a
	// tampering signal (an all-15-digit register is just old), so the
	// altered-values view lists an upgrade without other alteration only
	// when Mixed.
	Upgraded, Mixed bool
}

// personColumns hold resident ID numbers / person ids (GB 11643: a
// lower-case x is the same check character as X).
var personColumns = map[string]bool{"person_id": true, "relative_id": true, "handled_by": true, "approved_by": true, "account_holder_id": true}

// ColumnKind is how an id column is normalised, by its name: the run's
// normalisation and the partitioned split's routing must agree on it, or a
// key written two ways would land in one county and be matched in another.
func ColumnKind(name string) Kind {
	switch {
	case personColumns[name]:
		return Person
	case name == "account_no":
		return Account
	}
	return Code
}
