// Package partition splits a CSV dataset by county so that a run can load
// and evaluate one county at a time, with memory bounded by the largest
// county rather than the province.
//
// The split streams every file once, row by row (encoding/csv, no table in
// memory), and writes each row to its county's folder. Rows are kept
// byte-for-byte and in file order, so each county's tables hold the same
// rows in the same relative order as the whole dataset, and detectors (which
// are deterministic and per-village) build the same view rows.
//
// What crosses counties stays small and is copied to every county:
//   - cadres (every cadre row of the province: tens of thousands of rows);
//   - the persons rows of cadres and of case handlers (so their names,
//     households and roles resolve wherever they are referenced);
//   - kinship rows that involve a cadre or a case handler (the only
//     relations the rules read: relatives of those who hold micro-power).
//
// Other rows go to the county of their village: persons, beneficiaries,
// ledger, disclosures by village_id; payments by their case's village (an
// index case_id -> county built while splitting beneficiaries); remaining
// kinship rows by the county of either person when that person is a
// beneficiary, else to the first county. Rows whose village is unknown go
// to the first county, where the loader treats them exactly as in a whole
// run.
//
// Tables declared in rule files (contract.Declared) go to the county of
// their village column; those without one are copied to every county.
//
// Findings of a county run are kept only for that county's villages (rows
// copied from other counties produce their findings in their own county),
// and findings with no known village only from the first county.
package partition

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/ident"
)

// Part is one county's folder.
type Part struct {
	County   string
	Name     string
	Dir      string
	Villages map[string]bool
	First    bool // receives rows whose county is unknown
}

// Plan is the result of a split.
type Plan struct {
	Parts []Part
	// Global counts the rows copied to every county, per table.
	Global map[string]int
	// Rows counts rows written per table (each row once, globals once).
	Rows map[string]int
}

// table order matters: beneficiaries before payments (case index) and
// before persons and kinship (handler set), cadres first of all.
var order = []string{"villages", "cadres", "beneficiaries", "persons", "kinship", "payments", "ledger", "disclosures"}

// SplitCSV splits the CSV dataset in dir by county into subfolders of tmp.
// Parquet datasets are not split (convert or run whole).
func SplitCSV(ctx context.Context, dir, tmp string) (*Plan, error) {
	if _, err := os.Stat(filepath.Join(dir, "villages.csv")); err != nil {
		return nil, fmt.Errorf("partitioned runs need a CSV dataset with villages.csv: %w", err)
	}
	s := &splitter{dir: dir, tmp: tmp, county: map[string]int{}, cadres: map[string]bool{}, caseCounty: map[string]int{},
		benCounty: map[string]int{}, plan: &Plan{Global: map[string]int{}, Rows: map[string]int{}}}
	if err := s.villages(); err != nil {
		return nil, err
	}
	names := append([]string(nil), order[1:]...)
	for _, t := range contract.Declared() {
		names = append(names, t.Name)
	}
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := s.table(name); err != nil {
			return nil, fmt.Errorf("split %s: %w", name, err)
		}
	}
	return s.plan, nil
}

type splitter struct {
	dir, tmp   string
	plan       *Plan
	county     map[string]int  // village_id -> part
	cadres     map[string]bool // cadres and case handlers: the global persons
	caseCounty map[string]int
	benCounty  map[string]int // beneficiary person_id -> part
}

func (s *splitter) villages() error {
	f, err := os.Open(filepath.Join(s.dir, "villages.csv"))
	if err != nil {
		return err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 1<<16))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	head, err := r.Read()
	if err != nil {
		return fmt.Errorf("villages.csv: %w", err)
	}
	vi, ci, ni := index(head, "village_id"), index(head, "county_id"), index(head, "county_name")
	if vi < 0 || ci < 0 {
		return errors.New("villages.csv: no village_id or county_id column")
	}
	byCounty := map[string]*Part{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("villages.csv: %w", err)
		}
		if vi >= len(rec) || ci >= len(rec) {
			continue // the loader reports it, in the first county
		}
		c, _ := ident.Normalize(rec[ci], ident.Code)
		v, _ := ident.Normalize(rec[vi], ident.Code)
		p := byCounty[c]
		if p == nil {
			p = &Part{County: c, Villages: map[string]bool{}}
			if ni >= 0 && ni < len(rec) {
				p.Name = rec[ni]
			}
			byCounty[c] = p
		}
		p.Villages[v] = true
	}
	keys := make([]string, 0, len(byCounty))
	for k := range byCounty {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		keys = append(keys, "")
		byCounty[""] = &Part{Villages: map[string]bool{}}
	}
	for i, k := range keys {
		p := byCounty[k]
		p.Dir = filepath.Join(s.tmp, fmt.Sprintf("county-%03d-%s", i, safe(k)))
		p.First = i == 0
		if err := os.MkdirAll(p.Dir, 0o755); err != nil {
			return err
		}
		for v := range p.Villages {
			s.county[v] = i
		}
		s.plan.Parts = append(s.plan.Parts, *p)
	}
	// villages themselves split like any village table
	return s.table("villages")
}

func safe(s string) string {
	out := []rune{}
	for _, r := range s {
		if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_' {
			out = append(out, r)
		}
	}
	return string(out)
}

func index(head []string, name string) int {
	for i, h := range head {
		if h == name || (i == 0 && len(h) > 3 && h[3:] == name && h[:3] == "\ufeff") {
			return i
		}
	}
	return -1
}

const global = -1

// table streams one file into the county folders.
func (s *splitter) table(name string) error {
	path := filepath.Join(s.dir, name+".csv")
	in, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil // absent tables stay absent (or are reported missing) in every county
	}
	if err != nil {
		return err
	}
	defer in.Close()
	r := csv.NewReader(bufio.NewReaderSize(in, 1<<20))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	r.LazyQuotes = false
	head, err := r.Read()
	if err != nil {
		if err == io.EOF {
			return s.writeAll(name, nil, nil)
		}
		return err
	}
	head = append([]string(nil), head...)
	outs := make([]*csv.Writer, len(s.plan.Parts))
	files := make([]*os.File, len(s.plan.Parts))
	bufs := make([]*bufio.Writer, len(s.plan.Parts))
	for i, p := range s.plan.Parts {
		f, err := os.Create(filepath.Join(p.Dir, name+".csv"))
		if err != nil {
			return err
		}
		files[i] = f
		bufs[i] = bufio.NewWriterSize(f, 1<<16)
		outs[i] = csv.NewWriter(bufs[i])
		if err := outs[i].Write(head); err != nil {
			return err
		}
	}
	col := func(n string) int { return index(head, n) }
	vi, pi, ri, ci, hi := col("village_id"), col("person_id"), col("relative_id"), col("case_id"), col("handled_by")
	// A table declared in a rule file goes to the county of its village
	// column; one without a village column (a link table such as contract
	// payments) is copied to every county, where it joins that county's rows.
	declared, hasVillage := false, false
	if spec, ok := contract.Lookup(name); ok && spec.Source != "" {
		declared = true
		if vc := spec.VillageColumn(); vc != "" {
			vi, hasVillage = col(vc), true
		}
	}
	// keys in their normal form (internal/ident), as the run matches
	// them: a case or person id written with a zero-width space must land
	// in the same county as its plain form
	get := func(rec []string, i int) (string, bool) {
		if i < 0 || i >= len(rec) {
			return "", false
		}
		k := ident.Code
		if i == pi || i == ri || i == hi {
			k = ident.Person
		}
		v, _ := ident.Normalize(rec[i], k)
		return v, true
	}
	villagePart := func(rec []string) int {
		if v, ok := get(rec, vi); ok {
			if p, ok := s.county[v]; ok {
				return p
			}
		}
		return 0
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) && !errors.Is(err, csv.ErrQuote) && !errors.Is(err, csv.ErrBareQuote) {
			err = nil // field-count problems are the loader's to report
		}
		if err != nil {
			return fmt.Errorf("%s: %w (partitioned runs need well-formed CSV)", path, err)
		}
		part := 0
		switch {
		case declared && hasVillage:
			part = villagePart(rec)
		case declared:
			part = global
		}
		switch name {
		case "villages", "ledger", "disclosures":
			part = villagePart(rec)
		case "cadres":
			part = global
			if p, ok := get(rec, pi); ok {
				s.cadres[p] = true
			}
		case "beneficiaries":
			part = villagePart(rec)
			if c, ok := get(rec, ci); ok {
				s.caseCounty[c] = part
			}
			if p, ok := get(rec, pi); ok {
				s.benCounty[p] = part
			}
			if h, ok := get(rec, hi); ok && h != "" {
				s.cadres[h] = true
			}
		case "persons":
			part = villagePart(rec)
			if p, ok := get(rec, pi); ok && s.cadres[p] {
				part = global
			}
		case "kinship":
			a, _ := get(rec, pi)
			b, _ := get(rec, ri)
			switch {
			case s.cadres[a] || s.cadres[b]:
				part = global
			default:
				if p, ok := s.benCounty[a]; ok {
					part = p
				} else if p, ok := s.benCounty[b]; ok {
					part = p
				}
			}
		case "payments":
			if c, ok := get(rec, ci); ok {
				if p, ok := s.caseCounty[c]; ok {
					part = p
				}
			}
		}
		s.plan.Rows[name]++
		if part == global {
			s.plan.Global[name]++
			for _, w := range outs {
				if err := w.Write(rec); err != nil {
					return err
				}
			}
			continue
		}
		if err := outs[part].Write(rec); err != nil {
			return err
		}
	}
	for i := range outs {
		outs[i].Flush()
		if err := outs[i].Error(); err != nil {
			return err
		}
		if err := bufs[i].Flush(); err != nil {
			return err
		}
		if err := files[i].Close(); err != nil {
			return err
		}
	}
	return nil
}

func (s *splitter) writeAll(name string, head []string, _ [][]string) error {
	for _, p := range s.plan.Parts {
		if err := os.WriteFile(filepath.Join(p.Dir, name+".csv"), nil, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Known reports whether a village is in the villages table.
func (p *Plan) Known(village string) bool {
	for _, part := range p.Parts {
		if part.Villages[village] {
			return true
		}
	}
	return false
}
