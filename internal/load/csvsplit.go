package load

import (
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"io"
	"math/bits"
	"unicode/utf8"
)

// splitter splits CSV records exactly as encoding/csv does with
// ReuseRecord, FieldsPerRecord = -1, Comma ',' and no comments or lazy
// quotes (same fields, same start lines, same errors), but without
// allocating per record and without copying the input: the file is read in
// blocks, one per chunk of records, and fields point into the block. Each
// input byte is thus copied once by the loader (into its column), plus the
// partial record at a block's end, carried to the start of the next block.
//
// A line with no '"' (nearly every line of a village export) is split in
// place by scanning for commas; a line with a quote goes through a port of
// encoding/csv's readRecord, so quoted commas, doubled quotes, quoted
// newlines (CRLF normalised to LF) and every malformed-quote error behave as
// before. Its decoded fields are never longer than the record's raw bytes,
// so they are written back over them. FuzzSplitterMatchesCSV checks all
// this against encoding/csv, with blocks down to one byte.
type splitter struct {
	src  io.Reader
	rerr error // src's error (io.EOF at its end), once seen

	buf  []byte // the block: input bytes buf[:fill], consumed buf[:pos]
	pos  int
	fill int
	base int64 // input bytes before buf[0]

	// target is how many bytes a block is filled to before its records
	// are split: about chunkRows records, so that a chunk ends near the
	// block's end and little is carried over.
	target    int
	minTarget int // the smallest target (a test hook: tiny blocks)
	chunkRows int
	records   int // records split from the current block

	carry   []byte // the unconsumed end of the last block
	scratch []byte // a quoted record's decoded fields
	lineBuf []byte // a quoted record's line with CRLF normalised
	numLine int    // lines read so far

	offs []int // start, end into buf per stored field
}

// newSplitter reads src after the header; head holds input bytes already
// read past it (bufio's buffer), offset the input bytes before head, and
// numLine the lines before it. chunkRows is the caller's records per chunk.
func newSplitter(src io.Reader, head []byte, offset int64, numLine, chunkRows, nfields int) *splitter {
	return &splitter{src: src, carry: append([]byte(nil), head...), base: offset, numLine: numLine,
		target: 1 << 18, minTarget: 4096, chunkRows: chunkRows, offs: make([]int, 0, 2*chunkRows*nfields)}
}

// maxBlock bounds the bytes a block is filled to for a chunk of records;
// a single longer record still gets a block of its own.
const maxBlock = 4 << 20

var (
	// errFields is returned by next for a record whose field count is not
	// nfields; n is then the record's count.
	errFields = errors.New("field count")
	// errBlockFull is returned by next when the block holds no further
	// whole record: the caller hands the chunk on and calls use.
	errBlockFull = errors.New("block full")
	// errMore is readLine's: the line goes past the bytes read so far.
	errMore = errors.New("more input needed")
)

// offset is the input bytes consumed so far.
func (s *splitter) offset() int64 { return s.base + int64(s.pos) }

// use starts a new block in buf, with the last block's unconsumed bytes.
func (s *splitter) use(buf []byte) {
	s.base += int64(s.pos)
	if cap(buf) < max(len(s.carry), s.target) {
		buf = make([]byte, max(len(s.carry), s.target)+s.target/4)
	}
	s.buf = buf[:cap(buf)]
	s.fill = copy(s.buf, s.carry)
	s.pos = 0
	s.records = 0
}

// more reads input into the block; false when the block is full and
// holds records, so the chunk must be handed on first.
func (s *splitter) more() bool {
	if s.fill >= s.target || s.fill == len(s.buf) {
		if s.pos > 0 {
			return false
		}
		// One record is longer than the block: no field points into the
		// block yet, so it can move.
		s.target = max(2*s.target, s.fill+1)
		if s.target > len(s.buf) {
			s.buf = append(s.buf[:s.fill], make([]byte, s.target-s.fill)...)
			s.buf = s.buf[:cap(s.buf)]
		}
	}
	for s.fill < s.target && s.rerr == nil {
		var n int
		n, s.rerr = s.src.Read(s.buf[s.fill:s.target])
		s.fill += n
	}
	return true
}

// readLine is encoding/csv's readLine on the block: a line including its
// '\n', or errMore, or io.EOF / an I/O error when the input is exhausted.
// The line is raw: norm gives the line as encoding/csv's readLine would.
func (s *splitter) readLine() ([]byte, error) {
	rest := s.buf[s.pos:s.fill]
	i := bytes.IndexByte(rest, '\n')
	switch {
	case i >= 0:
		rest = rest[:i+1]
	case s.rerr == nil:
		return nil, errMore
	case len(rest) == 0:
		return nil, s.rerr
	}
	s.pos += len(rest)
	s.numLine++
	return rest, nil
}

// content is a raw line without its "\n" or "\r\n" (and, at the end of the
// input, without a final '\r'), as encoding/csv splits it.
func content(line []byte) []byte {
	line = line[:len(line)-lengthNL(line)]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line
}

// norm is the raw line as encoding/csv's readLine returns it: a final
// "\r\n" becomes "\n" and a final '\r' at the end of the input is dropped.
func (s *splitter) norm(line []byte) []byte {
	c := content(line)
	if len(c) == len(line)-lengthNL(line) {
		return line
	}
	if lengthNL(line) == 0 {
		return c
	}
	s.lineBuf = append(append(s.lineBuf[:0], c...), '\n')
	return s.lineBuf
}

func lengthNL(b []byte) int {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		return 1
	}
	return 0
}

// next splits one record, appending up to nfields fields (start/end pairs
// into s.buf) to s.offs. It returns the record's start line and field
// count. err is io.EOF at the end, errBlockFull, a *csv.ParseError for a
// malformed record (the reader then resumes on the next line, as
// encoding/csv does), errFields when the count is not nfields, or an I/O
// error.
func (s *splitter) next(nfields int) (line, n int, err error) {
	for {
		pos, numLine := s.pos, s.numLine
		line, n, err = s.record(nfields)
		if err != errMore {
			break
		}
		// The record goes past the block's input: read more and split it
		// again from its start.
		s.pos, s.numLine = pos, numLine
		if !s.more() {
			return 0, 0, errBlockFull
		}
	}
	if err == io.EOF || err == errBlockFull {
		return 0, 0, err
	}
	s.records++
	return line, n, err
}

// record splits the record at s.pos; errMore when it is not all read.
func (s *splitter) record(nfields int) (line, n int, err error) {
	var l []byte
	for {
		if l, err = s.readLine(); err != nil {
			return 0, 0, err
		}
		if len(content(l)) > 0 {
			break
		}
		// An empty line ("\n", "\r\n", or "\r" at the end) is skipped.
	}
	recLine := s.numLine
	mark := len(s.offs)
	start := s.pos - len(l) // the record's first byte in the block
	if bytes.IndexByte(l, '"') < 0 {
		n = s.fast(content(l), start, nfields)
	} else if n, err = s.slow(s.norm(l), start, recLine, nfields); err == errMore {
		s.offs = s.offs[:mark]
		return 0, 0, err
	}
	if err == nil && n != nfields {
		err = errFields
	}
	if err != nil {
		s.offs = s.offs[:mark] // the record's fields are not stored
	}
	return recLine, n, err
}

// fast splits a line with no quote at every comma; l is at start in the
// block. It returns the field count. Commas are found eight bytes at a
// time (commaMask): a village export's fields are a few bytes each, and a
// bytes.IndexByte call per field cost more than its scan.
func (s *splitter) fast(l []byte, start, nfields int) (n int) {
	from := 0 // the current field's first byte in l
	w := 0
	for ; w+8 <= len(l); w += 8 {
		for m := commaMask(binary.LittleEndian.Uint64(l[w:])); m != 0; m &= m - 1 {
			end := w + bits.TrailingZeros64(m)/8
			if n < nfields {
				s.offs = append(s.offs, start+from, start+end)
			}
			n++
			from = end + 1
		}
	}
	for ; w < len(l); w++ {
		if l[w] == ',' {
			if n < nfields {
				s.offs = append(s.offs, start+from, start+w)
			}
			n++
			from = w + 1
		}
	}
	if n < nfields {
		s.offs = append(s.offs, start+from, start+len(l))
	}
	return n + 1
}

// commaMask has the top bit set of each byte of w that is ',' and no
// other bit: the exact zero-byte test of w ^ ",,,,,,,," (no carries
// between bytes, so no false positives).
func commaMask(w uint64) uint64 {
	const lo7, commas = 0x7F7F7F7F7F7F7F7F, 0x2C2C2C2C2C2C2C2C
	x := w ^ commas
	return ^((x&lo7 + lo7) | x | lo7)
}

// slow is encoding/csv's readRecord field loop for a record with a quote,
// whose first line is line and whose raw bytes start at rs in the block.
// The fields are decoded into s.scratch, then written over the raw record,
// which is at least as long. errMore when the record is not all read.
func (s *splitter) slow(line []byte, rs, recLine, nfields int) (n int, err error) {
	mark := len(s.offs)
	s.scratch = s.scratch[:0]
	field := func(start int) {
		if n < nfields {
			s.offs = append(s.offs, start, len(s.scratch))
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
			start := len(s.scratch)
			s.scratch = append(s.scratch, f...)
			field(start)
			if i >= 0 {
				line = line[i+1:]
				continue parseField
			}
			break parseField
		}
		// Quoted field.
		start := len(s.scratch)
		line = line[1:]
		for {
			i := bytes.IndexByte(line, '"')
			switch {
			case i >= 0:
				s.scratch = append(s.scratch, line[:i]...)
				line = line[i+1:]
				switch rn, _ := utf8.DecodeRune(line); {
				case rn == '"':
					s.scratch = append(s.scratch, '"')
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
			case len(line) > 0:
				s.scratch = append(s.scratch, line...)
				raw, errRead := s.readLine()
				switch {
				case errRead == io.EOF:
					line = nil
					s.numLine++ // as encoding/csv counts its last, empty read
				case errRead != nil:
					return n, errRead // errMore, or an I/O error
				default:
					line = s.norm(raw)
				}
			default:
				// The input ended inside a quoted field.
				err = &csv.ParseError{StartLine: recLine, Line: s.numLine, Err: csv.ErrQuote}
				break parseField
			}
		}
	}
	if err == nil {
		s.place(rs, mark)
	}
	return n, err
}

// place writes the decoded fields over the raw record at rs and points
// their offsets there. The raw bytes left after them are overwritten with
// '\n' so that the block, as clean checks it, has only whole characters.
func (s *splitter) place(rs, mark int) {
	copy(s.buf[rs:], s.scratch)
	gap := s.buf[rs+len(s.scratch) : s.pos]
	for i := range gap {
		gap[i] = '\n'
	}
	for j := mark; j < len(s.offs); j++ {
		s.offs[j] += rs
	}
}

// skip stores nfields empty fields for a record that is a reject, so the
// chunk keeps nfields fields per record.
func (s *splitter) skip(nfields int) {
	for range nfields {
		s.offs = append(s.offs, 0, 0)
	}
}

// clean reports whether no stored field of the chunk has a NUL byte or
// invalid UTF-8. Checking the block's consumed bytes at once is cheaper
// than every cell on its own (the calls cost more than the bytes for cells
// of a few bytes), and enough: fields are cut from them at ASCII bytes
// (commas, quotes, line ends), so they are whole characters when the
// block is.
func (s *splitter) clean() bool {
	b := s.buf[:s.pos]
	return bytes.IndexByte(b, 0) < 0 && utf8.Valid(b)
}

// take hands on the chunk: the block, and the stored fields as start, end
// pairs into it. offs (emptied) becomes the splitter's for the next chunk,
// and the block's unconsumed bytes are kept for the next block; the
// splitter then needs a new one (use). The block belongs to a csvBatch,
// which is not written again until the loader has committed the chunk
// (the columns copy the values, rejects clone theirs) and handed it back.
func (s *splitter) take(offs []int) (block []byte, fields []int) {
	block, fields = s.buf, s.offs
	s.carry = append(s.carry[:0], block[s.pos:s.fill]...)
	if s.records > 0 {
		// Fill the next block to about a chunk's worth of records.
		per := s.pos / s.records
		s.target = min(max(per*s.chunkRows+per*s.chunkRows/16, s.minTarget), maxBlock)
	}
	s.buf = nil
	s.offs = offs[:0]
	return block, fields
}
