package source

import (
	"os"
	"testing"

	"github.com/neijiang/xiaowei/internal/money"
)

// Fuzz targets for the mapped-source parsers (dates, months, money,
// disclosure periods, mapping files): whatever a village's spreadsheet
// holds, they return a value or an error, never panic, and what they
// produce reads back the same. go test runs the seeds; longer:
// go test -run XXX -fuzz FuzzParseMoney -fuzztime 60s ./internal/source/

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2024-03-05", "2024-3-5", "2024/3/5", "2024.3.5", "2024年3月5日", "20240305", "45356", "45356.75",
		"2024-03-05 12:30", "2024-02-30", "60", "61", "99999999999", "1e9", "", " ", "0000-01-01", "2024年13月1日", "２０２４-03-05"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		y, _, _ := d.YMD()
		if y < 1000 || y > 9999 {
			return // outside what the contract's YYYY-MM-DD can hold; the loader rejects it
		}
		back, err := ParseDate(d.String())
		if err != nil || back != d {
			t.Fatalf("%q -> %s -> %v, %v", s, d, back, err)
		}
	})
}

func FuzzParseMonth(f *testing.F) {
	for _, s := range []string{"2024-03", "2024-3", "2024/3", "2024.03", "2024年3月", "202403", "2024-03-05", "2024-13", "", "45356"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMonth(s)
		if err != nil {
			return
		}
		y, _ := m.YM()
		if y < 1000 || y > 9999 {
			return
		}
		if back, err := ParseMonth(m.String()); err != nil || back != m {
			t.Fatalf("%q -> %s -> %v, %v", s, m, back, err)
		}
	})
}

func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"1,234.50", "¥1234.5", "￥1,234.50", "1234.5元", "RMB 1234.50", "1.2万元", "1.2万", "(100.00)", "（100）",
		"-¥5", "1234.5599999999999", "1.005", "1e3", "", "万元", "--1", "9999999999999999999", "0.1234万"} {
		f.Add(s, 0)
		f.Add(s, 4)
	}
	f.Fuzz(func(t *testing.T, s string, scale int) {
		if scale != 0 && scale != 4 {
			return // the only units a mapping accepts
		}
		fen, err := ParseMoney(s, scale)
		if err != nil {
			return
		}
		back, err := ParseMoney(money.Format(fen), 0)
		if err != nil || back != fen {
			t.Fatalf("%q (scale %d) -> %d fen -> %q -> %d, %v", s, scale, fen, money.Format(fen), back, err)
		}
	})
}

func FuzzPeriod(f *testing.F) {
	for _, s := range []string{"2024年第一季度", "2024年1季度", "2024年3月", "2024年度", "2024-Q1", "C-2024-001", "", "年", "季", "2024年第五季度"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := Period(s)
		if q := Period(p); q != p {
			t.Fatalf("Period not idempotent: %q -> %q -> %q", s, p, q)
		}
	})
}

func FuzzParseMapping(f *testing.F) {
	if b, err := os.ReadFile("../../fixtures/shizhong-export/sources.yaml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("tables: {}\n"))
	f.Add([]byte("tables:\n  ledger:\n    file: ../../../etc/passwd\n"))
	f.Add([]byte("{{{"))
	f.Fuzz(func(t *testing.T, src []byte) {
		m, err := ParseMapping("/tmp/x/sources.yaml", src)
		if err == nil && m == nil {
			t.Fatal("no mapping and no error")
		}
	})
}
