// Package civil holds calendar dates and months as the contract uses them:
// plain calendar days in Asia/Shanghai, with no time of day and no zone
// arithmetic. A Date is the number of days since 1970-01-01, which is also
// Arrow's Date32 representation, so columns convert without copying.
package civil

import (
	"fmt"
	"time"
	_ "time/tzdata" // a fresh machine may lack /usr/share/zoneinfo
)

// Date is a calendar date: days since 1970-01-01.
type Date int32

// Month is a calendar month: year*12 + (month-1).
type Month int32

// Shanghai is the zone every "today" is read in.
var Shanghai = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// Today is the calendar date now in Asia/Shanghai.
func Today() Date { return FromTime(time.Now().In(Shanghai)) }

// FromTime takes the calendar date of t in t's own location.
func FromTime(t time.Time) Date {
	y, m, d := t.Date()
	return New(y, m, d)
}

// New builds a date; it does not validate (use Parse for input).
func New(y int, m time.Month, d int) Date {
	return Date(daysFromCivil(y, int(m), d))
}

// daysFromCivil is Howard Hinnant's algorithm: exact for the proleptic
// Gregorian calendar and allocation-free.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// YMD splits the date into year, month and day.
func (d Date) YMD() (int, time.Month, int) {
	z := int64(d) + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return int(y), time.Month(m), int(day)
}

// String formats as YYYY-MM-DD.
func (d Date) String() string {
	y, m, day := d.YMD()
	return fmt.Sprintf("%04d-%02d-%02d", y, int(m), day)
}

// AppendString appends YYYY-MM-DD to b without allocating.
func (d Date) AppendString(b []byte) []byte {
	y, m, day := d.YMD()
	b = append4(b, y)
	b = append(b, '-')
	b = append2(b, int(m))
	b = append(b, '-')
	return append2(b, day)
}

func append4(b []byte, v int) []byte {
	return append(b, byte('0'+v/1000%10), byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
}
func append2(b []byte, v int) []byte { return append(b, byte('0'+v/10%10), byte('0'+v%10)) }

// AddDays moves n calendar days.
func (d Date) AddDays(n int) Date { return d + Date(n) }

// Month is the month the date falls in.
func (d Date) Month() Month {
	y, m, _ := d.YMD()
	return MonthOf(y, m)
}

// Parse reads YYYY-MM-DD strictly: exactly that shape and a real day.
func Parse(s string) (Date, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, fmt.Errorf("%q is not a date: want YYYY-MM-DD", s)
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 {
		return 0, fmt.Errorf("%q is not a date: want YYYY-MM-DD", s)
	}
	if m < 1 || m > 12 || d < 1 || d > DaysIn(y, time.Month(m)) {
		return 0, fmt.Errorf("%q is not a calendar date", s)
	}
	return New(y, time.Month(m), d), nil
}

// MustParse is Parse for constants in tests and defaults.
func MustParse(s string) Date {
	d, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return d
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// DaysIn is the number of days in the month.
func DaysIn(y int, m time.Month) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// MonthOf builds a Month.
func MonthOf(y int, m time.Month) Month { return Month(y*12 + int(m) - 1) }

// YM splits a month.
func (m Month) YM() (int, time.Month) { return int(m) / 12, time.Month(int(m)%12 + 1) }

// First is the month's first day.
func (m Month) First() Date { y, mo := m.YM(); return New(y, mo, 1) }

// Last is the month's last day.
func (m Month) Last() Date { return (m + 1).First() - 1 }

// String formats as YYYY-MM.
func (m Month) String() string { y, mo := m.YM(); return fmt.Sprintf("%04d-%02d", y, int(mo)) }

// ParseMonth reads YYYY-MM strictly.
func ParseMonth(s string) (Month, error) {
	if len(s) != 7 || s[4] != '-' {
		return 0, fmt.Errorf("%q is not a month: want YYYY-MM", s)
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	if !ok1 || !ok2 || m < 1 || m > 12 {
		return 0, fmt.Errorf("%q is not a month: want YYYY-MM", s)
	}
	return MonthOf(y, time.Month(m)), nil
}
