package partition

import (
	"fmt"
	"io"
	"os"
	"sort"
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
	return &rangeReader{f: f, path: t.Path, head: t.Head, rs: t.Ranges}, t.Size(), true, nil
}

// Size is the bytes Open gives for the table: the header and the ranges.
func (t *Ranges) Size() int64 { return int64(len(t.Head)) + t.Bytes }

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
