package source

import (
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/ident"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/mask"
)

var (
	reInt     = regexp.MustCompile(`^-?\d+$`)
	reDec     = regexp.MustCompile(`^-?\d+\.\d+$`)
	reMoneyTx = regexp.MustCompile(`^[-(（]?(¥|￥|RMB)?\s*-?[\d,，]+(\.\d+)?\s*(元|万元|万)?[)）]?$`)
)

// kindOf names what a raw cell looks like.
func kindOf(s string, xlsx bool, k contract.Kind) string {
	if _, changed := ident.Normalize(s, ident.Code); changed && k == contract.ID && strings.TrimSpace(s) != "" {
		return "id with spaces, invisible or full-width characters (normalised by the run, reported as DQ-*-ALTERED)"
	}
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return ""
	case reInt.MatchString(s) && len(s) >= 12:
		return "long number/ID"
	case xlsx && (k == contract.Date || k == contract.Month) && reSerial.MatchString(s):
		return "Excel date serial"
	case reCompact.MatchString(s):
		if _, err := ParseDate(s); err == nil {
			return "date 20240305"
		}
		return "integer"
	case reInt.MatchString(s):
		return "integer"
	case reDec.MatchString(s):
		return "decimal"
	case reYMD.MatchString(s):
		switch {
		case strings.Contains(s, "年"):
			return "date 2024年3月5日"
		case strings.Contains(s, "/"):
			return "date 2024/3/5"
		case strings.Contains(s, "."):
			return "date 2024.3.5"
		}
		return "date 2024-03-05"
	case reYM.MatchString(s) || reYMc.MatchString(s):
		return "month"
	case reQuarter.MatchString(s) || reYear.MatchString(s):
		return "period"
	case reMoneyTx.MatchString(s):
		return "money text"
	case reNumericID.MatchString(s):
		return "number in scientific notation (digits lost)"
	}
	return "text"
}

// sampleAndTypes reads up to 200 data rows: it shows the first n as the
// loader will see them and tallies what each source column holds.
func sampleAndTypes(w io.Writer, p *plan, n int, m *mask.Masker) {
	next := p.rows()
	kinds := make([]map[string]int, len(p.header))
	for j := range kinds {
		kinds[j] = map[string]int{}
	}
	var samples []load.Record
	var raws [][]string
	seen := 0
	for seen < 200 {
		// peek at the raw cells too: p.rows converts them
		rec, ok, err := next()
		if err != nil || !ok {
			break
		}
		seen++
		if len(samples) < n {
			samples = append(samples, rec)
		}
		raws = append(raws, rec.Raw)
		_ = raws
	}
	// Types: by contract column's source raw values.
	for _, r := range raws {
		for k, c := range p.convs {
			if c.src >= 0 && k < len(r) {
				if kd := kindOf(r[k], p.sheet != "", c.col.Kind); kd != "" {
					kinds[c.src][kd]++
				}
			}
		}
	}
	fmt.Fprintf(w, "\ntypes seen in the first %d data rows (mapped columns):\n", seen)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, c := range p.convs {
		if c.src < 0 {
			continue
		}
		var parts []string
		for k, v := range kinds[c.src] {
			parts = append(parts, fmt.Sprintf("%s ×%d", k, v))
		}
		sort.Strings(parts)
		if len(parts) == 0 {
			parts = []string{"all empty"}
		}
		extra := usedValues(p, c, raws)
		fmt.Fprintf(tw, "  %s %s\t→ %s\t%s%s\n", p.colName(c.src), c.header, c.col.Name, strings.Join(parts, ", "), extra)
	}
	tw.Flush()
	printSamples(w, p, samples, m)
}

// usedValues lists the mapped values (raw→contract) of column c that the
// sampled rows use, for the types table; "" when none.
func usedValues(p *plan, c *colConv, raws [][]string) string {
	extra := ""
	if len(c.values) > 0 {
		var used []string
		vs := map[string]bool{}
		for _, r := range raws {
			for k, cc := range p.convs {
				if cc == c && k < len(r) {
					if to, ok := c.values[strings.TrimSpace(r[k])]; ok && !vs[r[k]] {
						vs[r[k]] = true
						used = append(used, r[k]+"→"+to)
					}
				}
			}
		}
		slices.Sort(used)
		if len(used) > 0 {
			extra = "  values: " + strings.Join(used, ", ")
		}
	}
	return extra
}

// printSamples shows the sample rows as loaded: each converted cell and
// what it was converted from, then the cells that could not be.
func printSamples(w io.Writer, p *plan, samples []load.Record, m *mask.Masker) {
	fmt.Fprintf(w, "\nsample rows as loaded (raw → contract):\n")
	for _, rec := range samples {
		fmt.Fprintf(w, "  %s %d:\n", rowWord(p), rec.Line)
		for k, c := range p.convs {
			raw, v := rec.Raw[k], rec.Fields[k]
			switch {
			case raw == "" && v == "":
				continue
			case raw == v:
				fmt.Fprintf(w, "    %s = %s\n", c.col.Name, m.Field(c.col.Name, v))
			default:
				fmt.Fprintf(w, "    %s = %s  (from %q)\n", c.col.Name, m.Field(c.col.Name, v), m.Field(c.col.Name, raw))
			}
		}
		for _, b := range rec.Bad {
			fmt.Fprintf(w, "    %s: cannot convert %q: %s\n", b.Column, m.Field(b.Column, b.Value), m.Text(b.Reason))
		}
	}
}
