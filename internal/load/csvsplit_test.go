package load

import (
	"bufio"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(3))
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
		// The splitter, with a small bufio buffer so long lines take the
		// ErrBufferFull path too.
		sp := &splitter{r: bufio.NewReaderSize(strings.NewReader(string(in)), 16)}
		var got []rec
		for {
			line, n, err := sp.next(nfields)
			if errors.Is(err, io.EOF) {
				break
			}
			var pe *csv.ParseError
			switch {
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
		}
		if len(sp.offs) != 2*nfields*len(got) {
			t.Fatalf("%d offsets for %d records of %d fields", len(sp.offs), len(got), nfields)
		}
		fields := make([]string, nfields*len(got))
		buf := sp.strings(fields)
		_ = buf
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
		if sp.offset != int64(len(in)) {
			t.Fatalf("offset %d, input %d bytes", sp.offset, len(in))
		}
	})
}
