package load

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/table"
)

// csvChunk is how many records are staged before a commit: big enough to
// amortise the per-chunk work, small enough to stay in cache.
const csvChunk = 4096

// testBlock, when set by a test, is the bytes a CSV block is filled to
// (instead of about a chunk's worth of records), so that records cross
// blocks in small inputs.
var testBlock int

// Table reads one table as CSV from r. path only names the source in
// errors, rejects and stats. Used by Load, by rule tests with inline CSV and
// by other sources.
func Table(ctx context.Context, spec *contract.Table, path string, r io.Reader, opts Options) (*table.Table, TableStats, []Reject, error) {
	return loadCSV(ctx, spec, path, r, 0, opts)
}

// loadCSV reads CSV; size (0 = unknown) lets it reserve capacity up front
// from the first chunk's bytes per row.
func loadCSV(ctx context.Context, spec *contract.Table, path string, r io.Reader, size int64, opts Options) (*table.Table, TableStats, []Reject, error) {
	h := sha256.New()
	if !opts.NoHash {
		r = io.TeeReader(r, h)
	}
	br := bufio.NewReaderSize(r, 64<<10)
	// Strip a UTF-8 BOM before the CSV parser sees it: a BOM followed by a
	// quoted header field would otherwise be a bare-quote error.
	bomLen := 0
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xEF\xBB\xBF")) {
		br.Discard(3)
		bomLen = 3
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1 // field counts are checked per row, as rejects

	none := TableStats{Table: spec.Name, File: path}
	l, header, err := csvLoader(spec, path, cr, opts)
	if err != nil {
		return nil, none, nil, err
	}
	l.grow(csvChunk)
	// The records after the header are split by a splitter (same results
	// as encoding/csv, without its per-record allocation). cr read br
	// directly (bufio.NewReader returns br itself), so br is now just past
	// the header; the header's lines are its start line plus the newlines
	// inside its quoted fields (a quoted CRLF is one '\n' once decoded).
	hdrLine, _ := cr.FieldPos(0)
	for _, h := range header {
		hdrLine += strings.Count(h, "\n")
	}
	// The splitter reads r itself, in blocks, after the bytes br has
	// already read past the header.
	head, _ := br.Peek(br.Buffered())
	nfields := len(header)
	sp := newSplitter(r, head, cr.InputOffset(), hdrLine, csvChunk, nfields)
	if testBlock > 0 {
		sp.target, sp.minTarget = testBlock, testBlock
	}

	// Parsing CSV and validating cells take similar time, so a reader
	// goroutine parses chunks of records while this one validates and
	// commits the previous chunk. Chunks are recycled through free.
	chunks, free, stop := startCSVReader(ctx, sp, nfields)

	var offset int64
	if size > 0 {
		l.frac = func() float64 { return float64(offset+int64(bomLen)) / float64(size) }
	}
	for b := range chunks {
		l.takeCSVChunk(b, header, nfields)
		offset = b.offset
		err := b.err
		if err == nil {
			err = l.commit(ctx)
		}
		if err != nil {
			stop()
			l.abort()
			return nil, l.stats(""), nil, fmt.Errorf("loading %s: %w", path, err)
		}
		free <- b
	}
	// The reader may have stopped early only if ctx was cancelled.
	if err := ctx.Err(); err != nil {
		stop()
		l.abort()
		return nil, l.stats(""), nil, fmt.Errorf("loading %s: %w", path, err)
	}
	stop()
	t, rejects := l.finish()
	sum := ""
	if !opts.NoHash {
		sum = hex.EncodeToString(h.Sum(nil))
	}
	return t, l.stats(sum), rejects, nil
}

// csvLoader reads the header and makes the table's loader, each contract
// column at its position in the file.
func csvLoader(spec *contract.Table, path string, cr *csv.Reader, opts Options) (*loader, []string, error) {
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, fmt.Errorf("%s: %w", path, ErrEmpty)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading header of %s: %w", path, err)
	}
	header = append([]string(nil), header...)
	extras, err := matchHeader(spec, path, header)
	if err != nil {
		return nil, nil, err
	}
	l := newLoader(spec, path, "line", extras)
	for _, c := range l.cols {
		for j, name := range header {
			if strings.TrimSpace(name) == c.name {
				c.src = j
			}
		}
	}
	return l, header, nil
}

// startCSVReader starts the goroutine that parses chunks of records from
// sp, recycled through free; stop cancels it and waits for it to end.
func startCSVReader(ctx context.Context, sp *splitter, nfields int) (chunks <-chan *csvBatch, free chan<- *csvBatch, stop func()) {
	rctx, cancel := context.WithCancel(ctx)
	ch := make(chan *csvBatch, 2)
	fr := make(chan *csvBatch, 3)
	for range 3 {
		fr <- &csvBatch{offs: make([]int, 0, 2*csvChunk*nfields), lines: make([]int, csvChunk), rowErr: make([]string, csvChunk)}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(ch)
		readCSV(rctx, sp, nfields, fr, ch)
	}()
	// loadCSV stops and waits for the reader before returning: it reads r,
	// which loadCSV's caller may close as soon as it returns.
	stop = func() {
		cancel()
		for range ch {
		}
		<-done
	}
	return ch, fr, stop
}

// takeCSVChunk validates a chunk of records into the loader's rows.
func (l *loader) takeCSVChunk(b *csvBatch, header []string, nfields int) {
	l.clean = b.clean
	defer func() { l.clean = false }()
	for k := 0; k < b.n; k++ {
		i := l.startRow(b.lines[k])
		if b.rowErr[k] != "" {
			l.reject(i, "", "", b.rowErr[k])
			continue
		}
		rec := b.offs[2*k*nfields : 2*(k+1)*nfields]
		if isHeader(b.buf, rec, header) {
			// Two exports concatenated: one reject for the row, not
			// one per column that fails to parse as data.
			l.reject(i, "", "", "repeated header row (files concatenated?)")
			continue
		}
		for _, c := range l.cols {
			l.setString(c, i, cell(b.buf, rec, c.src))
		}
	}
}

// cell is field j of a record whose fields are start, end pairs rec into
// block, as a string that points into the block: the columns copy what
// they keep.
func cell(block []byte, rec []int, j int) string {
	start, end := rec[2*j], rec[2*j+1]
	if start == end {
		return ""
	}
	return unsafe.String(&block[start], end-start)
}

// isHeader reports whether a record repeats the header (names compared
// after trimming spaces, as matchHeader does).
func isHeader(block []byte, rec []int, header []string) bool {
	if len(rec) != 2*len(header) || len(rec) == 0 {
		return false
	}
	// Most records are told apart without trimming (two calls a record):
	// strings that start and end with a printable ASCII byte have nothing
	// to trim.
	c0, h0 := cell(block, rec, 0), header[0]
	if c0 != h0 && untrimmed(c0) && untrimmed(h0) {
		return false
	}
	if strings.TrimSpace(c0) != strings.TrimSpace(h0) {
		return false
	}
	for j := range header {
		if strings.TrimSpace(cell(block, rec, j)) != strings.TrimSpace(header[j]) {
			return false
		}
	}
	return true
}

// untrimmed reports whether s starts and ends with a printable ASCII byte,
// so strings.TrimSpace would leave it as it is.
func untrimmed(s string) bool {
	printable := func(b byte) bool { return b > ' ' && b < utf8.RuneSelf }
	return len(s) > 0 && printable(s[0]) && printable(s[len(s)-1])
}

// csvBatch is a chunk of parsed records: offs holds n*nfields cells as
// start, end pairs into buf, the input block they were split from;
// rowErr[k] != "" marks a record that is a row-level reject.
type csvBatch struct {
	offs   []int
	buf    []byte
	lines  []int
	rowErr []string
	n      int
	clean  bool  // no field has a NUL byte or invalid UTF-8 (splitter.clean)
	offset int64 // input bytes consumed after the chunk
	err    error // a read error that ends the file
}

// readCSV parses records into batches until EOF, an I/O error (sent in the
// last batch) or cancellation.
func readCSV(ctx context.Context, sp *splitter, nfields int, free <-chan *csvBatch, out chan<- *csvBatch) {
	var b *csvBatch
	next := func() bool {
		select {
		case b = <-free:
			b.n, b.err = 0, nil
			sp.use(b.buf)
			return true
		case <-ctx.Done():
			return false
		}
	}
	send := func() bool {
		b.clean = sp.clean()
		b.buf, b.offs = sp.take(b.offs)
		b.offset = sp.offset()
		select {
		case out <- b:
			return true
		case <-ctx.Done():
			return false
		}
	}
	if !next() {
		return
	}
	for {
		line, n, err := sp.next(nfields)
		if errors.Is(err, io.EOF) {
			send()
			return
		}
		if err == errBlockFull {
			if !send() || !next() {
				return
			}
			continue
		}
		k := b.n
		b.rowErr[k] = ""
		b.lines[k] = line
		if err != nil {
			var pe *csv.ParseError
			switch {
			case errors.As(err, &pe):
				// A malformed record (bad quoting) is a reject, not the end
				// of the file: the reader resumes on the next line.
				b.rowErr[k] = "malformed CSV: " + pe.Err.Error()
			case err == errFields:
				b.rowErr[k] = fmt.Sprintf("found %d fields, want %d (as in the header)", n, nfields)
			default:
				b.err = err
				send()
				return
			}
			sp.skip(nfields)
		}
		b.n++
		if b.n == csvChunk {
			if !send() || !next() {
				return
			}
		}
	}
}

// matchHeader checks a header against the contract: names trimmed, no
// duplicates or blanks, every contract column present. It returns the extra
// columns in header order.
// MaxColumns bounds the columns of an input file's header.
const MaxColumns = 1024

func matchHeader(spec *contract.Table, path string, header []string) ([]string, error) {
	// A contract table has a dozen columns; a header of thousands (a
	// 10,000-column file once took 8 s and 1.4 GB before every row was
	// rejected) is refused before any row is read.
	if len(header) > MaxColumns {
		return nil, fmt.Errorf("%s: the header has %d columns; at most %d are read: %w", path, len(header), MaxColumns, ErrHeader)
	}
	seen := make(map[string]bool, len(header))
	var extras, problems []string
	for j, raw := range header {
		name := strings.TrimSpace(raw)
		if name == "" {
			problems = append(problems, fmt.Sprintf("column %d has no name", j+1))
			continue
		}
		if seen[name] {
			problems = append(problems, fmt.Sprintf("duplicate column %q", name))
			continue
		}
		seen[name] = true
		if _, ok := spec.Column(name); !ok {
			extras = append(extras, name)
		}
	}
	var missing []string
	for _, c := range spec.Columns {
		if !seen[c.Name] {
			m := c.Name
			// Names are case-sensitive; say so when that is the problem.
			for _, raw := range header {
				if name := strings.TrimSpace(raw); strings.EqualFold(name, c.Name) {
					m += fmt.Sprintf(" (found %q: names are case-sensitive)", name)
					break
				}
			}
			missing = append(missing, m)
		}
	}
	if len(missing) > 0 {
		problems = append(problems, "missing contract column(s) "+strings.Join(missing, ", "))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s: %s: %w", path, strings.Join(problems, "; "), ErrHeader)
	}
	return extras, nil
}
