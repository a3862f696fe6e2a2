// Package partition splits a CSV dataset by county so that a run can load
// and evaluate one county at a time, with memory bounded by the largest
// county rather than the province.
//
// The split streams every file once, record by record, and writes nothing:
// it notes, per county and table, the byte ranges of the input that hold
// the county's records (consecutive records of one county make one range,
// so an export grouped by village gives a handful of ranges per county).
// A county's table is then read in place: its header followed by its
// ranges, the input's bytes unchanged (Part.Open). Records keep their file
// order, so each county's tables hold the same rows in the same relative
// order as the whole dataset, and detectors (which are deterministic and
// per-village) build the same view rows. No temporary disk space is needed;
// an export not grouped by village costs one range (32 bytes) per record. Nearly every line of an export
// has no '"'; such a line is one record split at its commas in place. A
// line with a quote is parsed as RFC 4180 (quoted commas, doubled quotes,
// quoted newlines spanning lines) and a malformed one fails the split with
// its file and line.
//
// A row goes to the county of its village (persons, cadres, beneficiaries,
// ledger, disclosures by village_id; payments by their case's village,
// through an index case_id -> county built while splitting beneficiaries).
// Rows whose village is unknown go to the first county, where the loader
// and refcheck treat them exactly as in a whole run.
//
// A few rows are copied to the other counties that read them, and only to
// those (never to every county: that made a province run quadratic, each
// of ~180 counties re-checking and re-evaluating every cadre of the
// province):
//   - the persons row of a cadre or a case handler (beneficiaries.
//     handled_by) goes to its own village's county and to every county
//     where that person serves as a cadre or handled a case, so names,
//     households and relations resolve there;
//   - a kinship row goes to every county that holds a copy of either
//     person's special row (cadre or handler) and to the counties where
//     either person is a beneficiary; rows naming none of these go to the
//     first county.
//
// Cadres are matched only within the beneficiary's village or town
// (subsidy.cadre_scope), and a town lies in one county (its code starts
// with the county's), so a cadre row is needed only in its own county.
//
// Tables declared in rule files (contract.Declared) go to the county of
// their village column; a link table without one goes to the counties of
// the rows it references (links.go), and a table with neither is copied to
// every county.
//
// Findings of a county run are kept only for that county's villages (rows
// copied from other counties produce their findings in their own county),
// and findings with no known village only from the first county.
package partition

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/ident"
)

// Plan is the result of a split.
type Plan struct {
	Parts []Part
	// Copies counts, per table, the rows written to more than one county:
	// the extra copies (a row written to three counties counts 2). A merged
	// row count is the counties' sum minus this.
	Copies map[string]int
	// Rows counts the rows of the input per table.
	Rows map[string]int
	// SHA256 is the hex SHA-256 of each input file, computed while
	// splitting (so the manifest costs no second read of the input).
	SHA256 map[string]string
}

// Tables in dependency order: cadres and beneficiaries before persons and
// kinship (the sets of special persons), beneficiaries before payments (the
// case index). After beneficiaries, the two groups run side by side, one
// per core, balanced by size (ledger is as large as persons and payments).
var (
	first  = []string{"cadres", "beneficiaries"}
	groupA = []string{"persons", "kinship", "payments"}
	groupB = []string{"ledger", "disclosures"}
)

// SplitCSV splits the CSV dataset in dir by county. Parquet datasets are
// not split (convert or run whole).
func SplitCSV(ctx context.Context, dir string) (*Plan, error) {
	if _, err := os.Stat(filepath.Join(dir, "villages.csv")); err != nil {
		return nil, fmt.Errorf("partitioned runs need a CSV dataset with villages.csv: %w", err)
	}
	s := &splitter{dir: dir, county: map[string]int32{}, need: map[string][]int32{},
		caseCounty: map[string]int32{}, benCounty: map[string]int32{},
		plan: &Plan{Copies: map[string]int{}, Rows: map[string]int{}, SHA256: map[string]string{}}}
	if err := s.villages(); err != nil {
		return nil, err
	}
	for _, name := range first {
		if err := s.table(ctx, name); err != nil {
			return nil, fmt.Errorf("split %s: %w", name, err)
		}
	}
	// tables declared in rule files (internal/contract) with a village
	// column go with ledger and disclosures; link tables (links.go) after
	// both groups, when the rows they reference have their counties
	s.links = linksOf(dir)
	if err := s.collectLinkKeys(ctx); err != nil {
		return nil, err
	}
	b := append([]string(nil), groupB...)
	for _, t := range contract.Declared() {
		if !s.isLink(t.Name) {
			b = append(b, t.Name)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for g, names := range [][]string{groupA, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, name := range names {
				if err := s.table(ctx, name); err != nil {
					errs[g] = fmt.Errorf("split %s: %w", name, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, t := range contract.Declared() {
		if s.isLink(t.Name) {
			if err := s.table(ctx, t.Name); err != nil {
				return nil, fmt.Errorf("split %s: %w", t.Name, err)
			}
		}
	}
	for i := range s.plan.Parts {
		p := &s.plan.Parts[i]
		for _, t := range p.Tables {
			p.Bytes += t.Bytes
		}
	}
	return s.plan, nil
}

type splitter struct {
	dir  string
	plan *Plan
	mu   sync.Mutex // plan.Rows and plan.Copies while the groups run

	county map[string]int32 // village_id -> part
	// need: cadres and case handlers -> the parts that read their persons
	// and kinship rows (ascending, no repeats). Written by cadres and
	// beneficiaries, read-only afterwards.
	need       map[string][]int32
	caseCounty map[string]int32
	benCounty  map[string]int32 // beneficiary person_id -> part (first case)

	links []link               // references of the link tables (links.go)
	refs  map[string]*refIndex // referenced table -> counties of the keys links name
}

func (s *splitter) villages() error {
	f, err := os.Open(filepath.Join(s.dir, "villages.csv"))
	if err != nil {
		return err
	}
	defer f.Close()
	r := newRecords(f, "villages.csv")
	head, err := r.header()
	if err != nil {
		return err
	}
	vi, ci, ni := index(head, "village_id"), index(head, "county_id"), index(head, "county_name")
	r.only(vi, ci, ni)
	if vi < 0 || ci < 0 {
		return errors.New("villages.csv: no village_id or county_id column")
	}
	byCounty := map[string]*Part{}
	for {
		_, err := r.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		v, okV := r.key(vi, ident.Code)
		c, okC := r.key(ci, ident.Code)
		if !okV || !okC {
			continue // the loader reports it, in the first county
		}
		p := byCounty[string(c)]
		if p == nil {
			p = &Part{County: string(c), Villages: map[string]bool{}}
			if n, ok := r.field(ni); ok {
				p.Name = string(n)
			}
			byCounty[p.County] = p
		}
		p.Villages[string(v)] = true
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
		p.First = i == 0
		p.Tables = map[string]*Ranges{}
		for v := range p.Villages {
			s.county[v] = int32(i)
		}
		s.plan.Parts = append(s.plan.Parts, *p)
	}
	// villages themselves split like any village table
	return s.table(context.Background(), "villages")
}

func index(head []string, name string) int {
	for i, h := range head {
		if h == name || (i == 0 && len(h) > 3 && h[3:] == name && h[:3] == "\ufeff") {
			return i
		}
	}
	return -1
}

// table streams one file into the county folders.
func (s *splitter) table(ctx context.Context, name string) error {
	path := filepath.Join(s.dir, name+".csv")
	in, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil // absent tables stay absent (or are reported missing) in every county
	}
	if err != nil {
		return err
	}
	defer in.Close()
	h := sha256.New()
	r := newRecords(io.TeeReader(in, h), name+".csv")
	head, err := r.header()
	if err != nil && err != io.EOF {
		return err
	}
	parts := make([]*Ranges, len(s.plan.Parts))
	for i := range parts {
		parts[i] = &Ranges{Path: path, Head: r.headRaw, HeadLine: r.recLine}
	}
	defer func() {
		s.mu.Lock()
		for i, t := range parts {
			t.finish(r.headLines)
			s.plan.Parts[i].Tables[name] = t
		}
		s.mu.Unlock()
	}()
	if err == io.EOF { // an empty file stays empty everywhere
		s.setSHA(name, h)
		return nil
	}
	t := s.routeOf(name, head)
	r.only(t.columns()...)
	ref := s.refs[name]
	rows, copies := 0, 0
	var many []int32 // parts of the current row when more than one
	for {
		_, err := r.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if rows&65535 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		rows++
		var part int32
		part, many = s.route(t, r, many[:0])
		if ref != nil {
			s.noteRef(ref, t.refCol, r, part, many)
		}
		if len(many) > 1 {
			copies += len(many) - 1
			for _, q := range many {
				parts[q].add(r.recOff, r.recLen, r.recLine, r.recLines)
			}
			continue
		}
		if len(many) == 1 {
			part = many[0]
		}
		parts[part].add(r.recOff, r.recLen, r.recLine, r.recLines)
	}
	s.setSHA(name, h)
	s.mu.Lock()
	s.plan.Rows[name] += rows
	s.plan.Copies[name] += copies
	s.mu.Unlock()
	return nil
}

func (s *splitter) setSHA(name string, h hash.Hash) {
	s.mu.Lock()
	s.plan.SHA256[name] = hex.EncodeToString(h.Sum(nil))
	s.mu.Unlock()
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
