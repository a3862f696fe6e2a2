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
// their village column; those without one are copied to every county.
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
	"slices"
	"sort"
	"sync"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/ident"
)

// Part is one county.
type Part struct {
	County   string
	Name     string
	Villages map[string]bool
	First    bool // receives rows whose county is unknown
	// Bytes is the size of the county's records in all tables (progress).
	Bytes int64
	// Tables holds the county's part of each input table present.
	Tables map[string]*Ranges
}

// Range is a run of consecutive records of an input file.
type Range struct {
	Off, Len int64 // bytes
	Line     int   // input line of its first record
	Lines    int   // lines it spans
}

// Ranges is one county's part of one input file: the file's header and the
// ranges holding the county's records, in file order.
type Ranges struct {
	Path     string
	Head     []byte // the header record as read (shared by every county)
	HeadLine int    // its line in the input
	Ranges   []Range
	Bytes    int64 // sum of the ranges' lengths
	vstart   []int // virtual line of each range's first record
}

// Open returns the county's CSV bytes of table: the header, then its
// records read in place from the input file. ok is false when the input
// has no such table.
func (p *Part) Open(table string) (r io.ReadCloser, size int64, ok bool, err error) {
	t := p.Tables[table]
	if t == nil {
		return nil, 0, false, nil
	}
	f, err := os.Open(t.Path)
	if err != nil {
		return nil, 0, true, err
	}
	return &rangeReader{f: f, path: t.Path, head: t.Head, rs: t.Ranges}, int64(len(t.Head)) + t.Bytes, true, nil
}

// Line maps a line of the county's table as Open gives it (the header is
// line 1) back to the line of the input file.
func (t *Ranges) Line(v int) int {
	if len(t.Ranges) == 0 || v < t.vstart[0] {
		return t.HeadLine + v - 1
	}
	k := sort.Search(len(t.vstart), func(i int) bool { return t.vstart[i] > v }) - 1
	return t.Ranges[k].Line + v - t.vstart[k]
}

func (t *Ranges) add(off, n int64, line, lines int) {
	t.Bytes += n
	if k := len(t.Ranges) - 1; k >= 0 && t.Ranges[k].Off+t.Ranges[k].Len == off {
		t.Ranges[k].Len += n
		t.Ranges[k].Lines += lines
		return
	}
	t.Ranges = append(t.Ranges, Range{Off: off, Len: n, Line: line, Lines: lines})
}

func (t *Ranges) finish(headLines int) {
	t.vstart = make([]int, len(t.Ranges))
	v := 1 + headLines
	for k, r := range t.Ranges {
		t.vstart[k] = v
		v += r.Lines
	}
}

type rangeReader struct {
	f    *os.File
	path string
	head []byte
	rs   []Range
	pos  int64 // within rs[0]
}

func (r *rangeReader) Read(p []byte) (int, error) {
	if len(r.head) > 0 {
		n := copy(p, r.head)
		r.head = r.head[n:]
		return n, nil
	}
	for len(r.rs) > 0 && r.pos >= r.rs[0].Len {
		r.rs, r.pos = r.rs[1:], 0
	}
	if len(r.rs) == 0 {
		return 0, io.EOF
	}
	want := min(int64(len(p)), r.rs[0].Len-r.pos)
	n, err := r.f.ReadAt(p[:want], r.rs[0].Off+r.pos)
	r.pos += int64(n)
	if int64(n) == want {
		return n, nil
	}
	if err == io.EOF {
		err = fmt.Errorf("%s changed while the run read it: %w", r.path, io.ErrUnexpectedEOF)
	}
	return n, err
}

func (r *rangeReader) Close() error { return r.f.Close() }

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
	// tables declared in rule files (internal/contract) depend only on the
	// villages: they go with ledger and disclosures
	b := append([]string(nil), groupB...)
	for _, t := range contract.Declared() {
		b = append(b, t.Name)
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
	vi, pi, ri, ci, hi := index(head, "village_id"), index(head, "person_id"), index(head, "relative_id"), index(head, "case_id"), index(head, "handled_by")
	// A table declared in a rule file goes to the county of its village
	// column; one without a village column (a link table such as contract
	// payments) is copied to every county, where it joins that county's rows.
	declared, hasVillage := false, false
	if spec, ok := contract.Lookup(name); ok && spec.Source != "" {
		declared = true
		if vc := spec.VillageColumn(); vc != "" {
			vi, hasVillage = index(head, vc), true
		}
	}
	r.only(vi, pi, ri, ci, hi)
	// keys in their normal form (internal/ident), as the run matches them:
	// a case or person id written with a zero-width space must land in the
	// same county as its plain form
	villagePart := func() int32 {
		if v, ok := r.key(vi, ident.Code); ok {
			if p, ok := s.county[string(v)]; ok { // no allocation: map lookup by string(bytes)
				return p
			}
		}
		return 0
	}
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
		part := int32(0)
		many = many[:0]
		switch {
		case declared && hasVillage:
			part = villagePart()
		case declared:
			for q := range parts {
				many = append(many, int32(q))
			}
		}
		switch name {
		case "villages", "ledger", "disclosures":
			part = villagePart()
		case "cadres":
			part = villagePart()
			if p, ok := r.key(pi, ident.Person); ok {
				s.need[string(p)] = addPart(s.need[string(p)], part)
			}
		case "beneficiaries":
			part = villagePart()
			if c, ok := r.key(ci, ident.Code); ok {
				s.caseCounty[string(c)] = part
			}
			if p, ok := r.key(pi, ident.Person); ok {
				if _, seen := s.benCounty[string(p)]; !seen {
					s.benCounty[string(p)] = part
				}
			}
			if h, ok := r.key(hi, ident.Person); ok && len(h) > 0 {
				s.need[string(h)] = addPart(s.need[string(h)], part)
			}
		case "persons":
			part = villagePart()
			if p, ok := r.key(pi, ident.Person); ok {
				if n := s.need[string(p)]; len(n) > 0 {
					many = addPart(append(many, n...), part)
				}
			}
		case "kinship":
			for _, col := range []int{pi, ri} {
				if p, ok := r.key(col, ident.Person); ok {
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
			if c, ok := r.key(ci, ident.Code); ok {
				if p, ok := s.caseCounty[string(c)]; ok {
					part = p
				}
			}
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

// records reads CSV records as raw bytes plus the positions of their
// fields. A record without '"' is one line split at its commas in place; a
// record with a quote is parsed as RFC 4180 and may span lines.
type records struct {
	r        *bufio.Reader
	file     string
	line     int   // lines read so far
	consumed int64 // bytes read so far

	// the current record in the input: offset, length, first line, lines
	recOff            int64
	recLen            int64
	recLine, recLines int
	headLines         int // lines of the header record
	limit             int // fields split per plain record (0 = all)

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
	r.headLines = r.recLines
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

// key is the i-th field in its normal form for k (internal/ident); a
// field of printable ASCII (nearly every one) is returned as is, no copy.
func (r *records) key(i int, k ident.Kind) ([]byte, bool) {
	b, ok := r.field(i)
	if !ok || ident.PlainBytes(b, k) {
		return b, ok
	}
	s, _ := ident.Normalize(string(b), k)
	return []byte(s), true
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
	r.recOff = r.consumed
	r.raw = r.raw[:0]
	defer func() {
		r.recLen, r.recLine, r.recLines = r.consumed-r.recOff, start, r.line-start+1
	}()
	r.fields = r.fields[:0]
	r.decoded = false
	for {
		line, err := r.r.ReadSlice('\n')
		r.consumed += int64(len(line))
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
				r.recOff = r.consumed
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

// splitPlain splits a line without quotes at its commas, up to r.limit
// fields (the split reads a few leading key columns; the long text columns
// after them are never looked at).
func (r *records) splitPlain() {
	end := trimEOL(r.raw)
	from := 0
	for r.limit == 0 || len(r.fields) < r.limit {
		j := bytes.IndexByte(r.raw[from:end], ',')
		if j < 0 {
			r.fields = append(r.fields, [2]int{from, end})
			return
		}
		r.fields = append(r.fields, [2]int{from, from + j})
		from += j + 1
	}
}

// only makes field look at no field after the last of cols (-1 = absent).
func (r *records) only(cols ...int) {
	r.limit = max(slices.Max(cols)+1, 1)
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
