package source

import (
	"testing"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/money"
)

func TestParseDateForms(t *testing.T) {
	for in, want := range map[string]string{
		"2024-03-05":          "2024-03-05",
		"2024-3-5":            "2024-03-05",
		"2024/3/5":            "2024-03-05",
		"2024/03/05":          "2024-03-05",
		"2024.3.5":            "2024-03-05",
		"2024年3月5日":           "2024-03-05",
		"2024 年 3 月 5 日":      "2024-03-05",
		"20240305":            "2024-03-05",
		"45356":               "2024-03-05", // Excel serial
		"45356.5":             "2024-03-05", // serial with a time of day
		"61":                  "1900-03-01", // first serial after Excel's fictitious 1900-02-29
		"2024-03-05 00:00:00": "2024-03-05",
		"2024/3/5 8:30":       "2024-03-05",
		"2024-02-29":          "2024-02-29",
	} {
		d, err := ParseDate(in)
		if err != nil || d.String() != want {
			t.Errorf("ParseDate(%q) = %v, %v; want %s", in, d, err, want)
		}
	}
	for _, in := range []string{"2023-02-29", "2024年13月1日", "20241301", "3/5/2024", "昨天", "60", "2024-03"} {
		if d, err := ParseDate(in); err == nil {
			t.Errorf("ParseDate(%q) = %v, want an error", in, d)
		}
	}
}

func TestParseMonthAndPeriod(t *testing.T) {
	for in, want := range map[string]string{"2024-03": "2024-03", "2024-3": "2024-03", "2024/3": "2024-03", "2024.03": "2024-03",
		"2024年3月": "2024-03", "2024年03月份": "2024-03", "202403": "2024-03", "2024-03-10": "2024-03", "2024年3月10日": "2024-03"} {
		m, err := ParseMonth(in)
		if err != nil || m.String() != want {
			t.Errorf("ParseMonth(%q) = %v, %v; want %s", in, m, err, want)
		}
	}
	// a month that Excel stored as a date: typing 2024年3月 into Chinese
	// Excel stores serial 45352 (2024-03-01) with a 年月 number format
	for in, want := range map[string]string{"45352": "2024-03", "45382": "2024-03", "45383": "2024-04", "45352.5": "2024-03", "45292": "2024-01"} {
		m, err := ParseMonth(in)
		if err != nil || m.String() != want {
			t.Errorf("ParseMonth(%q) = %v, %v; want %s", in, m, err, want)
		}
	}
	// the same serial in a 1904-system workbook is 1462 days later
	if m, err := parseMonth("43890", date1904); err != nil || m.String() != "2024-03" {
		t.Errorf("parseMonth(43890, 1904) = %v, %v; want 2024-03", m, err)
	}
	if d, err := parseDate("43894", date1904); err != nil || d.String() != "2024-03-05" {
		t.Errorf("parseDate(43894, 1904) = %v, %v; want 2024-03-05", d, err)
	}
	for _, in := range []string{"2024-13", "2024", "三月", "4535", "453520"} {
		if _, err := ParseMonth(in); err == nil {
			t.Errorf("ParseMonth(%q): want an error", in)
		}
	}
	for in, want := range map[string]string{"2024年第一季度": "2024-Q1", "2024年第4季度": "2024-Q4", "2024年二季度": "2024-Q2", "2024年3月": "2024-03",
		"2024年度": "2024", "2024年": "2024", "2024-Q1": "2024-Q1", "TK511002101204-0001": "TK511002101204-0001", "DS2024-医保": "DS2024-医保", "JC202401": "JC202401"} {
		if got := Period(in); got != want {
			t.Errorf("Period(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseMoneyForms(t *testing.T) {
	for _, tc := range []struct {
		in    string
		scale int
		want  string
	}{
		{"1234.50", 0, "1234.50"}, {"1,234.50", 0, "1234.50"}, {"¥1234.5", 0, "1234.50"}, {"￥1,234.50", 0, "1234.50"},
		{"1234.5元", 0, "1234.50"}, {"1234元", 0, "1234.00"}, {"RMB 1234.50", 0, "1234.50"}, {" 168,000.00 ", 0, "168000.00"},
		{"1.2万元", 0, "12000.00"}, {"16.8万", 0, "168000.00"}, {"7.456748", 4, "74567.48"}, {"7", 4, "70000.00"},
		{"-1,234.50", 0, "-1234.50"}, {"(1,234.50)", 0, "-1234.50"}, {"¥-5", 0, "-5.00"},
		{"1234.5599999999999", 0, "1234.56"}, {"0.30000000000000004", 0, "0.30"},
		// trailing zeros are no fraction of a fen
		{"1234.560", 0, "1234.56"}, {"1234.5000", 0, "1234.50"}, {"1,234.500", 0, "1234.50"}, {"1.23450万", 0, "12345.00"},
		{"1,234,567.89", 0, "1234567.89"}, {"1，234.50", 0, "1234.50"}, {"999,999.99", 0, "999999.99"},
	} {
		f, err := ParseMoney(tc.in, tc.scale)
		if err != nil || money.Format(f) != tc.want {
			t.Errorf("ParseMoney(%q, %d) = %s, %v; want %s", tc.in, tc.scale, money.Format(f), err, tc.want)
		}
	}
	for _, tc := range []struct {
		in    string
		scale int
	}{{"12.345", 0}, {"1.2345678", 4}, {"abc", 0}, {"", 0}, {"1e5", 0}, {"12元", 4}, {"1.2.3", 0}, {"¥", 0},
		{"1234.5670", 0}, // a real third decimal behind the zero
		// misgrouped thousands separators: never silently 1234.50
		{"12,34.50", 0}, {"1,2345.00", 0}, {"1234,567", 0}, {",123.00", 0}, {"1,,234.00", 0}, {"1,234,", 0},
		{"1234.5,0", 0}, {"12，34.50", 0}, {"1,23万", 0}} {
		if f, err := ParseMoney(tc.in, tc.scale); err == nil {
			t.Errorf("ParseMoney(%q, %d) = %s, want an error", tc.in, tc.scale, money.Format(f))
		}
	}
}

func TestNormHeader(t *testing.T) {
	for in, want := range map[string][2]string{"金额（万元）": {"金额", "万元"}, "金额(元)": {"金额", "元"}, " *身份证号 ": {"身份证号", ""},
		"村（社区）名称": {"村(社区)名称", ""}, "出生\n日期": {"出生日期", ""}} {
		n, u := normHeader(in)
		if n != want[0] || u != want[1] {
			t.Errorf("normHeader(%q) = %q, %q; want %q, %q", in, n, u, want[0], want[1])
		}
	}
}

// TestIDKeepsSpaces: a mapped id keeps the spaces it was written with, so
// the run reports it (DQ-ID-ALTERED) as it does for contract CSV, instead of
// the mapping quietly hiding a leading space; a numeric code cell (123.0)
// still becomes 123 and a blank cell null.
func TestIDKeepsSpaces(t *testing.T) {
	cv := &colConv{col: contract.Column{Name: "person_id", Kind: contract.ID}}
	for _, tc := range []struct{ name, in, want string }{
		{"leading_space", " 511002196001011328", " 511002196001011328"},
		{"ideographic_space", "511002196001011328\u3000", "511002196001011328\u3000"},
		{"numeric_code", "511002.0", "511002"},
		{"blank", "  ", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, bad := cv.convert(tc.in); got != tc.want || bad != "" {
				t.Errorf("convert(%q) = %q, %q; want %q", tc.in, got, bad, tc.want)
			}
		})
	}
}
