package load

import (
	"strings"
)

// keyValues and describeKey show one row's key, cell(j) being key column
// j's (cols[j]) cell; shared by the per-cell and native paths.

// keyValues is the key cells joined by commas, for a reject's value.
func keyValues(cols []*column, cell func(j int) string) string {
	vals := make([]string, len(cols))
	for j := range cols {
		vals[j] = cell(j)
	}
	return strings.Join(vals, ",")
}

// describeKey is "name=value, ..." for a reject's reason.
func describeKey(cols []*column, cell func(j int) string) string {
	var sb strings.Builder
	for j, c := range cols {
		if j > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(c.name)
		sb.WriteByte('=')
		sb.WriteString(cell(j))
	}
	return sb.String()
}
