// Package partition splits a CSV dataset by county so that a run can load
// and evaluate one county at a time, with memory bounded by the largest
// county rather than the province.
//
// The split streams every file once, record by record, and appends each
// record's bytes unchanged to its county's file (no CSV re-encoding: the
// county files hold the same bytes as the input). Records keep their file
// order, so each county's tables hold the same rows in the same relative
// order as the whole dataset, and detectors (which are deterministic and
// per-village) build the same view rows. Nearly every line of an export
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
// Findings of a county run are kept only for that county's villages (rows
// copied from other counties produce their findings in their own county),
// and findings with no known village only from the first county.
package partition

import (
	"bufio"
	"bytes"
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
)

// Part is one county's folder.
type Part struct {
	County   string
	Name     string
	Dir      string
	Villages map[string]bool
	First    bool // receives rows whose county is unknown
	// Bytes is the size of the county's files as written (for progress).
	Bytes int64
}

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
// case index). After beneficiaries, the two groups run side by side.
var (
	first  = []string{"cadres", "beneficiaries"}
	groupA = []string{"persons", "kinship"}
	groupB = []string{"payments", "ledger", "disclosures"}
)

// SplitCSV splits the CSV dataset in dir by county into subfolders of tmp.
// Parquet datasets are not split (convert or run whole).
func SplitCSV(ctx context.Context, dir, tmp string) (*Plan, error) {
	if _, err := os.Stat(filepath.Join(dir, "villages.csv")); err != nil {
		return nil, fmt.Errorf("partitioned runs need a CSV dataset with villages.csv: %w", err)
	}
	s := &splitter{dir: dir, tmp: tmp, county: map[string]int32{}, need: map[string][]int32{},
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
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for g, names := range [][]string{groupA, groupB} {
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
	for i := range s.plan.Parts {
		p := &s.plan.Parts[i]
		ents, err := os.ReadDir(p.Dir)
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			if fi, err := e.Info(); err == nil {
				p.Bytes += fi.Size()
			}
		}
	}
	return s.plan, nil
}

type splitter struct {
	dir, tmp string
	plan     *Plan
	mu       sync.Mutex // plan.Rows and plan.Copies while the groups run

	county map[string]int32 // village_id -> part
	// need: cadres and case handlers -> the parts that read their persons
	// and kinship rows (ascending, no repeats). Written by cadres and
	// beneficiaries, read-only afterwards.
	need       map[string][]int32
	caseCounty map[string]int32
	benCounty  map[string]int32 // beneficiary person_id -> part (first case)
}

func addPart(s []int32, p int32) []int32 {
	i := sort.Search(len(s), func(i int) bool { return s[i] >= p })
	if i < len(s) && s[i] == p {
		return s
	}
	s = append(s, 0)
	copy(s[i+1:], s[i:])
	s[i] = p
	return s
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
		v, okV := r.field(vi)
		c, okC := r.field(ci)
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
		p.Dir = filepath.Join(s.tmp, fmt.Sprintf("county-%03d-%s", i, safe(k)))
		p.First = i == 0
		if err := os.MkdirAll(p.Dir, 0o755); err != nil {
			return err
		}
		for v := range p.Villages {
			s.county[v] = int32(i)
		}
		s.plan.Parts = append(s.plan.Parts, *p)
	}
	// villages themselves split like any village table
	return s.table(context.Background(), "villages")
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
	if err == io.EOF {
		s.setSHA(name, h)
		for _, p := range s.plan.Parts { // an empty file stays empty everywhere
			if err := os.WriteFile(filepath.Join(p.Dir, name+".csv"), nil, 0o644); err != nil {
				return err
			}
		}
		return nil
	}
	if err != nil {
		return err
	}
	files := make([]*os.File, len(s.plan.Parts))
	bufs := make([]*bufio.Writer, len(s.plan.Parts))
	defer func() {
		for _, f := range files {
			if f != nil {
				f.Close()
			}
		}
	}()
	for i, p := range s.plan.Parts {
		f, err := os.Create(filepath.Join(p.Dir, name+".csv"))
		if err != nil {
			return err
		}
		files[i] = f
		bufs[i] = bufio.NewWriterSize(f, 1<<16)
		if _, err := bufs[i].Write(r.headRaw); err != nil {
			return err
		}
	}
	vi, pi, ri, ci, hi := index(head, "village_id"), index(head, "person_id"), index(head, "relative_id"), index(head, "case_id"), index(head, "handled_by")
	villagePart := func() int32 {
		if v, ok := r.field(vi); ok {
			if p, ok := s.county[string(v)]; ok { // no allocation: map lookup by string(bytes)
				return p
			}
		}
		return 0
	}
	rows, copies := 0, 0
	var many []int32 // parts of the current row when more than one
	for {
		raw, err := r.next()
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
		part := int32(0)
		many = many[:0]
		switch name {
		case "villages", "ledger", "disclosures":
			part = villagePart()
		case "cadres":
			part = villagePart()
			if p, ok := r.field(pi); ok {
				s.need[string(p)] = addPart(s.need[string(p)], part)
			}
		case "beneficiaries":
			part = villagePart()
			if c, ok := r.field(ci); ok {
				s.caseCounty[string(c)] = part
			}
			if p, ok := r.field(pi); ok {
				if _, seen := s.benCounty[string(p)]; !seen {
					s.benCounty[string(p)] = part
				}
			}
			if h, ok := r.field(hi); ok && len(h) > 0 {
				s.need[string(h)] = addPart(s.need[string(h)], part)
			}
		case "persons":
			part = villagePart()
			if p, ok := r.field(pi); ok {
				if n := s.need[string(p)]; len(n) > 0 {
					many = addPart(append(many, n...), part)
				}
			}
		case "kinship":
			for _, col := range []int{pi, ri} {
				if p, ok := r.field(col); ok {
					for _, q := range s.need[string(p)] {
						many = addPart(many, q)
					}
					if q, ok := s.benCounty[string(p)]; ok {
						many = addPart(many, q)
					}
				}
			}
			if len(many) == 1 {
				part, many = many[0], many[:0]
			}
		case "payments":
			if c, ok := r.field(ci); ok {
				if p, ok := s.caseCounty[string(c)]; ok {
					part = p
				}
			}
		}
		if len(many) > 1 {
			copies += len(many) - 1
			for _, q := range many {
				if _, err := bufs[q].Write(raw); err != nil {
					return err
				}
			}
			continue
		}
		if len(many) == 1 {
			part = many[0]
		}
		if _, err := bufs[part].Write(raw); err != nil {
			return err
		}
	}
	for i := range bufs {
		if err := bufs[i].Flush(); err != nil {
			return err
		}
		if err := files[i].Close(); err != nil {
			return err
		}
		files[i] = nil
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

// records reads CSV records as raw bytes plus the positions of their
// fields. A record without '"' is one line split at its commas in place; a
// record with a quote is parsed as RFC 4180 and may span lines.
type records struct {
	r    *bufio.Reader
	file string
	line int // lines read so far

	raw     []byte // the current record's bytes, newline included
	fields  [][2]int
	dec     []byte // decoded fields of a quoted record
	decoded bool   // fields index dec instead of raw
	headRaw []byte
}

func newRecords(f io.Reader, file string) *records {
	return &records{r: bufio.NewReaderSize(f, 1<<20), file: file}
}

func (r *records) header() ([]string, error) {
	if _, err := r.next(); err != nil {
		return nil, err
	}
	r.headRaw = append([]byte(nil), r.raw...)
	if len(r.headRaw) > 0 && r.headRaw[len(r.headRaw)-1] != '\n' {
		r.headRaw = append(r.headRaw, '\n')
	}
	head := make([]string, len(r.fields))
	for i := range head {
		b, _ := r.field(i)
		head[i] = string(b)
	}
	return head, nil
}

// field is the i-th field of the current record (false when absent).
func (r *records) field(i int) ([]byte, bool) {
	if i < 0 || i >= len(r.fields) {
		return nil, false
	}
	f := r.fields[i]
	if r.decoded {
		return r.dec[f[0]:f[1]], true
	}
	return r.raw[f[0]:f[1]], true
}

// next reads one record; the returned bytes end with '\n' (one is added to
// a last line without it) and stay valid until the next call.
func (r *records) next() ([]byte, error) {
	start := r.line + 1
	r.raw = r.raw[:0]
	r.fields = r.fields[:0]
	r.decoded = false
	for {
		line, err := r.r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			r.raw = append(r.raw, line...)
			continue
		}
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("%s: %w", r.file, err)
		}
		if len(line) > 0 || len(r.raw) > 0 {
			if err != io.EOF || len(line) > 0 {
				r.line++
			}
		}
		r.raw = append(r.raw, line...)
		if err == io.EOF {
			if len(r.raw) == 0 {
				return nil, io.EOF
			}
			if r.raw[len(r.raw)-1] != '\n' {
				r.raw = append(r.raw, '\n')
			}
		}
		if bytes.IndexByte(r.raw, '"') < 0 {
			// skip blank lines as encoding/csv does
			if isBlank(r.raw) {
				if err == io.EOF {
					return nil, io.EOF
				}
				r.raw = r.raw[:0]
				start = r.line + 1
				continue
			}
			r.splitPlain()
			return r.raw, nil
		}
		done, perr := r.splitQuoted(start)
		if perr != nil {
			return nil, perr
		}
		if done {
			return r.raw, nil
		}
		if err == io.EOF {
			return nil, fmt.Errorf("%s line %d: quoted field not closed before the end of the file (partitioned runs need well-formed CSV)", r.file, start)
		}
	}
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

// trimEOL is the record's length without its line end.
func trimEOL(b []byte) int {
	n := len(b)
	if n > 0 && b[n-1] == '\n' {
		n--
	}
	if n > 0 && b[n-1] == '\r' {
		n--
	}
	return n
}

func (r *records) splitPlain() {
	end := trimEOL(r.raw)
	from := 0
	for i := 0; i < end; i++ {
		if r.raw[i] == ',' {
			r.fields = append(r.fields, [2]int{from, i})
			from = i + 1
		}
	}
	r.fields = append(r.fields, [2]int{from, end})
}

// splitQuoted parses r.raw as one RFC 4180 record into r.dec; done is false
// while a quoted field is still open at the end of the bytes read.
func (r *records) splitQuoted(start int) (done bool, err error) {
	r.fields = r.fields[:0]
	r.dec = r.dec[:0]
	r.decoded = true
	b := r.raw
	end := trimEOL(b)
	i := 0
	for {
		from := len(r.dec)
		if i < end && b[i] == '"' {
			i++
			for {
				j := bytes.IndexByte(b[i:], '"')
				if j < 0 {
					return false, nil // the field goes on past this line
				}
				r.dec = append(r.dec, b[i:i+j]...)
				i += j + 1
				if i < len(b) && b[i] == '"' {
					r.dec = append(r.dec, '"')
					i++
					continue
				}
				break
			}
			if i < end && b[i] != ',' {
				return false, fmt.Errorf("%s line %d: extraneous or missing \" in quoted field (partitioned runs need well-formed CSV)", r.file, start)
			}
		} else {
			j := i
			for j < end && b[j] != ',' {
				if b[j] == '"' {
					return false, fmt.Errorf("%s line %d: bare \" in non-quoted field (partitioned runs need well-formed CSV)", r.file, start)
				}
				j++
			}
			r.dec = append(r.dec, b[i:j]...)
			i = j
		}
		r.fields = append(r.fields, [2]int{from, len(r.dec)})
		if i >= end {
			return true, nil
		}
		i++ // the comma
	}
}
