package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/table"
)

// TestRepeatedDatesAndHeaders covers the shortcuts of the CSV path: a date
// equal to the last accepted one is not parsed again (but a rejected date
// repeated is rejected again), and a record is a repeated header only when
// its trimmed cells are the header's.
func TestRepeatedDatesAndHeaders(t *testing.T) {
	rows := []string{
		ledgerHeader,
		ledgerRow("E1", "2024-01-02", "1"), // line 2
		ledgerRow("E2", "2024-01-02", "1"),
		ledgerRow("E3", "1899-12-31", "1"),
		ledgerRow("E4", "1899-12-31", "1"),
		ledgerRow("E5", "2024-02-30", "1"),
		ledgerRow("E6", "2024-02-30", "1"),
		ledgerRow("E7", "2024-01-02", "1"),
		" entry_id ," + strings.TrimPrefix(ledgerHeader, "entry_id,"), // line 9: a header, spaced
		ledgerRow("entry_id", "2024-03-04", "1"),                      // line 10: data
		ledgerRow("E9", "2024-03-04", "1"),
	}
	tb, st, rejects, err := Table(context.Background(), spec(t, "ledger"), "ledger.csv", strings.NewReader(strings.Join(rows, "\n")+"\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tb.Release()
	wantRejects := []struct {
		line   int
		reason string
	}{
		{4, "date before 1900-01-01"}, {5, "date before 1900-01-01"},
		{6, "not a calendar date: want YYYY-MM-DD"}, {7, "not a calendar date: want YYYY-MM-DD"},
		{9, "repeated header row (files concatenated?)"},
	}
	if len(rejects) != len(wantRejects) {
		t.Fatalf("rejects %+v, want %+v", rejects, wantRejects)
	}
	for k, w := range wantRejects {
		if rejects[k].Line != w.line || rejects[k].Reason != w.reason {
			t.Errorf("reject %d: %+v, want line %d %q", k, rejects[k], w.line, w.reason)
		}
	}
	if st.Loaded != 5 {
		t.Fatalf("loaded %d rows, want 5", st.Loaded)
	}
	ids := tb.Rec.Column(0).(*array.String)
	dates := tb.Rec.Column(2).(*array.Date32)
	want := []struct{ id, date string }{
		{"E1", "2024-01-02"}, {"E2", "2024-01-02"}, {"E7", "2024-01-02"}, {"entry_id", "2024-03-04"}, {"E9", "2024-03-04"},
	}
	for i, w := range want {
		if ids.Value(i) != w.id || civil.Date(dates.Value(i)) != civil.MustParse(w.date) {
			t.Errorf("row %d: %s %s, want %s %s", i, ids.Value(i), civil.Date(dates.Value(i)), w.id, w.date)
		}
	}
}

// loadWithBlock loads in as the ledger with CSV blocks of block bytes (0 =
// the default size).
func loadWithBlock(t testing.TB, in string, block int) (*table.Table, TableStats, []Reject, error) {
	t.Helper()
	defer func(old int) { testBlock = old }(testBlock)
	testBlock = block
	return Table(context.Background(), spec(t, "ledger"), "ledger.csv", strings.NewReader(in), Options{})
}

// sameLoad checks that loading in with blocks of block bytes gives what
// the default blocks give: the same table, stats and rejects.
func sameLoad(t testing.TB, in string, block int) {
	t.Helper()
	want, wantSt, wantRej, wantErr := loadWithBlock(t, in, 0)
	got, gotSt, gotRej, gotErr := loadWithBlock(t, in, block)
	if (wantErr == nil) != (gotErr == nil) {
		t.Fatalf("block %d: error %v, default blocks %v", block, gotErr, wantErr)
	}
	if wantErr != nil {
		return
	}
	defer want.Release()
	defer got.Release()
	if gotSt != wantSt || !reflect.DeepEqual(gotRej, wantRej) {
		t.Fatalf("block %d:\n got %+v %+v\nwant %+v %+v", block, gotSt, gotRej, wantSt, wantRej)
	}
	if !array.RecordEqual(got.Rec, want.Rec) {
		t.Fatalf("block %d: tables differ:\n%v\n%v", block, got.Rec, want.Rec)
	}
}

// TestSmallBlocks loads a ledger with every kind of record (quoted commas,
// quotes and newlines, CRLF, empty lines, bad quotes, wrong field counts,
// NUL bytes, GBK bytes, a repeated header, a duplicate key) in blocks of
// a few bytes, so records cross blocks and blocks grow for long records,
// and expects what the default blocks give.
func TestSmallBlocks(t *testing.T) {
	rows := []string{ledgerHeader}
	for i := range 300 {
		id := fmt.Sprintf("E%d", i)
		switch i % 10 {
		case 1:
			rows = append(rows, fmt.Sprintf(`"%s",V1,2024-01-02,P1,cash,out,1.50,expense,"shop, ""big""",`+"\"two\r\nlines\""+`,H1,`, id))
		case 2:
			rows = append(rows, ledgerRow(id, "2024-01-02", "2")+"\r")
		case 3:
			rows = append(rows, "", "\r")
		case 4:
			rows = append(rows, ledgerRow(id, "2024-01-02", "3")+`,"x"y`)
		case 5:
			rows = append(rows, `E"5,V1`)
		case 6:
			rows = append(rows, ledgerRow(id, "2024-01-02", "4")[:20]+"\x00"+ledgerRow(id, "2024-01-02", "4")[20:])
		case 7:
			rows = append(rows, strings.Replace(ledgerRow(id, "2024-01-02", "5"), "shop", "\xd5\xc5", 1))
		case 8:
			rows = append(rows, ledgerHeader, ledgerRow("E1", "2024-01-02", "6"))
		default:
			rows = append(rows, ledgerRow(id, "2024-01-02", "7")+"中文"+strings.Repeat("长", i))
		}
	}
	in := strings.Join(rows, "\n")
	for _, block := range []int{1, 2, 3, 7, 64, 500, 4096} {
		sameLoad(t, in, block)
	}
}

// TestReaders loads the same CSV through readers that return a byte at a
// time, or data together with io.EOF, and expects the same load; a read
// error part-way is the load's error.
func TestReaders(t *testing.T) {
	in := ledgerHeader + "\n" + ledgerRow("E1", "2024-01-02", "1") + "\n\"E2\",V1,2024-01-02,P1,cash,out,2,expense,\"a\r\nb\",,H1,\r\n" + ledgerRow("E3", "2024-01-02", "3")
	ctx := context.Background()
	want, wantSt, _, err := Table(ctx, spec(t, "ledger"), "l.csv", strings.NewReader(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer want.Release()
	if wantSt.Loaded != 3 {
		t.Fatalf("loaded %d rows, want 3", wantSt.Loaded)
	}
	for name, r := range map[string]io.Reader{
		"one byte": iotest.OneByteReader(strings.NewReader(in)),
		"data+EOF": iotest.DataErrReader(strings.NewReader(in)),
		"half":     iotest.HalfReader(strings.NewReader(in)),
	} {
		got, st, _, err := Table(ctx, spec(t, "ledger"), "l.csv", r, Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if st != wantSt || !array.RecordEqual(got.Rec, want.Rec) {
			t.Errorf("%s: %+v\n%v\nwant %+v\n%v", name, st, got.Rec, wantSt, want.Rec)
		}
		got.Release()
	}
	broken := io.MultiReader(strings.NewReader(in[:len(in)/2]), iotest.ErrReader(errors.New("disk gone")))
	if _, _, _, err := Table(ctx, spec(t, "ledger"), "l.csv", broken, Options{}); err == nil || !strings.Contains(err.Error(), "disk gone") {
		t.Errorf("read error: got %v, want it reported", err)
	}
}
