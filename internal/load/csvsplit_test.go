package load

import (
	"encoding/binary"
	"encoding/csv"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzSplitterMatchesCSV checks the splitter against encoding/csv (as the
// loader used it: FieldsPerRecord = -1): the same records with the same
// fields and start lines, the same malformed-record errors at the same
// lines, and the same field-count mismatches, for any input. Seeded with
// the hostile corpus. Longer: go test -fuzz FuzzSplitterMatchesCSV ./internal/load/
func FuzzSplitterMatchesCSV(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("../../fixtures/bad/corpus", "*", "*.csv"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(0))
	}
	for _, s := range []string{
		"a,b,c\n1,2,3\n",
		"a,b\r\n\"x\r\ny\",2\r\n\r\n\n3,4",
		"a,b\n\"x\"\"y\",\"\"\n\"open,1\n2\n",
		"a,b\nx\"y,1\n\"a\"b,2\n3,4\r",
		"a,b\n\"\n\n\",1\n\"unterminated",
		"a,b\n1,2,3\n1\n,\n\"\",\r\n",
		"a\rb,c\n1\r2,3\r\n",
		"\n\na,b\n",
		"a,b\n\"x\"\r\r\n",
	} {
		for _, nf := range []uint8{0, 3, 9, 20, 37, 255} {
			f.Add([]byte(s), nf)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte, nf uint8) {
		type rec struct {
			line, n int
			fields  string
			err     string
		}
		// Reference: encoding/csv. nfields is the first record's count
		// unless nf picks another (1..8).
		cr := csv.NewReader(strings.NewReader(string(in)))
		cr.FieldsPerRecord = -1
		var want []rec
		nfields := int(nf % 9)
		for {
			r, err := cr.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				want = append(want, rec{line: pe.StartLine, err: pe.Err.Error()})
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if nfields == 0 {
				nfields = len(r)
			}
			line, _ := cr.FieldPos(0)
			if len(r) != nfields {
				want = append(want, rec{line: line, n: len(r), err: "count"})
				continue
			}
			want = append(want, rec{line: line, n: len(r), fields: strings.Join(r, "\x00|")})
		}
		if nfields == 0 {
			nfields = 1
		}
		// The splitter, in blocks of 1 to 141 bytes and chunks of 1 to 5
		// records, so that records cross blocks, and longer records grow
		// them; fields are collected chunk by chunk, as the loader does.
		blockSize, chunkRows := 1+int(nf/9)*5, 1+int(nf/9)%5
		sp := newSplitter(strings.NewReader(string(in)), nil, 0, 0, chunkRows, nfields)
		sp.target, sp.minTarget = blockSize, blockSize
		sp.use(make([]byte, blockSize))
		var got []rec
		var fields []string
		inChunk := 0
		endChunk := func() {
			if len(sp.offs) != 2*nfields*inChunk {
				t.Fatalf("%d fields for %d records of %d fields", len(sp.offs)/2, inChunk, nfields)
			}
			clean := sp.clean()
			block, offs := sp.take(nil)
			chunk := make([]string, len(offs)/2)
			for j := range chunk {
				chunk[j] = cell(block, offs, j)
			}
			for _, f := range chunk {
				// clean lets the loader skip the per-cell NUL and UTF-8 checks.
				if clean && (strings.IndexByte(f, 0) >= 0 || !utf8.ValidString(f)) {
					t.Fatalf("chunk called clean, but field %q has a NUL or invalid UTF-8", f)
				}
			}
			fields = append(fields, chunk...)
			sp.use(make([]byte, blockSize))
			inChunk = 0
		}
		for {
			line, n, err := sp.next(nfields)
			if errors.Is(err, io.EOF) {
				break
			}
			var pe *csv.ParseError
			switch {
			case err == errBlockFull:
				endChunk()
				continue
			case errors.As(err, &pe):
				if pe.StartLine != line {
					t.Fatalf("ParseError.StartLine %d, line %d", pe.StartLine, line)
				}
				got = append(got, rec{line: line, err: pe.Err.Error()})
				sp.skip(nfields)
			case err == errFields:
				got = append(got, rec{line: line, n: n, err: "count"})
				sp.skip(nfields)
			case err != nil:
				t.Fatal(err)
			default:
				got = append(got, rec{line: line, n: n})
			}
			if inChunk++; inChunk == chunkRows {
				endChunk()
			}
		}
		endChunk()
		for k := range got {
			if got[k].err == "" {
				got[k].fields = strings.Join(fields[k*nfields:(k+1)*nfields], "\x00|")
			}
		}
		if len(got) != len(want) {
			t.Fatalf("%d records, encoding/csv %d:\n got %+v\nwant %+v", len(got), len(want), got, want)
		}
		for k := range want {
			if got[k] != want[k] {
				t.Fatalf("record %d:\n got %+v\nwant %+v", k, got[k], want[k])
			}
		}
		if sp.offset() != int64(len(in)) {
			t.Fatalf("offset %d, input %d bytes", sp.offset(), len(in))
		}
	})
}

// TestSplitterClean checks which chunks are clean (no NUL byte, valid
// UTF-8 in every field): only those skip the per-cell checks.
func TestSplitterClean(t *testing.T) {
	for _, tc := range []struct {
		in    string
		clean bool
	}{
		{"1,2\nx,y\n", true},
		{"张三,\"李,四\"\n王五,\n", true},
		{"1,a\x00b\n", false},
		{"1,\xd5\xc5\n", false},
		{"1,\"\xe4\"\n", false},
		{"\"\",\n", true},
	} {
		sp := newSplitter(strings.NewReader(tc.in), nil, 0, 0, csvChunk, 2)
		sp.use(nil)
		for {
			if _, _, err := sp.next(2); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%q: %v", tc.in, err)
			}
		}
		if got := sp.clean(); got != tc.clean {
			t.Errorf("%q: clean = %v, want %v", tc.in, got, tc.clean)
		}
	}
}

// TestCommaMask checks the eight-bytes-at-a-time comma test against a
// byte loop, on words of the bytes that could confuse it (',' with its
// top bit set, its neighbours, 0x00, 0xFF) and on random words.
func TestCommaMask(t *testing.T) {
	tricky := []byte{',', ',' | 0x80, ',' - 1, ',' + 1, 0, 0xFF, 0x80, 'a'}
	r := rand.New(rand.NewPCG(1, 2))
	for k := range 200_000 {
		var b [8]byte
		for j := range b {
			if k%2 == 0 {
				b[j] = tricky[r.IntN(len(tricky))]
			} else {
				b[j] = byte(r.Uint32())
			}
		}
		var want uint64
		for j, c := range b {
			if c == ',' {
				want |= 0x80 << (8 * j)
			}
		}
		if got := commaMask(binary.LittleEndian.Uint64(b[:])); got != want {
			t.Fatalf("% x: mask %016x, want %016x", b, got, want)
		}
	}
}
