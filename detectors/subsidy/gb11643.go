package subsidy

import (
	"time"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/ident"
)

// IDCheck is the GB 11643-1999 reading of an 18-character resident ID.
type IDCheck struct {
	FormatOK   bool // 17 digits then a digit or X (upper case)
	ChecksumOK bool // FormatOK and the check character matches
	Expected   byte // the check character the first 17 digits give
	BirthOK    bool // characters 7–14 are a calendar date
	Birth      civil.Date
	Gender     string // "M" when the 17th digit is odd, "F" when even
}

// CheckID reads an ID number. It does not allocate.
func CheckID(id string) IDCheck {
	var r IDCheck
	if len(id) != 18 {
		return r
	}
	expected, ok := ident.CheckDigit(id[:17])
	if !ok {
		return r
	}
	last := id[17]
	if (last < '0' || last > '9') && last != 'X' {
		return r
	}
	r.FormatOK = true
	r.Expected = expected
	r.ChecksumOK = last == r.Expected
	y := int(id[6]-'0')*1000 + int(id[7]-'0')*100 + int(id[8]-'0')*10 + int(id[9]-'0')
	m := int(id[10]-'0')*10 + int(id[11]-'0')
	d := int(id[12]-'0')*10 + int(id[13]-'0')
	if m >= 1 && m <= 12 && d >= 1 && d <= civil.DaysIn(y, time.Month(m)) {
		r.BirthOK = true
		r.Birth = civil.New(y, time.Month(m), d)
	}
	if (id[16]-'0')%2 == 1 {
		r.Gender = "M"
	} else {
		r.Gender = "F"
	}
	return r
}
