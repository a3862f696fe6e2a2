package disclosure

import (
	"strconv"

	"github.com/neijiang/xiaowei/internal/civil"
)

// A period is a run of whole calendar months: a month, a quarter or a year,
// always aligned to the calendar (quarters start in January, April, July and
// October; years in January).
type period struct {
	first civil.Month // first month
	n     int         // months: 1, 3 or 12
}

func (p period) start() civil.Date { return p.first.First() }
func (p period) end() civil.Date   { return (p.first + civil.Month(p.n)).First() - 1 }
func (p period) next() period      { return period{p.first + civil.Month(p.n), p.n} }

// label formats the period the way the contract writes it: YYYY-MM,
// YYYY-Qn or YYYY.
func (p period) label() string {
	y, m := p.first.YM()
	b := make([]byte, 0, 7)
	b = appendYear(b, y)
	switch p.n {
	case 1:
		b = append(b, '-', byte('0'+int(m)/10), byte('0'+int(m)%10))
	case 3:
		b = append(b, '-', 'Q', byte('1'+(int(m)-1)/3))
	}
	return string(b)
}

func appendYear(b []byte, y int) []byte {
	return append(b, byte('0'+y/1000%10), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10))
}

// frequencyMonths maps a schedule frequency to its period length.
func frequencyMonths(f string) (int, bool) {
	switch f {
	case "monthly":
		return 1, true
	case "quarterly":
		return 3, true
	case "yearly":
		return 12, true
	}
	return 0, false
}

// firstPeriodFrom is the first calendar-aligned period of n months that
// starts on or after d.
func firstPeriodFrom(d civil.Date, n int) period {
	m := d.Month()
	if m.First() < d {
		m++
	}
	if r := int(m) % 12 % n; r != 0 {
		m += civil.Month(n - r)
	}
	return period{m, n}
}

// parsePeriod reads a periodic notice's period label: YYYY-MM, YYYY-Qn or
// YYYY. ok is false for anything else (a case id, a project reference).
func parsePeriod(s string) (period, bool) {
	if len(s) != 4 && len(s) != 7 {
		return period{}, false
	}
	y, err := strconv.Atoi(s[:4])
	if err != nil || y < 1000 || s[0] == '+' || s[0] == '-' {
		return period{}, false
	}
	if len(s) == 4 {
		return period{civil.MonthOf(y, 1), 12}, true
	}
	if s[4] != '-' {
		return period{}, false
	}
	if s[5] == 'Q' {
		q := int(s[6]) - '0'
		if q < 1 || q > 4 {
			return period{}, false
		}
		return period{civil.MonthOf(y, 1) + civil.Month(3*(q-1)), 3}, true
	}
	if s[5] < '0' || s[5] > '9' || s[6] < '0' || s[6] > '9' {
		return period{}, false
	}
	m := int(s[5]-'0')*10 + int(s[6]-'0')
	if m < 1 || m > 12 {
		return period{}, false
	}
	return period{civil.MonthOf(y, 1) + civil.Month(m-1), 1}, true
}
