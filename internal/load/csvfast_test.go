package load

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/neijiang/xiaowei/internal/civil"
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
