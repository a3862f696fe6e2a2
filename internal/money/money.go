// Package money parses and formats yuan amounts exactly, as integer fen
// (1 yuan = 100 fen). Sums are int64 fen and never drift; float64 yuan is only
// produced for expr rules, where comparisons against two-decimal literals stay
// exact (see README, "Money in rules").
package money

import (
	"fmt"
	"strconv"
)

// Fen is an amount in fen.
type Fen = int64

// Parse reads a contract money cell: an optional minus sign, digits, and at
// most two decimals ("168000.00", "12.5", "7"). Anything else is an error.
func Parse(s string) (Fen, error) {
	if s == "" {
		return 0, fmt.Errorf("empty amount")
	}
	neg := false
	i := 0
	if s[0] == '-' {
		neg = true
		i = 1
	}
	var yuan int64
	nd := 0
	for ; i < len(s) && s[i] != '.'; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not an amount: want yuan like 168000.00", s)
		}
		if nd >= 15 {
			return 0, fmt.Errorf("%q is too large an amount", s)
		}
		yuan = yuan*10 + int64(c-'0')
		nd++
	}
	if nd == 0 {
		return 0, fmt.Errorf("%q is not an amount: want yuan like 168000.00", s)
	}
	var frac int64
	if i < len(s) { // at '.'
		dec := s[i+1:]
		if len(dec) == 0 || len(dec) > 2 {
			return 0, fmt.Errorf("%q has %d decimals: money has at most two", s, len(dec))
		}
		for j := 0; j < len(dec); j++ {
			c := dec[j]
			if c < '0' || c > '9' {
				return 0, fmt.Errorf("%q is not an amount: want yuan like 168000.00", s)
			}
			frac = frac*10 + int64(c-'0')
		}
		if len(dec) == 1 {
			frac *= 10
		}
	}
	f := yuan*100 + frac
	if neg {
		f = -f
	}
	return f, nil
}

// Format writes fen as yuan with exactly two decimals: "168000.00".
func Format(f Fen) string { return string(Append(nil, f)) }

// Append appends Format(f) to b.
func Append(b []byte, f Fen) []byte {
	if f < 0 {
		b = append(b, '-')
		f = -f
	}
	b = strconv.AppendInt(b, f/100, 10)
	c := f % 100
	return append(b, '.', byte('0'+c/10), byte('0'+c%10))
}

// Grouped formats with thousands separators for messages: "168,000.00".
func Grouped(f Fen) string {
	s := Format(f)
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	intPart, dec := s[:len(s)-3], s[len(s)-3:]
	out := make([]byte, 0, len(s)+len(s)/3+1)
	if neg {
		out = append(out, '-')
	}
	for i := range len(intPart) {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, intPart[i])
	}
	return string(append(out, dec...))
}

// Yuan converts to float64 yuan for expr. Exact for comparisons: the
// conversion is monotonic and injective for |f| < 4.5e15 fen.
func Yuan(f Fen) float64 { return float64(f) / 100 }

// FromYuan rounds float yuan to the nearest fen (half away from zero).
func FromYuan(y float64) Fen {
	if y < 0 {
		return -int64(-y*100 + 0.5)
	}
	return int64(y*100 + 0.5)
}
