package civil

import (
	"testing"
	"time"
)

// Every day from 1899 to 2101 round-trips and agrees with package time.
func TestDatesAgreeWithTime(t *testing.T) {
	start := time.Date(1899, 1, 1, 0, 0, 0, 0, time.UTC)
	for tm := start; tm.Year() < 2102; tm = tm.AddDate(0, 0, 1) {
		d := FromTime(tm)
		if want := Date(tm.Unix() / 86400); d != want {
			t.Fatalf("%s: Date %d, want %d", tm.Format("2006-01-02"), d, want)
		}
		y, m, day := d.YMD()
		if y != tm.Year() || m != tm.Month() || day != tm.Day() {
			t.Fatalf("%d: YMD %d-%d-%d, want %s", d, y, m, day, tm.Format("2006-01-02"))
		}
		if s := d.String(); s != tm.Format("2006-01-02") || string(d.AppendString(nil)) != s {
			t.Fatalf("String %q, want %q", s, tm.Format("2006-01-02"))
		}
	}
}

func TestParse(t *testing.T) {
	cases := []struct {
		in string
		ok bool
	}{
		{"2024-02-29", true}, {"2023-02-29", false}, {"1900-02-29", false}, {"2000-02-29", true},
		{"2024-04-31", false}, {"2024-12-31", true}, {"2024-13-01", false}, {"2024-00-10", false},
		{"2024-1-05", false}, {"2024/01/05", false}, {" 2024-01-05", false}, {"", false}, {"２０２４-01-05", false},
	}
	for _, c := range cases {
		_, err := Parse(c.in)
		if (err == nil) != c.ok {
			t.Errorf("Parse(%q) err=%v, want ok=%v", c.in, err, c.ok)
		}
	}
}

func TestMonths(t *testing.T) {
	m, err := ParseMonth("2024-12")
	if err != nil {
		t.Fatal(err)
	}
	if (m+1).String() != "2025-01" || m.First() != MustParse("2024-12-01") || m.Last() != MustParse("2024-12-31") {
		t.Errorf("month arithmetic across the year end: %s %s %s", m+1, m.First(), m.Last())
	}
	if MonthOf(2024, time.February).Last() != MustParse("2024-02-29") {
		t.Error("leap February")
	}
	for _, bad := range []string{"2024-13", "2024-00", "2024-1", "202401", "2024-01-01"} {
		if _, err := ParseMonth(bad); err == nil {
			t.Errorf("ParseMonth(%q) accepted", bad)
		}
	}
	if MustParse("2025-03-31").Month().String() != "2025-03" {
		t.Error("Date.Month")
	}
}

// Today is the calendar date in Asia/Shanghai, not UTC: at 23:30 UTC it is
// already the next day there.
func TestShanghaiDate(t *testing.T) {
	utc := time.Date(2025, 6, 30, 23, 30, 0, 0, time.UTC)
	if got := FromTime(utc.In(Shanghai)); got != MustParse("2025-07-01") {
		t.Errorf("got %s, want 2025-07-01", got)
	}
}
