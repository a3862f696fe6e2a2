package load

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"unicode/utf8"
	"unsafe"
)

// splitter splits CSV records exactly as encoding/csv does with
// ReuseRecord, FieldsPerRecord = -1, Comma ',' and no comments or lazy
// quotes (same fields, same start lines, same errors), but without
// allocating per record: a record's decoded field bytes are appended to a
// per-chunk buffer, and the chunk becomes one string when it is handed on.
//
// A line with no '"' (nearly every line of a village export) is split in
// place by scanning for commas; a line with a quote goes through a port of
// encoding/csv's readRecord, so quoted commas, doubled quotes, quoted
// newlines (CRLF normalised to LF) and every malformed-quote error behave as
// before. FuzzSplitterMatchesCSV checks this against encoding/csv.
type splitter struct {
	r       *bufio.Reader
	raw     []byte // a line longer than r's buffer
	numLine int    // lines read so far
	offset  int64  // bytes read so far

	buf  []byte // decoded field bytes of the current chunk
	offs []int  // start, end into buf per stored field
}

// errFields is returned by next for a record whose field count is not
// nfields; n is then the record's count.
var errFields = errors.New("field count")

// readLine is encoding/csv's readLine: a line including its '\n', with a
// final "\r\n" normalised to "\n" and a '\r' before EOF dropped.
func (s *splitter) readLine() ([]byte, error) {
	line, err := s.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		s.raw = append(s.raw[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = s.r.ReadSlice('\n')
			s.raw = append(s.raw, line...)
		}
		line = s.raw
	}
	readSize := len(line)
	if readSize > 0 && err == io.EOF {
		err = nil
		if line[readSize-1] == '\r' {
			line = line[:readSize-1]
		}
	}
	s.numLine++
	s.offset += int64(readSize)
	if n := len(line); n >= 2 && line[n-2] == '\r' && line[n-1] == '\n' {
		line[n-2] = '\n'
		line = line[:n-1]
	}
	return line, err
}

func lengthNL(b []byte) int {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		return 1
	}
	return 0
}

// next reads one record, appending up to nfields fields (start/end pairs
// into s.buf) to s.offs. It returns the record's start line and field
// count. err is io.EOF at the end, a *csv.ParseError for a malformed
// record (the reader then resumes on the next line, as encoding/csv does),
// errFields when the count is not nfields, or an I/O error.
func (s *splitter) next(nfields int) (line, n int, err error) {
	var l []byte
	var errRead error
	for errRead == nil {
		l, errRead = s.readLine()
		if errRead == nil && len(l) == lengthNL(l) {
			continue // skip empty lines
		}
		break
	}
	if errRead == io.EOF {
		return 0, 0, io.EOF
	}
	recLine := s.numLine
	mark := len(s.offs)
	if bytes.IndexByte(l, '"') < 0 {
		// Fast path: no quotes, so every comma separates fields.
		l = l[:len(l)-lengthNL(l)]
		base := len(s.buf)
		s.buf = append(s.buf, l...)
		start := 0
		for {
			i := bytes.IndexByte(l[start:], ',')
			end := len(l)
			if i >= 0 {
				end = start + i
			}
			if n < nfields {
				s.offs = append(s.offs, base+start, base+end)
			}
			n++
			if i < 0 {
				break
			}
			start = end + 1
		}
		err = errRead
	} else {
		n, err = s.slow(l, errRead, recLine, nfields)
	}
	if err == nil && n != nfields {
		err = errFields
	}
	if err != nil {
		s.offs = s.offs[:mark] // the record's fields are not stored
	}
	return recLine, n, err
}

// slow is encoding/csv's readRecord field loop for a line with a quote.
func (s *splitter) slow(line []byte, errRead error, recLine, nfields int) (n int, err error) {
	field := func(start int) {
		if n < nfields {
			s.offs = append(s.offs, start, len(s.buf))
		}
		n++
	}
parseField:
	for {
		if len(line) == 0 || line[0] != '"' {
			i := bytes.IndexByte(line, ',')
			f := line
			if i >= 0 {
				f = f[:i]
			} else {
				f = f[:len(f)-lengthNL(f)]
			}
			if bytes.IndexByte(f, '"') >= 0 {
				err = &csv.ParseError{StartLine: recLine, Line: s.numLine, Err: csv.ErrBareQuote}
				break parseField
			}
			start := len(s.buf)
			s.buf = append(s.buf, f...)
			field(start)
			if i >= 0 {
				line = line[i+1:]
				continue parseField
			}
			break parseField
		}
		// Quoted field.
		start := len(s.buf)
		line = line[1:]
		for {
			i := bytes.IndexByte(line, '"')
			if i >= 0 {
				s.buf = append(s.buf, line[:i]...)
				line = line[i+1:]
				switch rn, _ := utf8.DecodeRune(line); {
				case rn == '"':
					s.buf = append(s.buf, '"')
					line = line[1:]
				case rn == ',':
					line = line[1:]
					field(start)
					continue parseField
				case lengthNL(line) == len(line):
					field(start)
					break parseField
				default:
					err = &csv.ParseError{StartLine: recLine, Line: s.numLine, Err: csv.ErrQuote}
					break parseField
				}
			} else if len(line) > 0 {
				s.buf = append(s.buf, line...)
				if errRead != nil {
					break parseField
				}
				line, errRead = s.readLine()
				if errRead == io.EOF {
					errRead = nil
				}
			} else {
				if errRead == nil {
					err = &csv.ParseError{StartLine: recLine, Line: s.numLine, Err: csv.ErrQuote}
					break parseField
				}
				field(start)
				break parseField
			}
		}
	}
	if err == nil {
		err = errRead
	}
	return n, err
}

// skip stores nfields empty fields for a record that is a reject, so the
// chunk keeps nfields fields per record.
func (s *splitter) skip(nfields int) {
	for range nfields {
		s.offs = append(s.offs, 0, 0)
	}
}

// clean reports whether no stored field of the chunk has a NUL byte or
// invalid UTF-8: the buffer has neither, and every field starts and ends on
// a character boundary (so it is whole characters). Checking the chunk at
// once is cheaper than every cell on its own (the calls cost more than the
// bytes for cells of a few bytes).
func (s *splitter) clean() bool {
	buf := s.buf
	if bytes.IndexByte(buf, 0) >= 0 || !utf8.Valid(buf) {
		return false
	}
	for _, o := range s.offs {
		if o < len(buf) && !utf8.RuneStart(buf[o]) {
			return false
		}
	}
	return true
}

// strings writes the chunk's stored fields to dst as strings that point
// into the chunk's buffer, and returns that buffer; the splitter then needs
// a new one (use). No copy, no allocation: the buffer belongs to a csvBatch,
// which is not written again until the loader has committed the chunk
// (the columns copy the values, rejects clone theirs) and handed it back.
func (s *splitter) strings(dst []string) []byte {
	buf := s.buf
	if len(buf) > 0 {
		str := unsafe.String(&buf[0], len(buf))
		for j := 0; j < len(s.offs)/2; j++ {
			dst[j] = str[s.offs[2*j]:s.offs[2*j+1]]
		}
	} else {
		clear(dst[:len(s.offs)/2])
	}
	s.buf = nil
	s.offs = s.offs[:0]
	return buf
}

// use makes buf (emptied) the buffer for the next chunk.
func (s *splitter) use(buf []byte) { s.buf = buf[:0] }
