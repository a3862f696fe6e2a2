package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/mask"
	"github.com/neijiang/xiaowei/internal/table"
)

// InspectOptions tune Inspect.
type InspectOptions struct {
	Mapping *Mapping // nil = built-in aliases only
	Table   string   // "" = from the mapping, else guessed from the header
	Sheet   string   // xlsx: "" = from the mapping, else the first sheet
	Rows    int      // sample rows shown (default 3)
	Errors  int      // rejects shown (default 10)
	// Unmasked shows ID numbers, names and accounts in sample rows and
	// rejects in full; by default they are masked like the report's.
	Unmasked bool
	mk       *mask.Masker // set by Inspect
}

// Inspect prints what the loader sees in one file: its sheets, the header
// row, how each source column maps to the contract, the unmapped columns,
// the types seen, sample rows as converted, and the first rejects, so a
// mapping can be written without trial and error.
func Inspect(ctx context.Context, w io.Writer, file string, o InspectOptions) error {
	if o.Rows <= 0 {
		o.Rows = 3
	}
	if o.Errors <= 0 {
		o.Errors = 10
	}
	fi, err := os.Stat(file)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "file: %s (%d bytes)\n", file, fi.Size())
	if err := checkFormat(file); err != nil {
		fmt.Fprintf(w, "format: %v\n", err)
		return err
	}
	m := o.Mapping
	if m == nil {
		m = &Mapping{Tables: map[string]*TableMap{}, Aliases: map[string][]string{}, Values: map[string]map[string]string{}}
	}
	tm, from := mappedTable(m, file, o)
	o.mk = registerMasker(ctx, m, file, o.Unmasked)
	if err := describeFormat(ctx, w, file, m, tm); err != nil {
		return err
	}
	tm, err = chooseTable(w, m, file, o, tm, from)
	if tm == nil || err != nil {
		return err
	}
	if strings.EqualFold(filepath.Ext(file), ".parquet") {
		return inspectLoad(ctx, w, m, tm, nil, o)
	}
	p, err := open(m, tm)
	if p == nil {
		fmt.Fprintf(w, "error: %v\n", err)
		return nil
	}
	if err == nil {
		defer p.rr.close()
	}
	describePlan(w, p)
	if err != nil {
		fmt.Fprintf(w, "\nmapping error:\n  %v\n", err)
		return nil
	}
	sampleAndTypes(w, p, o.Rows, o.mk)
	p.rr.close()
	return inspectLoad(ctx, w, m, tm, p, o)
}

// mappedTable is the mapping's table for file (matching --table and
// --sheet when given), and where the mapping says so; nil without one.
func mappedTable(m *Mapping, file string, o InspectOptions) (tm *TableMap, from string) {
	if o.Mapping != nil {
		for _, t := range m.ForFile(file) {
			if (o.Table == "" || t.Table == o.Table) && (o.Sheet == "" || t.Sheet == o.Sheet || t.Sheet == "") {
				tm = t
				break
			}
		}
		if tm != nil {
			from = fmt.Sprintf("%s:%d", m.Path, tm.Line)
			if o.Sheet != "" && tm.Sheet == "" {
				cp := *tm
				cp.Sheet = o.Sheet
				tm = &cp
			}
		}
	}
	return tm, from
}

// describeFormat lists an xlsx file's sheets, or says a CSV file's
// encoding and separator.
func describeFormat(ctx context.Context, w io.Writer, file string, m *Mapping, tm *TableMap) error {
	if isXLSX(file) {
		if err := listSheets(ctx, w, file, m, tm); err != nil {
			return err
		}
	} else if !strings.EqualFold(filepath.Ext(file), ".parquet") {
		enc := ""
		if tm != nil {
			enc = tm.Encoding
		}
		c, got, err := openCSV(file, enc)
		if err != nil {
			fmt.Fprintf(w, "encoding: %v\n", err)
			return err
		}
		c.close()
		how := "detected"
		if e, _ := normEncoding(enc); e != "" {
			how = "stated in the mapping"
		}
		fmt.Fprintf(w, "encoding: %s (%s); separator %q\n", got, how, string(c.cr.Comma))
	}

	return nil
}

// chooseTable says which table the file is read as: the mapping's, the
// one --table names, or the one its header looks like; nil when none is
// recognised (said on w, not an error).
func chooseTable(w io.Writer, m *Mapping, file string, o InspectOptions, tm *TableMap, from string) (*TableMap, error) {
	abs, _ := filepath.Abs(file)
	synthetic := func(table string) *TableMap {
		return &TableMap{Table: table, File: abs, Sheet: o.Sheet, Columns: map[string]*ColumnMap{}}
	}
	switch {
	case tm != nil:
		fmt.Fprintf(w, "table: %s (mapping %s)\n", tm.Table, from)
	case o.Table != "":
		if _, ok := contract.Lookup(o.Table); !ok {
			return nil, fmt.Errorf("--table %s: not a contract table (tables: %s)", o.Table, tableNames())
		}
		tm = synthetic(o.Table)
		fmt.Fprintf(w, "table: %s (--table; built-in header aliases)\n", tm.Table)
	default:
		best, score, why := guessTable(m, file, o.Sheet)
		if best == "" {
			fmt.Fprintf(w, "table: none recognised: no header row in the first %d rows names a contract column; say --table and write columns: in a mapping\n", headerScan)
			return nil, nil
		}
		tm = synthetic(best)
		fmt.Fprintf(w, "table: %s (guessed: %s; say --table to choose)\n", best, why)
		_ = score
	}
	return tm, nil
}

func describePlan(w io.Writer, p *plan) {
	fmt.Fprintf(w, "header: row %d of %s\n\n", p.headerRow, p.where())
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "column\theader\t→ contract\thow")
	bySrc := map[int]*colConv{}
	for _, c := range p.convs {
		if c.src >= 0 {
			bySrc[c.src] = c
		}
	}
	for j, h := range p.header {
		if c, ok := bySrc[j]; ok {
			how := c.how
			if c.scale == 4 {
				how += ", in 万元"
			}
			fmt.Fprintf(tw, "%s\t%s\t→ %s (%s)\t%s\n", p.colName(j), h, c.col.Name, c.col.Kind, how)
		} else if strings.TrimSpace(h) != "" {
			fmt.Fprintf(tw, "%s\t%s\t(unmapped: not loaded)\n", p.colName(j), h)
		}
	}
	tw.Flush()
	var consts, absent []string
	for _, c := range p.convs {
		switch {
		case c.konst != nil:
			consts = append(consts, fmt.Sprintf("%s = %q", c.col.Name, *c.konst))
		case c.src < 0 && c.how != "value":
			req := "optional, loads empty"
			if c.col.Required {
				req = "REQUIRED"
			}
			absent = append(absent, fmt.Sprintf("%s (%s)", c.col.Name, req))
		}
	}
	if len(consts) > 0 {
		fmt.Fprintf(w, "\nvalues from the mapping: %s\n", strings.Join(consts, ", "))
	}
	if len(absent) > 0 {
		fmt.Fprintf(w, "\ncontract columns with no source column: %s\n", strings.Join(absent, ", "))
	}
	if len(p.unmapped) > 0 {
		var names []string
		for _, j := range p.unmapped {
			names = append(names, p.colName(j)+" "+p.header[j])
		}
		fmt.Fprintf(w, "unmapped source columns: %s\n", strings.Join(names, ", "))
	}
}

// registerMasker is the masker for inspect's output. It knows the names
// of the persons register when one sits beside the file (a contract
// dataset's persons.csv or .parquet) or is in the mapping, so a name in
// free text (a ledger summary 陪同张三…) is masked too; best effort: with
// no register only keyed values (IDs, names, accounts) are masked.
func registerMasker(ctx context.Context, m *Mapping, file string, unmasked bool) *mask.Masker {
	mk := mask.New(unmasked)
	if unmasked {
		return mk
	}
	tm := m.Tables["persons"]
	if tm == nil {
		for _, ext := range []string{".csv", ".parquet"} {
			p, err := filepath.Abs(filepath.Join(filepath.Dir(file), "persons"+ext))
			if _, serr := os.Stat(p); err == nil && serr == nil {
				tm = &TableMap{Table: "persons", File: p, Columns: map[string]*ColumnMap{}}
				break
			}
		}
	}
	if tm == nil {
		return mk
	}
	t, _, _, err := LoadTable(ctx, m, tm, load.Options{})
	if err != nil {
		return mk
	}
	defer t.Release()
	ds := &load.Dataset{Tables: map[string]*table.Table{"persons": t}}
	mk.LearnAll(ds.PersonNames())
	return mk
}

func rowWord(p *plan) string {
	if p.sheet != "" {
		return "row"
	}
	return "line"
}

// inspectLoad loads the whole table and shows the row accounting and the
// first rejects.
func inspectLoad(ctx context.Context, w io.Writer, m *Mapping, tm *TableMap, p *plan, o InspectOptions) error {
	t, st, rejects, err := LoadTable(ctx, m, tm, load.Options{})
	if err != nil {
		if errors.Is(err, ErrMapping) {
			fmt.Fprintf(w, "\nmapping error:\n  %v\n", err)
			return nil
		}
		return err
	}
	t.Release()
	fmt.Fprintf(w, "\nrows: read %d = loaded %d + rejected %d\n", st.Read, st.Loaded, st.Rejected)
	if len(rejects) == 0 {
		return nil
	}
	fmt.Fprintf(w, "first errors (%d in all; the run writes them to rejected.csv):\n", len(rejects))
	mk := o.mk
	if mk == nil {
		mk = mask.New(o.Unmasked)
	}
	for i, r := range rejects {
		if i == o.Errors {
			break
		}
		word := "line"
		if isXLSX(r.File) {
			word = "row"
		}
		fmt.Fprintf(w, "  %s %d  %s  %q: %s\n", word, r.Line, r.Column, mk.Field(r.Column, r.Value), mk.Text(r.Reason))
	}
	return nil
}
