package partition

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"slices"

	"github.com/neijiang/xiaowei/internal/ident"
)

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
	if !ok || ident.Plain(b, k) {
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
