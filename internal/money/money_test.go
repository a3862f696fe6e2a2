package money

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in   string
		fen  int64
		fail bool
	}{
		{"168000.00", 16800000, false}, {"12.5", 1250, false}, {"7", 700, false}, {"0.01", 1, false},
		{"-50.00", -5000, false}, {"0", 0, false}, {"1.234", 0, true}, {"1.", 0, true}, {".5", 0, true},
		{"1,000.00", 0, true}, {"¥10", 0, true}, {"1e3", 0, true}, {"", 0, true}, {"-", 0, true},
		{" 1", 0, true}, {"1 ", 0, true}, {"9999999999999999", 0, true}, {"1.2x", 0, true},
	}
	for _, c := range cases {
		got, err := Parse(c.in)
		if c.fail {
			if err == nil {
				t.Errorf("Parse(%q) = %d, want an error", c.in, got)
			}
			continue
		}
		if err != nil || got != c.fen {
			t.Errorf("Parse(%q) = %d, %v; want %d", c.in, got, err, c.fen)
		}
	}
}

func TestFormat(t *testing.T) {
	cases := map[int64][2]string{
		16800000: {"168000.00", "168,000.00"}, 1: {"0.01", "0.01"}, -5000: {"-50.00", "-50.00"},
		0: {"0.00", "0.00"}, 123456789: {"1234567.89", "1,234,567.89"}, 100000: {"1000.00", "1,000.00"},
	}
	for fen, want := range cases {
		if got := Format(fen); got != want[0] {
			t.Errorf("Format(%d) = %q, want %q", fen, got, want[0])
		}
		if got := Grouped(fen); got != want[1] {
			t.Errorf("Grouped(%d) = %q, want %q", fen, got, want[1])
		}
	}
}

// Sums in fen are exact where float64 yuan drifts, and float yuan keeps the
// order of fen (what makes comparisons in rules exact).
func TestExactSumsAndMonotonicYuan(t *testing.T) {
	var fen int64
	var f float64
	for range 1000 {
		fen += 10 // 0.10 yuan
		f += 0.10
	}
	if Format(fen) != "100.00" {
		t.Errorf("fen sum %s", Format(fen))
	}
	if f == 100 {
		t.Log("float happened to be exact")
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		a := r.Int64N(1e12)
		b := a + 1
		if !(Yuan(a) < Yuan(b)) {
			t.Fatalf("Yuan(%d) !< Yuan(%d)", a, b)
		}
		if p, _ := Parse(Format(a)); p != a {
			t.Fatalf("round trip %d", a)
		}
		if FromYuan(Yuan(a)) != a {
			t.Fatalf("FromYuan(Yuan(%d)) = %d", a, FromYuan(Yuan(a)))
		}
	}
}

func TestRange(t *testing.T) {
	for _, c := range []struct {
		name, in string
		fen      int64
		err      string
	}{
		{"largest", "999999999999.99", MaxFen, ""},
		{"largest negative", "-999999999999.99", -MaxFen, ""},
		{"leading zeros do not count", "0000000000000012.50", 1250, ""},
		{"13 digits", "1000000000000.00", 0, `"1000000000000.00" is out of range: an amount is at most 999,999,999,999.99 yuan`},
		{"15 digits", "123456789012345", 0, `"123456789012345" is out of range: an amount is at most 999,999,999,999.99 yuan`},
		{"19 digits", "9223372036854775807", 0, `"9223372036854775807" is out of range: an amount is at most 999,999,999,999.99 yuan`},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Parse(c.in)
			if c.err != "" {
				if err == nil || err.Error() != c.err {
					t.Errorf("Parse(%q) = %d, %v; want error %s", c.in, got, err, c.err)
				}
				return
			}
			if err != nil || got != c.fen {
				t.Errorf("Parse(%q) = %d, %v; want %d", c.in, got, err, c.fen)
			}
		})
	}
}

func TestAddOverflow(t *testing.T) {
	for _, c := range []struct {
		name     string
		a, b     int64
		want     int64
		overflow bool
	}{
		{"small", 100, 250, 350, false},
		{"negative", -100, -250, -350, false},
		{"max", 1<<63 - 101, 100, 1<<63 - 1, false},
		{"over max", 1<<63 - 100, 100, 0, true},
		{"under min", -1 << 63, -1, 0, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Add(c.a, c.b)
			if c.overflow != (err != nil) || got != c.want {
				t.Errorf("Add(%d, %d) = %d, %v", c.a, c.b, got, err)
			}
		})
	}
	var s Sum
	for range 92234 {
		s.Add(MaxFen)
	}
	if s.Err == nil {
		t.Errorf("92,234 maximal amounts summed to %d without overflow", s.Total)
	}
}

func TestFromYuanChecked(t *testing.T) {
	for _, c := range []struct {
		name string
		in   float64
		want int64
		ok   bool
	}{
		{"plain", 12.34, 1234, true},
		{"negative", -0.015, -2, true},
		{"nan", math.NaN(), 0, false},
		{"inf", math.Inf(1), 0, false},
		{"too large", 1e13, 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := FromYuanChecked(c.in)
			if c.ok != (err == nil) || got != c.want {
				t.Errorf("FromYuanChecked(%v) = %d, %v", c.in, got, err)
			}
		})
	}
}
