package source

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/table"
)

// colConv converts one contract column's source values.
type colConv struct {
	col    contract.Column
	src    int     // source column index, -1 = none (const or absent)
	header string  // source header as written
	how    string  // "mapping", "alias", "contract name", "value", "absent"
	konst  *string // value: from the mapping
	values map[string]string
	scale  int // 4 = 万元
	period bool
	sys    dateSystem // the workbook's serial date system
}

// plan is how one source sheet becomes one contract table.
type plan struct {
	tm        *TableMap
	spec      *contract.Table
	path      string
	sheet     string   // xlsx only
	sheets    []string // xlsx only
	sys       dateSystem
	encoding  string // CSV only
	headerRow int
	header    []string // source header as written
	convs     []*colConv
	unmapped  []int // source columns no contract column reads
	pending   [][]string
	lines     []int
	rr        rowReader
	// dateStyles caches isDateFormat per workbook style index
	dateStyles map[int]bool
}

// open reads a table's file up to and including its header row and works
// out which source column feeds each contract column.
func open(m *Mapping, tm *TableMap) (*plan, error) {
	spec, _ := contract.Lookup(tm.Table)
	p := &plan{tm: tm, spec: spec, path: m.FilePath(tm)}
	if err := checkFormat(p.path); err != nil {
		return nil, err
	}
	var err error
	switch {
	case isXLSX(p.path):
		var x *xlsxRows
		x, p.sheet, p.sheets, err = openXLSX(p.path, tm.Sheet)
		if x != nil {
			p.rr, p.sys = x, x.sys
		}
	default:
		var c *csvRows
		c, p.encoding, err = openCSV(p.path, tm.Encoding)
		p.rr = c
	}
	if err != nil {
		return nil, err
	}
	if err := p.findHeader(m); err != nil {
		p.rr.close()
		if p.header != nil {
			return p, err // the header was found: Inspect shows it with the error
		}
		return nil, err
	}
	return p, nil
}

// where names the file (and sheet) for messages.
func (p *plan) where() string {
	if p.sheet != "" {
		return fmt.Sprintf("%s sheet %s", p.path, p.sheet)
	}
	return p.path
}

// LoadTable loads one mapped table. Parquet files are read as contract
// Parquet; everything else goes through the mapping.
func LoadTable(ctx context.Context, m *Mapping, tm *TableMap, opts load.Options) (*table.Table, load.TableStats, []load.Reject, error) {
	spec, _ := contract.Lookup(tm.Table)
	path := m.FilePath(tm)
	if strings.EqualFold(filepath.Ext(path), ".parquet") {
		return load.File(ctx, spec, path, opts)
	}
	p, err := open(m, tm)
	if err != nil {
		return nil, load.TableStats{Table: tm.Table, File: path}, nil, fmt.Errorf("table %s: %w", tm.Table, err)
	}
	defer p.rr.close()
	header := make([]string, len(p.convs))
	for k, cv := range p.convs {
		header[k] = cv.col.Name
	}
	t, st, rejects, err := load.Records(ctx, spec, path, header, p.rows(), opts)
	if err != nil {
		return nil, st, nil, err
	}
	for i := range rejects {
		if rejects[i].Column != "" {
			rejects[i].Column = p.describeColumn(rejects[i].Column, rejects[i].Line)
		} else if p.sheet != "" {
			rejects[i].Column = fmt.Sprintf("(row %d of sheet %s)", rejects[i].Line, p.sheet)
		}
	}
	if st.SHA256, err = hashFile(path); err != nil {
		t.Release()
		return nil, st, nil, err
	}
	return t, st, rejects, nil
}

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Load reads every table the mapping names into a dataset, like load.Load
// does for a contract folder: tables load concurrently, results are in
// contract order, optional tables the mapping leaves out are Missing.
func Load(ctx context.Context, m *Mapping, opts load.Options) (*load.Dataset, error) {
	type result struct {
		t       *table.Table
		st      load.TableStats
		rejects []load.Reject
		err     error
	}
	d := &load.Dataset{Dir: m.Dir, Tables: map[string]*table.Table{}}
	var tms []*TableMap
	for _, spec := range contract.All() {
		if tm, ok := m.Tables[spec.Name]; ok {
			tms = append(tms, tm)
		} else if spec.Optional {
			d.Missing = append(d.Missing, spec.Name)
		} else {
			return nil, fmt.Errorf("%s: required table %s has no source: add tables.%s.file: %w", m.Path, spec.Name, spec.Name, ErrMapping)
		}
	}
	results := make([]result, len(tms))
	var wg sync.WaitGroup
	for i, tm := range tms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var r result
			r.t, r.st, r.rejects, r.err = LoadTable(ctx, m, tm, opts)
			results[i] = r
		}()
	}
	wg.Wait()
	var errs []error
	for _, r := range results {
		if r.err != nil {
			errs = append(errs, r.err)
		}
	}
	if len(errs) > 0 {
		for _, r := range results {
			r.t.Release()
		}
		return nil, errors.Join(errs...)
	}
	for _, r := range results {
		d.Tables[r.st.Table] = r.t
		d.Stats = append(d.Stats, r.st)
		d.Rejects = append(d.Rejects, r.rejects...)
	}
	return d, nil
}
