package load

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/neijiang/xiaowei/internal/csvguard"
	"github.com/neijiang/xiaowei/internal/mask"
)

// WriteRejects writes rejects as CSV with the header
// table,file,line,column,value,reason. Cells are guarded against formula
// injection (csvguard): people open this file in a spreadsheet, and the
// rejected values are the audited offices' own bytes.
func WriteRejects(w io.Writer, rejects []Reject) error {
	// The report itself is UTF-8: a rejected value that is not (a GBK cell)
	// is written with its bad bytes as \xNN, so the report stays readable and
	// the original bytes can still be told.
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"table", "file", "line", "column", "value", "reason"}); err != nil {
		return fmt.Errorf("writing rejects: %w", err)
	}
	for _, r := range rejects {
		if err := cw.Write(csvguard.Row([]string{r.Table, r.File, strconv.Itoa(r.Line), r.Column, printable(r.Value), r.Reason})); err != nil {
			return fmt.Errorf("writing rejects: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("writing rejects: %w", err)
	}
	return nil
}

// printable escapes bytes that are not valid UTF-8 as \xNN.
func printable(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			fmt.Fprintf(&b, "\\x%02X", s[i])
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// MaskRejects returns a copy of rejects with ID numbers, names and
// accounts masked in values and reasons (m knows the register's names).
// rejected.csv is opened by clerks and passed around like a report; its
// file, line and column still name the cell to fix.
func MaskRejects(rejects []Reject, m *mask.Masker) []Reject {
	out := make([]Reject, len(rejects))
	for i, r := range rejects {
		r.Value = m.Field(r.Column, r.Value)
		r.Reason = m.Text(r.Reason)
		out[i] = r
	}
	return out
}
