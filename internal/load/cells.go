package load

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/money"
)

// moneyChecks are the per-column value checks the contract states beyond
// the type: only these amounts must be positive; others (balances, totals)
// may legitimately be zero or negative.
var moneyChecks = []struct {
	table, column string
	check         func(money.Fen) string // "" = ok, else the reason
}{
	{"ledger", "amount", positive},
	{"payments", "amount", positive},
}

func positive(f money.Fen) string {
	if f <= 0 {
		return "amount must be positive"
	}
	return ""
}

func (l *loader) setNull(c *column, i int) {
	c.valid[i] = false
	if c.str != nil {
		c.str[i] = "" // so a stale value is not copied into a null slot
	}
	if c.required {
		l.reject(i, c.name, "", "required value is empty")
	}
}

// MaxCell is the longest cell, in bytes, the loader accepts. A village
// export has no legitimate cell near this size; a bigger one is a broken
// export (a runaway quote, a pasted document) and would bloat every finding
// that quotes it as evidence.
const MaxCell = 64 << 10

// minDate is the earliest date the loader accepts: anything before it is a
// typing or conversion error (Excel's day 0, a two-digit year), not a
// village's record.
var minDate = civil.New(1900, 1, 1)

// shownValue shortens a rejected value for the report: a huge cell is cut
// to its first 32 characters and a NUL byte is shown as \x00, so
// rejected.csv stays small and printable.
func shownValue(s string) string {
	if len(s) > MaxCell {
		n := 0
		for j := range s {
			if n == 32 {
				s = s[:j] + "…"
				break
			}
			n++
		}
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", `\x00`)
	}
	return s
}

// setString parses a text cell by the column's kind; "" is null.
func (l *loader) setString(c *column, i int, s string) {
	if s == "" {
		l.setNull(c, i)
		return
	}
	// The common case (a short cell of a clean chunk) is decided here,
	// without a call: a call per cell costs as much as checking it.
	if len(s) > MaxCell || !l.clean && strings.IndexByte(s, 0) >= 0 {
		l.rejectBadCell(c, i, s)
		return
	}
	c.valid[i] = true
	switch c.kind {
	case contract.ID, contract.Text:
		c.str[i] = s
		// encoding/csv does not check encodings; a GBK export (common from
		// Excel in China) would otherwise load as silent mojibake.
		if !l.clean && !utf8.ValidString(s) {
			l.reject(i, c.name, s, "not valid UTF-8 (save the file as UTF-8, not GBK)")
		}
	case contract.Enum:
		c.str[i] = s
		if !slices.Contains(c.enum, s) {
			l.reject(i, c.name, s, c.enumWant)
		}
	case contract.Month:
		c.str[i] = s
		if _, err := civil.ParseMonth(s); err != nil {
			l.reject(i, c.name, s, "want YYYY-MM")
		}
	case contract.Date:
		l.setDateString(c, i, s)
	case contract.Money:
		f, err := money.Parse(s)
		if err != nil {
			l.reject(i, c.name, s, err.Error())
			return
		}
		l.setMoney(c, i, f, s)
	case contract.Int:
		// Declared tables only (counts such as a vote's attendance): a
		// whole number in decimal, no separators.
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			l.reject(i, c.name, s, "want a whole number")
			return
		}
		c.i64[i] = v
	case contract.Bool:
		switch s {
		case "true":
			c.bl[i] = true
		case "false":
			c.bl[i] = false
		default:
			l.reject(i, c.name, s, "want true or false")
		}
	default:
		l.reject(i, c.name, s, fmt.Sprintf("column kind %s cannot be loaded", c.kind))
	}
}

// setDateString parses a non-empty date cell of c (YYYY-MM-DD).
func (l *loader) setDateString(c *column, i int, s string) {
	// lastDate's zero bytes match no cell: one with a NUL was rejected
	// before this is called.
	if len(s) == len(c.lastDate) && string(c.lastDate[:]) == s {
		c.d32[i] = c.lastDay // parsed and accepted before
		return
	}
	d, err := civil.Parse(s)
	if err != nil {
		if len(s) == 10 && s[4] == '-' && s[7] == '-' {
			l.reject(i, c.name, s, "not a calendar date: want YYYY-MM-DD")
		} else {
			l.reject(i, c.name, s, "want YYYY-MM-DD")
		}
		return
	}
	c.d32[i] = arrow.Date32(d)
	if d < minDate {
		l.reject(i, c.name, s, "date before 1900-01-01")
		return
	}
	copy(c.lastDate[:], s)
	c.lastDay = arrow.Date32(d)
}

// rejectBadCell rejects a cell no column kind can hold (too large, or
// with a NUL byte), leaving it null.
func (l *loader) rejectBadCell(c *column, i int, s string) {
	reason := "contains a NUL byte (binary data, not text)" // NUL is never text: a binary file or a broken converter
	if len(s) > MaxCell {
		reason = fmt.Sprintf("cell is %d bytes: at most %d are loaded", len(s), MaxCell)
	}
	c.valid[i] = false
	if c.str != nil {
		c.str[i] = ""
	}
	l.reject(i, c.name, shownValue(s), reason)
}

// setMoney stores fen; raw is the value as read, for the reject ("" = format f).
func (l *loader) setMoney(c *column, i int, f money.Fen, raw string) {
	c.valid[i] = true
	c.i64[i] = f
	if shown, reason := c.moneyProblem(f, raw); reason != "" {
		l.reject(i, c.name, shown, reason)
	}
}

// moneyProblem is why amount f cannot be loaded into c ("" = it can), and
// the value to show for it: raw, or f formatted when raw is "". The checks
// are the range, the column's absolute total (f is added to it when in
// range) and the column's own check; both load paths (setMoney, and the
// native Parquet path's checkMoney) apply them through here.
func (c *column) moneyProblem(f money.Fen, raw string) (shown, reason string) {
	if money.InRange(f) {
		if reason = c.addAbs(f); reason == "" && c.check != nil {
			reason = c.check(f)
		}
		if reason == "" {
			return "", ""
		}
	}
	if raw == "" {
		raw = money.Format(f)
	}
	if reason == "" { // out of range: the reason quotes the value
		reason = money.RangeError(raw).Error()
	}
	return raw, reason
}

// addAbs adds |f| to the column's absolute total; "" = ok, else the
// reason the row is rejected.
func (c *column) addAbs(f money.Fen) string {
	if f < 0 {
		f = -f
	}
	s, err := money.Add(c.absSum, f)
	if err != nil {
		return "the column's amounts add up beyond 92,233,720,368,547,758.07 yuan: sums over them would not be exact"
	}
	c.absSum = s
	return ""
}

func (l *loader) setDate(c *column, i int, d civil.Date) {
	c.valid[i] = true
	c.d32[i] = arrow.Date32(d)
	if d < minDate {
		l.reject(i, c.name, d.String(), "date before 1900-01-01")
	}
}

func (l *loader) setBool(c *column, i int, v bool) {
	c.valid[i] = true
	c.bl[i] = v
}
