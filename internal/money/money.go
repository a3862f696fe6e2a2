// Package money parses and formats yuan amounts exactly, as integer fen
// (1 yuan = 100 fen). Sums are int64 fen and never drift; float64 yuan is only
// produced for expr rules, where comparisons against two-decimal literals stay
// exact (see README, "Money in rules").
package money

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Fen is an amount in fen.
type Fen = int64

// The one money range, everywhere: an amount is at most 12 integer digits
// of yuan with two decimals, |amount| <= 999,999,999,999.99 yuan. That is
// exactly what the store's numeric(14,2) data columns hold, it is far
// above any village's books (a county's yearly budget is ~10^10 yuan), and
// it leaves room to sum 92,000 maximal amounts in int64 fen; sums are
// still overflow-checked (Add). Sums (finding and lead amounts) are stored
// as numeric(19,2), which holds any int64 of fen.
const (
	MaxYuanDigits     = 12
	MaxFen        Fen = 99_999_999_999_999 // 999,999,999,999.99 yuan
)

// RangeError is the reason an amount is out of range, for rejects.
func RangeError(s string) error {
	return fmt.Errorf("%q is out of range: an amount is at most 999,999,999,999.99 yuan", s)
}

// InRange says whether f is within ±MaxFen.
func InRange(f Fen) bool { return f >= -MaxFen && f <= MaxFen }

// ErrOverflow is returned by Add when a sum leaves int64.
var ErrOverflow = errors.New("sum of amounts overflows int64 fen")

// Add returns a+b, or ErrOverflow when the sum does not fit int64 (it
// would wrap silently and turn a large total negative).
func Add(a, b Fen) (Fen, error) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, ErrOverflow
	}
	return s, nil
}

// Sum is an overflow-checked running total: Add each amount, then read
// Total (and Err, which once set stays set).
type Sum struct {
	Total Fen
	Err   error
}

// Add adds f to the total unless it has overflowed.
func (s *Sum) Add(f Fen) {
	if s.Err != nil {
		return
	}
	s.Total, s.Err = Add(s.Total, f)
}

// Parse reads a contract money cell: an optional minus sign, digits, and at
// most two decimals ("168000.00", "12.5", "7"), within ±MaxFen. Anything
// else is an error.
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
	nd, sig := 0, 0 // digits, and digits after leading zeros
	for ; i < len(s) && s[i] != '.'; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not an amount: want yuan like 168000.00", s)
		}
		nd++
		if yuan == 0 && c == '0' {
			continue
		}
		if sig++; sig > MaxYuanDigits {
			return 0, RangeError(s)
		}
		yuan = yuan*10 + int64(c-'0')
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
// NaN, infinities and amounts beyond ±MaxFen are clamped to 0/±MaxFen;
// use FromYuanChecked where such a value must be an error.
func FromYuan(y float64) Fen {
	f, err := FromYuanChecked(y)
	if err != nil {
		switch {
		case y > 0:
			return MaxFen
		case y < 0:
			return -MaxFen
		}
		return 0
	}
	return f
}

// FromYuanChecked rounds float yuan to the nearest fen, refusing NaN,
// infinities and amounts out of range (a rule's arithmetic can make them;
// JSON cannot hold NaN and int64 conversion of a huge float is undefined).
func FromYuanChecked(y float64) (Fen, error) {
	if math.IsNaN(y) || math.IsInf(y, 0) {
		return 0, fmt.Errorf("amount %v is not a number", y)
	}
	if math.Abs(y) > float64(MaxFen)/100 {
		return 0, fmt.Errorf("amount %.2f is out of range: at most 999,999,999,999.99 yuan", y)
	}
	if y < 0 {
		return -int64(-y*100 + 0.5), nil
	}
	return int64(y*100 + 0.5), nil
}
