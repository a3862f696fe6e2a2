package source

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/money"
)

// How exports write dates, months, periods and amounts, and their reading
// into the contract's forms (ParseDate, ParseMonth, Period, ParseMoney).

var (
	reYMD     = regexp.MustCompile(`^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$`)
	reCompact = regexp.MustCompile(`^(\d{4})(\d{2})(\d{2})$`)
	reSerial  = regexp.MustCompile(`^\d{1,5}(\.\d+)?$`)
	reYM      = regexp.MustCompile(`^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?(份)?$`)
	reYMc     = regexp.MustCompile(`^(\d{4})(\d{2})$`)
	reQuarter = regexp.MustCompile(`^(\d{4})\s*年?\s*(第)?\s*([1-4一二三四])\s*季度?$`)
	reYear    = regexp.MustCompile(`^(\d{4})\s*年度?$`)
	reTime    = regexp.MustCompile(`[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$`)
)

// excelEpoch is day 0 of Excel's 1900 date system as Excel counts it
// (serial 1 = 1900-01-01, with the fictitious 1900-02-29 at 60).
var excelEpoch = civil.New(1899, time.December, 30)

// excelEpoch1904 is day 0 of the 1904 date system (workbookPr date1904,
// the default of old Mac Excel): the same serial is 1462 days later than
// in the 1900 system, so reading such a workbook as 1900 puts every date
// four years and a day early.
var excelEpoch1904 = civil.New(1904, time.January, 1)

// dateSystem says how a workbook counts serial dates. CSV files carry no
// flag: their serials (rare: someone exported raw numbers) are 1900-based.
type dateSystem uint8

const (
	date1900 dateSystem = iota
	date1904
)

// ParseDate reads the date forms exports use: 2024-03-05, 2024-3-5,
// 2024/3/5, 2024.3.5, 2024年3月5日, 20240305, and an Excel serial date
// (45356, possibly with a time fraction) in the 1900 date system; a
// trailing time of day is ignored.
func ParseDate(s string) (civil.Date, error) { return parseDate(s, date1900) }

func parseDate(s string, sys dateSystem) (civil.Date, error) {
	s = strings.TrimSpace(s)
	s = reTime.ReplaceAllString(s, "")
	if m := reYMD.FindStringSubmatch(s); m != nil {
		return ymd(s, m[1], m[2], m[3])
	}
	if m := reCompact.FindStringSubmatch(s); m != nil {
		return ymd(s, m[1], m[2], m[3])
	}
	if reSerial.MatchString(s) {
		return serialDate(s, sys)
	}
	return 0, fmt.Errorf("%q is not a date: want 2024-03-05, 2024/3/5, 2024年3月5日, 20240305 or an Excel date", s)
}

// serialDate converts an Excel serial (reSerial) in the workbook's date
// system; a time-of-day fraction is dropped.
func serialDate(s string, sys dateSystem) (civil.Date, error) {
	f, _ := strconv.ParseFloat(s, 64)
	n := int(math.Floor(f))
	if sys == date1904 {
		return excelEpoch1904.AddDays(n), nil
	}
	if n < 61 { // before Excel's fictitious 1900-02-29: not a plausible date here
		return 0, fmt.Errorf("%q is not a date (as an Excel serial date it is before 1900-03-01)", s)
	}
	return excelEpoch.AddDays(n), nil
}

func ymd(s, ys, ms, ds string) (civil.Date, error) {
	y, _ := strconv.Atoi(ys)
	m, _ := strconv.Atoi(ms)
	d, _ := strconv.Atoi(ds)
	if m < 1 || m > 12 || d < 1 || d > civil.DaysIn(y, time.Month(m)) {
		return 0, fmt.Errorf("%q is not a calendar date", s)
	}
	return civil.New(y, time.Month(m), d), nil
}

// ParseMonth reads 2024-03, 2024-3, 2024/3, 2024.03, 2024年3月, 202403,
// any full date form (its month) and an Excel serial date of five digits
// (its month, 1900 date system).
func ParseMonth(s string) (civil.Month, error) { return parseMonth(s, date1900) }

// reSerialMonth is an Excel serial date in a month column. Typing 2024年3月
// into Chinese Excel stores the serial of 2024-03-01 with a 年月 number
// format, so a month column of a workbook holds serials like 45352. Only
// five-digit serials (1927-05-18 to 2173) are read as dates: four digits
// would be a bare year and six are 202403.
var reSerialMonth = regexp.MustCompile(`^\d{5}(\.\d+)?$`)

func parseMonth(s string, sys dateSystem) (civil.Month, error) {
	t := strings.TrimSpace(s)
	if m := reYM.FindStringSubmatch(t); m != nil {
		return ym(s, m[1], m[2])
	}
	if m := reYMc.FindStringSubmatch(t); m != nil {
		return ym(s, m[1], m[2])
	}
	if reSerialMonth.MatchString(t) {
		d, err := serialDate(t, sys)
		if err != nil {
			return 0, err
		}
		return d.Month(), nil
	}
	if d, err := parseDate(t, sys); err == nil && !reSerial.MatchString(t) {
		return d.Month(), nil
	}
	return 0, fmt.Errorf("%q is not a month: want 2024-03, 2024/3, 2024年3月, 202403, a date or an Excel date", s)
}

func ym(s, ys, ms string) (civil.Month, error) {
	y, _ := strconv.Atoi(ys)
	m, _ := strconv.Atoi(ms)
	if m < 1 || m > 12 {
		return 0, fmt.Errorf("%q is not a month", s)
	}
	return civil.MonthOf(y, time.Month(m)), nil
}

// Period normalises a disclosure period: 2024年第一季度 / 2024年1季度 →
// 2024-Q1, 2024年3月 → 2024-03, 2024年度 → 2024. Anything else (a case id,
// a project reference) is kept as is.
func Period(s string) string {
	t := strings.TrimSpace(s)
	if m := reQuarter.FindStringSubmatch(t); m != nil && (m[2] != "" || strings.Contains(t, "季")) {
		q := strings.IndexRune("一二三四", []rune(m[3])[0])
		if q >= 0 {
			q = q/3 + 1 // byte index of a 3-byte rune
		} else {
			q, _ = strconv.Atoi(m[3])
		}
		return fmt.Sprintf("%s-Q%d", m[1], q)
	}
	if strings.Contains(t, "年") || strings.Contains(t, "月") {
		if mo, err := ParseMonth(t); err == nil {
			return mo.String()
		}
		if m := reYear.FindStringSubmatch(t); m != nil {
			return m[1]
		}
	}
	return s
}

// ParseMoney reads amounts as exports write them: 1,234.50, ¥1234.5,
// ￥1,234.50, 1234.5元, RMB 1234.50, 1.2万元; scale is the column's unit
// (4 = 万元, stated in the mapping or the header). A value with float noise
// (1234.5599999999999, as spreadsheets store decimals) is rounded to the
// fen; any other third decimal is an error. Each accepted way of writing
// an amount is one step of a single left-to-right scan (sign and currency,
// unit, grouping, decimals), so what is accepted can be read in one place.
func ParseMoney(s string, scale int) (money.Fen, error) {
	t, neg := moneySign(strings.TrimSpace(s))
	switch {
	case strings.HasSuffix(t, "万元"):
		t, scale = strings.TrimSuffix(t, "万元"), 4
	case strings.HasSuffix(t, "万"):
		t, scale = strings.TrimSuffix(t, "万"), 4
	case strings.HasSuffix(t, "元"):
		if scale == 4 {
			return 0, fmt.Errorf("%q is in 元 but the column is in 万元", s)
		}
		t = strings.TrimSuffix(t, "元")
	}
	t = strings.TrimSpace(t)
	if err := checkGrouping(s, t); err != nil {
		return 0, err
	}
	t = strings.ReplaceAll(t, ",", "")
	t = strings.ReplaceAll(t, "，", "")
	if t == "" || strings.ContainsAny(t, "eE") {
		return 0, fmt.Errorf("%q is not an amount", s)
	}
	intPart, frac, _ := strings.Cut(t, ".")
	// 1234.560 is 1234.56: trailing zeros are no fraction of a fen
	frac = strings.TrimRight(frac, "0")
	// shift the decimal point right by scale (万元 → 元)
	for range scale {
		if frac == "" {
			intPart += "0"
		} else {
			intPart += frac[:1]
			frac = frac[1:]
		}
	}
	if len(frac) > 2 {
		if len(frac) < 9 {
			return 0, fmt.Errorf("%q has a fraction of a fen: money has at most two decimals (in 元)", s)
		}
		// float noise from a spreadsheet: round to the fen if it is that close
		f, err := strconv.ParseFloat(intPart+"."+frac, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not an amount", s)
		}
		r := math.Round(f * 100)
		if math.Abs(f*100-r) > 1e-4 {
			return 0, fmt.Errorf("%q has a fraction of a fen: money has at most two decimals (in 元)", s)
		}
		fen := money.Fen(r)
		if neg {
			fen = -fen
		}
		return fen, nil
	}
	v := intPart
	if frac != "" {
		v += "." + frac
	}
	f, err := money.Parse(v)
	if err != nil {
		return 0, fmt.Errorf("%q is not an amount: want 1234.50, 1,234.50, ¥1234.5 or 1234.5元", s)
	}
	if neg {
		f = -f
	}
	return f, nil
}

// checkGrouping refuses misplaced thousands separators: 12,34.50 is not
// 1234.50 but a typo or a locale the export should not have (stripping the
// commas would silently accept it). Groups after the first have exactly
// three digits; the first has one to three; none in the decimals.
func checkGrouping(s, t string) error {
	if !strings.ContainsAny(t, ",，") {
		return nil
	}
	intPart, frac, _ := strings.Cut(t, ".")
	bad := strings.ContainsAny(frac, ",，")
	groups := strings.FieldsFunc(intPart, func(r rune) bool { return r == ',' || r == '，' })
	if len(groups) != strings.Count(intPart, ",")+strings.Count(intPart, "，")+1 {
		bad = true // an empty group: a leading, trailing or doubled separator
	}
	for i, g := range groups {
		if !isDigits(g) || (i == 0 && len(g) > 3) || (i > 0 && len(g) != 3) {
			bad = true
		}
	}
	if bad {
		return fmt.Errorf("%q has misplaced thousands separators: want 1,234,567.89 (groups of three digits) or no separators", s)
	}
	return nil
}

// moneySign strips an amount's sign and currency: accounting parentheses,
// a currency prefix (RMB, CNY, ¥, ￥) and a minus (¥ and ￥ may also follow
// it); neg says the amount is negative (parentheses and a minus cancel).
func moneySign(t string) (string, bool) {
	neg := false
	if strings.HasPrefix(t, "(") && strings.HasSuffix(t, ")") || strings.HasPrefix(t, "（") && strings.HasSuffix(t, "）") {
		neg = true
		t = strings.Trim(t, "()（）")
	}
	for _, p := range []string{"RMB", "CNY", "¥", "￥"} {
		t = strings.TrimSpace(strings.TrimPrefix(t, p))
	}
	if strings.HasPrefix(t, "-") {
		neg = !neg
		t = strings.TrimSpace(t[1:])
		for _, p := range []string{"¥", "￥"} {
			t = strings.TrimPrefix(t, p)
		}
	}
	return t, neg
}
