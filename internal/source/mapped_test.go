package source

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/load"
)

const villagesCN = "村代码,村名称,镇街代码,镇街名称,区县代码,区县名称\r\n" +
	"511002103201,梅堂湾村,511002103,朝阳镇,511002,市中区\r\n" +
	"511002104201,红牌坊村,511002104,永安镇,511002,市中区\r\n"

func write(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func gbk(t *testing.T, s string) []byte {
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mapping(t *testing.T, dir, yaml string) *Mapping {
	t.Helper()
	m, err := ParseMapping(filepath.Join(dir, "sources.yaml"), []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func loadOne(t *testing.T, m *Mapping, table string) ([]string, []load.Reject, load.TableStats) {
	t.Helper()
	tbl, st, rejects, err := LoadTable(context.Background(), m, m.Tables[table], load.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	return dump(tbl), rejects, st
}

// TestEncodings: the same villages file in UTF-8, UTF-8 with BOM and GBK is
// detected right and loads the same rows; a file that is neither is an
// error naming its line.
func TestEncodings(t *testing.T) {
	dir := t.TempDir()
	files := map[string][]byte{
		"utf8.csv": []byte(villagesCN),
		"bom.csv":  append([]byte("\xEF\xBB\xBF"), villagesCN...),
		"gbk.csv":  gbk(t, villagesCN),
	}
	wantEnc := map[string]string{"utf8.csv": encUTF8, "bom.csv": encUTF8BOM, "gbk.csv": encGB18030}
	var first []string
	for name, b := range files {
		p := write(t, dir, name, b)
		enc, err := DetectEncoding(p)
		if err != nil || enc != wantEnc[name] {
			t.Errorf("%s: detected %q, %v; want %q", name, enc, err, wantEnc[name])
		}
		rows, rejects, _ := loadOne(t, mapping(t, dir, "tables: {villages: "+name+"}\n"), "villages")
		if len(rejects) > 0 {
			t.Errorf("%s: rejects %v", name, rejects)
		}
		if first == nil {
			first = rows
		} else if strings.Join(rows, "\n") != strings.Join(first, "\n") {
			t.Errorf("%s loads %v, want %v", name, rows, first)
		}
		if !strings.Contains(rows[0], "梅堂湾村") {
			t.Errorf("%s: %v", name, rows)
		}
	}
	// stated encoding, tab-separated
	write(t, dir, "tab.txt", gbk(t, strings.ReplaceAll(villagesCN, ",", "\t")))
	rows, _, _ := loadOne(t, mapping(t, dir, "tables: {villages: {file: tab.txt, encoding: gbk}}\n"), "villages")
	if strings.Join(rows, "\n") != strings.Join(first, "\n") {
		t.Errorf("tab-separated GBK loads %v", rows)
	}
	// neither UTF-8 nor GB18030: 0xFF never starts a GB18030 character
	p := write(t, dir, "bad.csv", append([]byte(villagesCN), "511002105201,\xFF\xFF村,511002105,全安镇,511002,市中区\r\n"...))
	if _, err := DetectEncoding(p); err == nil || !strings.Contains(err.Error(), "line 4") {
		t.Errorf("bad bytes: %v, want an error naming line 4", err)
	}
}

// TestXLSXRejectsNameCells: a workbook sheet chosen by name, Excel dates,
// Chinese enum values, a total row skipped, and bad cells rejected with
// file, sheet and Excel cell.
func TestXLSXRejectsNameCells(t *testing.T) {
	dir := t.TempDir()
	f := excelize.NewFile()
	f.SetSheetName("Sheet1", "封面")
	f.NewSheet("日记账")
	rows := [][]any{
		{"梅堂湾村现金日记账"},
		{"流水号", "日期", "科目", "收支", "金额（元）", "类别", "经手人", "备注"},
		{"E1", 45292, "现金", "收", 3000, "期初", "511002197001010011", ""}, // 2024-01-01
		{"E2", "2024年1月5日", "库存现金", "收", "¥168,000.00", "代收", nil, ""}, // G4: an ID stored as a number, below
		{"E3", "2024/13/1", "现金", "出", "12.345", "支出", "", ""},         // bad date, direction, amount
		{"E1", 45293, "银行存款", "支", "100元", "转账", "", ""},               // duplicate entry id
		{"流水号", "日期", "科目", "收支", "金额（元）", "类别", "经手人", "备注"},          // page header repeated
		{"合计", nil, nil, nil, 171100},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		f.SetSheetRow("日记账", cell, &r)
	}
	f.SetCellDefault("日记账", "G4", "5.11002197001E+17") // a numeric cell, as Excel stores a typed-in ID
	p := filepath.Join(dir, "台账.xlsx")
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	m := mapping(t, dir, `
tables:
  ledger:
    file: 台账.xlsx
    sheet: 日记账
    skip_rows: [合计]
    columns:
      village_id: {value: "511002103201"}
      handled_by: 经手人
      category: {from: 类别, values: {期初: opening}}
`)
	got, rejects, st := loadOne(t, m, "ledger")
	if st.Read != 5 || st.Loaded != 1 || st.Rejected != 4 {
		t.Errorf("stats %+v, want read 5 = loaded 1 + rejected 4", st)
	}
	if len(got) != 1 || !strings.HasPrefix(got[0], "E1|511002103201|2024-01-01|") || !strings.Contains(got[0], "|cash|in|300000|opening|") {
		t.Errorf("loaded %v", got)
	}
	var b bytes.Buffer
	load.WriteRejects(&b, rejects)
	report := b.String()
	for _, want := range []string{
		`ledger,` + p + `,4,"handled_by (经手人, 日记账!G4)",5.11002197001E+17,"""5.11002197001E+17"" is an ID the spreadsheet stored as a number`,
		`ledger,` + p + `,5,"date (日期, 日记账!B5)",2024/13/1,"""2024/13/1"" is not a calendar date"`,
		`ledger,` + p + `,5,"direction (收支, 日记账!D5)",出,"want one of: in, out"`,
		`ledger,` + p + `,5,"amount (金额（元）, 日记账!E5)",12.345,"""12.345"" has a fraction of a fen`,
		`ledger,` + p + `,6,"entry_id (流水号, 日记账!A6)",E1,"duplicate key entry_id=E1, first on line 3"`,
		`ledger,` + p + `,7,(row 7 of sheet 日记账),,the header row (row 2) repeated: remove it`,
	} {
		if !strings.Contains(report, want) {
			t.Errorf("rejects lack %s\n%s", want, report)
		}
	}
}

// TestWrongMappingErrors: every mistake in a mapping is an error naming
// the mapping file and line, or the data file, sheet and header.
func TestWrongMappingErrors(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "v.csv", gbk(t, villagesCN))
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown table", "tables: {villagez: v.csv}", "sources.yaml:1:10: tables.villagez: not a contract table"},
		{"unknown column", "tables:\n  villages:\n    file: v.csv\n    columns: {village_nam: 村名称}", "sources.yaml:4:15: tables.villages.columns.village_nam: not a column of villages"},
		{"unknown key", "tables:\n  villages:\n    fil: v.csv", "sources.yaml:3:5: unknown key \"fil\""},
		{"value not in enum", "tables:\n  ledger:\n    file: x.xlsx\n    columns: {account: {from: 科目, values: {现金: money}}}", `"money" is not a value of ledger.account`},
		{"unit on a date", "tables:\n  ledger:\n    file: x.xlsx\n    columns: {date: {from: 日期, unit: 万元}}", "only money columns have a unit"},
		{"bad encoding", "tables:\n  villages: {file: v.csv, encoding: big5}", "encoding \"big5\""},
		{"bad version", "version: 2\ntables: {villages: v.csv}", "only version 1"},
		// duplicate keys are refused, as the rule parser does, at every level
		{"repeated column", "tables:\n  villages:\n    file: v.csv\n    columns:\n      village_name: 村名称\n      village_name: 村社区名", "sources.yaml:6:7: tables.villages.columns.village_name given twice (first on line 5)"},
		{"repeated table", "tables:\n  villages: v.csv\n  villages: v2.csv", "sources.yaml:3:3: tables.villages given twice (first on line 2)"},
		{"repeated section", "aliases: {village_name: [村名]}\naliases: {village_name: [村社区]}\ntables: {villages: v.csv}", "sources.yaml:2:1: aliases given twice (first on line 1)"},
		// a mapping saved as GBK: the bad byte's line and column
		{"not UTF-8", "tables:\n  villages:\n    file: v.csv\n    columns: {village_name: \xb4\xe5\xc3\xfb}", "sources.yaml:4:29: byte 0xB4 is not UTF-8: save the mapping as UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseMapping(filepath.Join(dir, "sources.yaml"), []byte(tc.yaml))
			if err == nil || !errors.Is(err, ErrMapping) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%q: %v; want ErrMapping with %q", tc.yaml, err, tc.want)
			}
		})
	}
	// A mapped header the file does not have: the error lists the header.
	m := mapping(t, dir, "tables:\n  villages:\n    file: v.csv\n    columns: {village_name: 村社区名}\n")
	_, _, _, err := LoadTable(context.Background(), m, m.Tables["villages"], load.Options{})
	if err == nil || !errors.Is(err, ErrMapping) || !strings.Contains(err.Error(), "village_name comes from “村社区名”, which is not in the header") ||
		!strings.Contains(err.Error(), "2 村名称") || !strings.Contains(err.Error(), "v.csv") {
		t.Errorf("missing header: %v", err)
	}
	// A required column nothing maps.
	write(t, dir, "v2.csv", []byte("代码,村名称\n1,甲村\n"))
	m = mapping(t, dir, "tables: {villages: v2.csv}\n")
	_, _, _, err = LoadTable(context.Background(), m, m.Tables["villages"], load.Options{})
	if err == nil || !strings.Contains(err.Error(), "no column for required village_id") || !strings.Contains(err.Error(), "tables.villages.columns.village_id") {
		t.Errorf("unmapped required column: %v", err)
	}
	// A sheet the workbook does not have.
	f := excelize.NewFile()
	f.SaveAs(filepath.Join(dir, "w.xlsx"))
	m = mapping(t, dir, "tables: {villages: {file: w.xlsx, sheet: 村名录}}\n")
	_, _, _, err = LoadTable(context.Background(), m, m.Tables["villages"], load.Options{})
	if err == nil || !strings.Contains(err.Error(), `no sheet "村名录" (sheets: Sheet1)`) {
		t.Errorf("missing sheet: %v", err)
	}
	// A mapping missing a required table.
	m = mapping(t, dir, "tables: {villages: v.csv}\n")
	if _, err := Load(context.Background(), m, load.Options{}); err == nil || !errors.Is(err, ErrMapping) || !strings.Contains(err.Error(), "required table persons has no source") {
		t.Errorf("missing table: %v", err)
	}
}

// TestParquetAndContractCSV: a mapping may point at contract files too.
func TestParquetAndContractCSV(t *testing.T) {
	dir := t.TempDir()
	spec, _ := contract.Lookup("villages")
	const csv = "village_id,village_name,town_id,town_name,county_id,county_name\n511002103201,梅堂湾村,511002103,朝阳镇,511002,市中区\n"
	tbl, _, _, err := load.Table(context.Background(), spec, "v.csv", strings.NewReader(csv), load.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	if err := load.WriteParquet(filepath.Join(dir, "v.parquet"), tbl); err != nil {
		t.Fatal(err)
	}
	write(t, dir, "v.csv", []byte(csv))
	for _, f := range []string{"v.parquet", "v.csv"} {
		rows, rejects, _ := loadOne(t, mapping(t, dir, "tables: {villages: "+f+"}\n"), "villages")
		if len(rejects) > 0 || strings.Join(rows, "\n") != strings.Join(dump(tbl), "\n") {
			t.Errorf("%s: %v %v", f, rows, rejects)
		}
	}
}
