package money

import (
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
