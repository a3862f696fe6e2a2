package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/neijiang/xiaowei/internal/load"
)

// paymentRow is one payment as an exporter meant it; the workbook tests
// write it the way Excel stores it and compare every loaded value.
type paymentRow struct {
	id, caseID, person string
	month              time.Time // its first day: what Excel stores for 2024年3月
	amount             float64
	paid               time.Time
	account            string
}

var excelPayments = []paymentRow{
	{"PAY1", "TK1", "511002194001010012", time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), 560, time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC), "6217000000000001"},
	{"PAY2", "TK1", "511002194001010012", time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC), 1234.5, time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC), "6217000000000001"},
	{"PAY3", "TK2", "511002195002020024", time.Date(2023, 2, 1, 0, 0, 0, 0, time.UTC), 0.01, time.Date(2023, 2, 28, 0, 0, 0, 0, time.UTC), "6217000000000002"},
	{"PAY4", "TK2", "511002195002020024", time.Date(2020, 2, 1, 0, 0, 0, 0, time.UTC), 99999.99, time.Date(2020, 2, 29, 0, 0, 0, 0, time.UTC), "6217000000000002"},
}

// want is the contract row dump() prints for the payment.
func (p paymentRow) want() string {
	return fmt.Sprintf("%s|%s|%s|dibao|%s|%d|%s|%s|∅|", p.id, p.caseID, p.person, p.month.Format("2006-01"),
		int64(p.amount*100+0.5), p.paid.Format("2006-01-02"), p.account)
}

// writePaymentsWorkbook writes the payments as Excel does: 发放年月 as a
// date cell with the given month number format (57 is Chinese Excel's
// built-in yyyy"年"m"月"), 发放日期 as a date cell, amounts as numbers, IDs
// as text; date1904 sets the workbook's 1904 date system before any date
// is written, so excelize stores the serials as Mac Excel would.
func writePaymentsWorkbook(t *testing.T, path string, monthFmt *excelize.Style, date1904 bool) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if date1904 {
		on := true
		if err := f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &on}); err != nil {
			t.Fatal(err)
		}
	}
	sh := "Sheet1"
	f.SetSheetRow(sh, "A1", &[]any{"低保资金发放明细"})
	f.SetSheetRow(sh, "A3", &[]any{"发放流水号", "救助证编号", "身份证号", "救助类别", "发放年月", "发放金额", "发放日期", "银行账号"})
	monthStyle, err := f.NewStyle(monthFmt)
	if err != nil {
		t.Fatal(err)
	}
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range excelPayments {
		r := i + 4
		f.SetSheetRow(sh, fmt.Sprintf("A%d", r), &[]any{p.id, p.caseID, p.person, "城乡低保", p.month, p.amount, p.paid, p.account})
		f.SetCellStyle(sh, fmt.Sprintf("E%d", r), fmt.Sprintf("E%d", r), monthStyle)
		f.SetCellStyle(sh, fmt.Sprintf("G%d", r), fmt.Sprintf("G%d", r), dateStyle)
	}
	f.SetSheetRow(sh, fmt.Sprintf("A%d", len(excelPayments)+4), &[]any{"合计", nil, nil, nil, nil, 101794.5})
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

// TestExcelDatesReadRight: a month column Excel stored as a date (the
// serial of the month's first day, with a 年月 format) reads as its month,
// and a workbook in the 1904 date system reads its dates and months as
// written, not four years and a day early. Every loaded value is compared
// with the one the exporter meant.
func TestExcelDatesReadRight(t *testing.T) {
	custom := `yyyy"年"m"月"`
	for _, tc := range []struct {
		name     string
		style    *excelize.Style
		date1904 bool
	}{
		{"month_builtin_57_1900", &excelize.Style{NumFmt: 57}, false},
		{"month_custom_format_1900", &excelize.Style{CustomNumFmt: &custom}, false},
		{"month_builtin_57_1904", &excelize.Style{NumFmt: 57}, true},
		{"month_custom_format_1904", &excelize.Style{CustomNumFmt: &custom}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writePaymentsWorkbook(t, filepath.Join(dir, "发放.xlsx"), tc.style, tc.date1904)
			m := mapping(t, dir, "tables:\n  payments:\n    file: 发放.xlsx\n    skip_rows: [合计]\n")
			got, rejects, st := loadOne(t, m, "payments")
			if len(rejects) > 0 || st.Read != len(excelPayments) || st.Loaded != len(excelPayments) {
				var b bytes.Buffer
				load.WriteRejects(&b, rejects)
				t.Fatalf("stats %+v, rejects:\n%s", st, b.String())
			}
			for i, p := range excelPayments {
				if got[i] != p.want() {
					t.Errorf("row %d: loaded %s\n                 want %s", i+4, got[i], p.want())
				}
			}
		})
	}
}

// TestXLSRefusedEverywhere: an Excel 97 workbook, whatever its name, gets
// the same "save it as .xlsx" message from a mapped load and from inspect
// (which used to report a misleading encoding error).
func TestXLSRefusedEverywhere(t *testing.T) {
	ole2 := append(append([]byte{}, ole2Magic...), bytes.Repeat([]byte{0}, 504)...)
	for _, tc := range []struct{ name, file string }{
		{"xls_named_xls", "台账.xls"},
		{"xls_named_xlsx", "台账.xlsx"},
		{"xls_named_csv", "台账.csv"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := write(t, dir, tc.file, ole2)
			m := mapping(t, dir, "tables:\n  villages: "+tc.file+"\n")
			_, _, _, err := LoadTable(context.Background(), m, m.Tables["villages"], load.Options{})
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "save it as .xlsx") || !strings.Contains(err.Error(), p) {
				t.Errorf("LoadTable: %v; want ErrFormat naming %s and saying save it as .xlsx", err, p)
			}
			var out bytes.Buffer
			err = Inspect(context.Background(), &out, p, InspectOptions{})
			if !errors.Is(err, ErrFormat) || !strings.Contains(out.String(), "format: "+p+": an Excel 97-2003 (.xls) workbook cannot be read") {
				t.Errorf("Inspect: %v; output:\n%s", err, out.String())
			}
			if strings.Contains(out.String(), "encoding") {
				t.Errorf("Inspect still talks about encodings:\n%s", out.String())
			}
		})
	}
	// a text file named .xls (some systems write HTML or CSV under that
	// name) is refused with the same advice rather than guessed at
	dir := t.TempDir()
	p := write(t, dir, "名录.xls", []byte(villagesCN))
	if err := checkFormat(p); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "named .xls but not an Excel 97-2003 workbook") {
		t.Errorf("checkFormat(text .xls) = %v", err)
	}
}

// TestInspectShowsDateSystemAndDisguisedIDs: inspect says when a workbook
// uses the 1904 date system and reads its month serials as months, and
// counts ids written with invisible, full-width or space characters.
func TestInspectShowsDateSystemAndDisguisedIDs(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "发放.xlsx")
	writePaymentsWorkbook(t, p, &excelize.Style{NumFmt: 57}, true)
	m := mapping(t, dir, "tables:\n  payments:\n    file: 发放.xlsx\n    skip_rows: [合计]\n")
	var out bytes.Buffer
	if err := Inspect(context.Background(), &out, p, InspectOptions{Mapping: m}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"date system: 1904", "rows: read 4 = loaded 4 + rejected 0"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("inspect output lacks %q:\n%s", want, out.String())
		}
	}
	csvPath := write(t, dir, "名录.csv", []byte("村代码,村名称,镇街代码,镇街名称,区县代码,区县名称\n511002103201\u200b,梅堂湾村,511002103,朝阳镇,511002,市中区\n５１１００２１０４２０１,红牌坊村,511002104,永安镇,511002,市中区\n511002104202,新村,511002104,永安镇,511002,市中区\n"))
	out.Reset()
	if err := Inspect(context.Background(), &out, csvPath, InspectOptions{Table: "villages"}); err != nil {
		t.Fatal(err)
	}
	if want := "id with spaces, invisible or full-width characters (normalised by the run, reported as DQ-*-ALTERED) ×2"; !strings.Contains(out.String(), want) {
		t.Errorf("inspect output lacks %q:\n%s", want, out.String())
	}
}

// TestExcelPeriodStoredAsDate: a disclosure period typed as 2024年3月 is a
// date cell (serial with a 年月 format) and reads as the month; a number
// without a date format (a reference) stays as it is; text periods as
// before. In a 1904 workbook too.
func TestExcelPeriodStoredAsDate(t *testing.T) {
	custom := `yyyy"年"m"月"`
	dbnum := `[DBNum1]G/通用格式`
	for _, date1904 := range []bool{false, true} {
		t.Run(fmt.Sprintf("date1904_%v", date1904), func(t *testing.T) {
			dir := t.TempDir()
			f := excelize.NewFile()
			if date1904 {
				on := true
				f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &on})
			}
			sh := "Sheet1"
			f.SetSheetRow(sh, "A1", &[]any{"公开编号", "村代码", "公开事项", "所属期间", "公开日期", "撤下日期", "公开金额"})
			mar := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
			posted := time.Date(2024, 4, 2, 0, 0, 0, 0, time.UTC)
			rows := [][]any{
				{"D1", "511002103201", "财务收支", mar, posted, nil, 1000},
				{"D2", "511002103201", "财务收支", mar, posted, nil, 1000},
				{"D3", "511002103201", "财务收支", "2024年第一季度", posted, nil, 1000},
				{"D4", "511002103201", "重大事项", 12345, posted, nil, nil},
				{"D5", "511002103201", "重大事项", 45352, posted, nil, nil},
			}
			for i, r := range rows {
				f.SetSheetRow(sh, fmt.Sprintf("A%d", i+2), &r)
			}
			for cell, style := range map[string]*excelize.Style{"D2": {NumFmt: 57}, "D3": {CustomNumFmt: &custom}, "D5": {CustomNumFmt: &dbnum}, "E2": {NumFmt: 14}} {
				id, err := f.NewStyle(style)
				if err != nil {
					t.Fatal(err)
				}
				f.SetCellStyle(sh, cell, cell, id)
			}
			// D1 keeps the date style excelize gave the time value; D2 is 57
			if err := f.SaveAs(filepath.Join(dir, "公开.xlsx")); err != nil {
				t.Fatal(err)
			}
			f.Close()
			m := mapping(t, dir, "tables:\n  disclosures: 公开.xlsx\n")
			got, rejects, _ := loadOne(t, m, "disclosures")
			if len(rejects) > 0 {
				t.Fatalf("rejects %+v", rejects)
			}
			want := []string{"D1|511002103201|finance|2024-03|2024-04-02|∅|100000|", "D2|511002103201|finance|2024-03|2024-04-02|∅|100000|",
				"D3|511002103201|finance|2024-Q1|2024-04-02|∅|100000|", "D4|511002103201|major_decision|12345|2024-04-02|∅|∅|",
				"D5|511002103201|major_decision|45352|2024-04-02|∅|∅|"}
			for i := range want {
				if i >= len(got) || got[i] != want[i] {
					t.Errorf("row %d: loaded %v, want %s", i+2, got, want[i])
				}
			}
		})
	}
}

func TestIsDateFormat(t *testing.T) {
	s := func(v string) *string { return &v }
	for _, tc := range []struct {
		name string
		st   excelize.Style
		want bool
	}{
		{"builtin_14", excelize.Style{NumFmt: 14}, true},
		{"builtin_57_cjk_year_month", excelize.Style{NumFmt: 57}, true},
		{"builtin_general", excelize.Style{NumFmt: 0}, false},
		{"builtin_time_only_20", excelize.Style{NumFmt: 20}, false},
		{"custom_year_month", excelize.Style{CustomNumFmt: s(`yyyy"年"m"月"`)}, true},
		{"custom_iso_month", excelize.Style{CustomNumFmt: s(`yyyy-mm`)}, true},
		{"custom_quoted_only", excelize.Style{CustomNumFmt: s(`0"年"`)}, false},
		{"custom_dbnum_general", excelize.Style{CustomNumFmt: s(`[DBNum1]G/通用格式`)}, false},
		{"custom_scientific", excelize.Style{CustomNumFmt: s(`0.00E+00`)}, false},
		{"custom_money", excelize.Style{CustomNumFmt: s(`"¥"#,##0.00`)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := isDateFormat(&tc.st); got != tc.want {
				t.Errorf("isDateFormat = %v, want %v", got, tc.want)
			}
		})
	}
}
