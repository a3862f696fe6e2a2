package source

import (
	"bytes"
	"encoding/csv"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/money"
)

// The mapped fixture fixtures/shizhong-export mirrors fixtures/shizhong in
// the layout villages, towns and the 低保 system export: xlsx workbooks and
// GBK CSV with Chinese headers, Chinese enum values and mixed date and
// money forms. writeExport builds it from the contract fixture;
// `go test ./internal/source -run TestExportFixture -update` rewrites it.

var update = flag.Bool("update", false, "rewrite fixtures/shizhong-export from fixtures/shizhong")

const (
	contractFixture = "../../fixtures/shizhong"
	exportFixture   = "../../fixtures/shizhong-export"
)

func readContractCSV(t testing.TB, dir, table string) (map[string]int, [][]string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, table+".csv"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	idx := map[string]int{}
	for i, h := range recs[0] {
		idx[h] = i
	}
	return idx, recs[1:]
}

func writeGBK(t testing.TB, path string, rows [][]string) {
	t.Helper()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	gbk, err := simplifiedchinese.GB18030.NewEncoder().Bytes(buf.Bytes())
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if err := os.WriteFile(path, gbk, 0o644); err != nil {
		t.Fatal(err)
	}
}

func date(t testing.TB, s string) civil.Date {
	d, err := civil.Parse(s)
	if err != nil {
		t.Fatalf("bad date %q in the contract fixture", s)
	}
	return d
}

// cn writes 2024年3月5日; slash 2024/3/5; compact 20240305; dot 2024.3.5.
func cnDate(t testing.TB, s string) string {
	if s == "" {
		return ""
	}
	y, m, d := date(t, s).YMD()
	return fmt.Sprintf("%d年%d月%d日", y, m, d)
}

func slashDate(t testing.TB, s string) string {
	if s == "" {
		return ""
	}
	y, m, d := date(t, s).YMD()
	return fmt.Sprintf("%d/%d/%d", y, m, d)
}

func dotDate(t testing.TB, s string) string {
	if s == "" {
		return ""
	}
	y, m, d := date(t, s).YMD()
	return fmt.Sprintf("%d.%d.%d", y, m, d)
}

func compactDate(s string) string { return strings.ReplaceAll(s, "-", "") }

func excelTime(t testing.TB, s string) time.Time {
	y, m, d := date(t, s).YMD()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func fen(t testing.TB, s string) money.Fen {
	f, err := money.Parse(s)
	if err != nil {
		t.Fatalf("bad amount %q in the contract fixture", s)
	}
	return f
}

// moneyForm writes an amount in one of the forms exports use, chosen by i.
func moneyForm(t testing.TB, s string, i int) string {
	if s == "" {
		return ""
	}
	f := fen(t, s)
	switch i % 4 {
	case 0:
		return money.Grouped(f) // 1,234.50
	case 1:
		return "¥" + strings.TrimSuffix(strings.TrimSuffix(money.Format(f), "0"), ".0") // ¥1234.5
	case 2:
		return strings.TrimSuffix(money.Format(f), ".00") + "元" // 1234元, 1234.56元
	}
	return money.Format(f)
}

var (
	genderCN = map[string]string{"M": "男", "F": "女"}
	roleCN   = map[string]string{"secretary": "党支部书记", "director": "村委会主任", "deputy_director": "副主任", "committee_member": "委员", "accountant": "会计",
		"cashier": "报账员", "supervisor": "监委会成员", "subsidy_clerk": "民政协理员", "group_leader": "村民小组长"}
	programCN = map[string]string{"dibao": "城乡低保", "tekun": "特困供养"}
	relCN     = map[string]string{"spouse": "配偶", "parent": "父母", "child": "子女", "sibling": "兄弟姐妹", "grandparent": "祖父母", "grandchild": "孙子女",
		"parent_in_law": "岳父母", "child_in_law": "子女配偶", "sibling_in_law": "兄弟姐妹配偶", "other": "其他"}
	accountCN = map[string]string{"cash": "现金", "bank": "银行存款"}
	dirCN     = map[string]string{"in": "收", "out": "支"}
	catCN     = map[string]string{"opening": "上年结转", "collection": "代收", "remit": "上缴", "deposit": "存现", "withdrawal": "提现", "income": "收入",
		"expense": "支出", "subsidy_payout": "补贴发放", "transfer": "转账"}
	itemCN = map[string]string{"finance": "财务收支", "dibao_roster": "低保特困名单", "dibao_notice": "审核公示", "major_decision": "重大事项", "project": "工程项目", "collection": "代收代缴"}
)

// headRelCN names relation_to_head as a register does, by gender.
func headRelCN(rel, gender string) string {
	byGender := map[string][2]string{"child": {"子", "女"}, "child_in_law": {"女婿", "儿媳"}, "parent": {"父亲", "母亲"}, "parent_in_law": {"岳父", "岳母"},
		"sibling": {"弟", "妹"}, "grandchild": {"孙子", "孙女"}, "grandparent": {"祖父", "祖母"}}
	switch rel {
	case "head":
		return "户主"
	case "spouse":
		return "配偶"
	case "other":
		return "其他"
	case "":
		return ""
	}
	if g, ok := byGender[rel]; ok {
		switch gender {
		case "M":
			return g[0]
		case "F":
			return g[1]
		}
	}
	return rel // no gender: the contract code, which passes unchanged
}

func periodCN(p string) string {
	if len(p) == 7 && p[4] == '-' && p[5] == 'Q' {
		return p[:4] + "年第" + string([]rune("一二三四")[p[6]-'1']) + "季度"
	}
	if m, err := civil.ParseMonth(p); err == nil && len(p) == 7 {
		y, mo := m.YM()
		return fmt.Sprintf("%d年%d月", y, mo)
	}
	if len(p) == 4 && isDigits(p) {
		return p + "年度"
	}
	return p
}

func newBook(t testing.TB) *excelize.File {
	f := excelize.NewFile()
	// Fixed document properties, so regenerating gives the same bytes.
	if err := f.SetDocProps(&excelize.DocProperties{Creator: "xiaowei fixture", Created: "2025-06-30T00:00:00Z", Modified: "2025-06-30T00:00:00Z"}); err != nil {
		t.Fatal(err)
	}
	return f
}

func setRow(t testing.TB, f *excelize.File, sheet string, row int, vals []any) {
	cell, _ := excelize.CoordinatesToCellName(1, row)
	if err := f.SetSheetRow(sheet, cell, &vals); err != nil {
		t.Fatal(err)
	}
}

func saveBook(t testing.TB, f *excelize.File, path string) {
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func writeExport(t testing.TB, from, out string) {
	t.Helper()
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}

	// villages: the district's division list, GBK CSV.
	ix, recs := readContractCSV(t, from, "villages")
	rows := [][]string{{"村代码", "村（社区）名称", "镇街代码", "镇街名称", "区县代码", "区县名称"}}
	for _, r := range recs {
		rows = append(rows, []string{r[ix["village_id"]], r[ix["village_name"]], r[ix["town_id"]], r[ix["town_name"]], r[ix["county_id"]], r[ix["county_name"]]})
	}
	writeGBK(t, filepath.Join(out, "村社区名录.csv"), rows)

	// persons: the household register (户籍), GBK CSV.
	ix, recs = readContractCSV(t, from, "persons")
	rows = [][]string{{"公民身份号码", "姓名", "性别", "出生日期", "户号", "与户主关系", "所属村代码", "死亡日期"}}
	for _, r := range recs {
		g := r[ix["gender"]]
		rows = append(rows, []string{r[ix["person_id"]], r[ix["name"]], genderCN[g], cnDate(t, r[ix["birth_date"]]), r[ix["household_id"]],
			headRelCN(r[ix["relation_to_head"]], g), r[ix["village_id"]], slashDate(t, r[ix["death_date"]])})
	}
	writeGBK(t, filepath.Join(out, "户籍人口.csv"), rows)

	// kinship: declared relations filed with the town, GBK CSV.
	ix, recs = readContractCSV(t, from, "kinship")
	rows = [][]string{{"身份证号", "亲属身份证号", "关系"}}
	for _, r := range recs {
		rows = append(rows, []string{r[ix["person_id"]], r[ix["relative_id"]], relCN[r[ix["relation"]]]})
	}
	writeGBK(t, filepath.Join(out, "亲属关系备案.csv"), rows)

	// beneficiaries and payments: the 低保 system's exports, GBK CSV.
	ix, recs = readContractCSV(t, from, "beneficiaries")
	rows = [][]string{{"救助证编号", "救助类别", "公民身份号码", "村代码", "申请日期", "审批日期", "终止日期", "月保障金（元）", "经办人身份证号", "近亲属备案", "备注"}}
	filed := map[string]string{"true": "是", "false": "否"}
	for i, r := range recs {
		rows = append(rows, []string{r[ix["case_id"]], programCN[r[ix["program"]]], r[ix["person_id"]], r[ix["village_id"]], compactDate(r[ix["applied_on"]]),
			r[ix["approved_on"]], cnDate(t, r[ix["ended_on"]]), moneyForm(t, r[ix["monthly_amount"]], i), r[ix["handled_by"]], filed[r[ix["relative_filed"]]], ""})
	}
	writeGBK(t, filepath.Join(out, "低保特困对象.csv"), rows)

	ix, recs = readContractCSV(t, from, "payments")
	rows = [][]string{{"发放流水号", "救助证编号", "公民身份号码", "救助类别", "发放年月", "发放金额", "发放日期", "银行账号", "账户持有人身份证号"}}
	for i, r := range recs {
		m, _ := civil.ParseMonth(r[ix["period"]])
		y, mo := m.YM()
		rows = append(rows, []string{r[ix["payment_id"]], r[ix["case_id"]], r[ix["person_id"]], programCN[r[ix["program"]]], fmt.Sprintf("%d年%d月", y, mo),
			moneyForm(t, r[ix["amount"]], i), slashDate(t, r[ix["paid_on"]]), r[ix["account_no"]], r[ix["account_holder_id"]]})
	}
	writeGBK(t, filepath.Join(out, "资金发放明细.csv"), rows)

	// cadres: a roster workbook with a title row above the header.
	ix, recs = readContractCSV(t, from, "cadres")
	f := newBook(t)
	f.SetSheetName("Sheet1", "村干部")
	setRow(t, f, "村干部", 1, []any{"市中区村（社区）干部名册（截至2025年6月30日）"})
	setRow(t, f, "村干部", 2, []any{"序号", "身份证号", "村代码", "职务", "任职开始", "任职结束"})
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range recs {
		vals := []any{i + 1, r[ix["person_id"]], r[ix["village_id"]], roleCN[r[ix["role"]]], excelTime(t, r[ix["term_start"]]), nil}
		if e := r[ix["term_end"]]; e != "" {
			vals[5] = excelTime(t, e)
		}
		setRow(t, f, "村干部", i+3, vals)
	}
	f.SetColStyle("村干部", "E:F", dateStyle)
	saveBook(t, f, filepath.Join(out, "村干部名册.xlsx"))

	// ledger: the accounting software's journal, second sheet of a workbook
	// whose first sheet is notes; Excel dates, amounts as numbers or text,
	// and a total row at the end.
	ix, recs = readContractCSV(t, from, "ledger")
	f = newBook(t)
	f.SetSheetName("Sheet1", "说明")
	setRow(t, f, "说明", 1, []any{"本表由村级财务软件导出：现金日记账与银行存款日记账合并，金额单位为元。"})
	const ls = "现金银行日记账"
	if _, err := f.NewSheet(ls); err != nil {
		t.Fatal(err)
	}
	setRow(t, f, ls, 1, []any{"流水号", "村代码", "日期", "凭证号", "科目", "收支", "金额", "类别", "对方单位", "摘要", "经手人", "审批人", "附件张数"})
	var total money.Fen
	for i, r := range recs {
		var amount any = money.Yuan(fen(t, r[ix["amount"]]))
		if i%3 == 1 {
			amount = "¥" + money.Grouped(fen(t, r[ix["amount"]]))
		}
		total += fen(t, r[ix["amount"]])
		setRow(t, f, ls, i+2, []any{r[ix["entry_id"]], r[ix["village_id"]], excelTime(t, r[ix["date"]]), r[ix["voucher_no"]], accountCN[r[ix["account"]]],
			dirCN[r[ix["direction"]]], amount, catCN[r[ix["category"]]], r[ix["counterparty"]], r[ix["summary"]], r[ix["handled_by"]], r[ix["approved_by"]], 1 + i%3})
	}
	setRow(t, f, ls, len(recs)+2, []any{"合计", nil, nil, nil, nil, nil, money.Grouped(total)})
	f.SetColStyle(ls, "C", dateStyle)
	saveBook(t, f, filepath.Join(out, "财务台账.xlsx"))

	// disclosures: the village affairs platform's record, amounts in 万元.
	ix, recs = readContractCSV(t, from, "disclosures")
	f = newBook(t)
	f.SetSheetName("Sheet1", "公开台账")
	setRow(t, f, "公开台账", 1, []any{"公开编号", "村代码", "公开事项", "所属期间", "公开日期", "撤下日期", "公开金额（万元）"})
	for i, r := range recs {
		var amt any
		if a := r[ix["amount_total"]]; a != "" {
			amt = float64(fen(t, a)) / 1e6
		}
		setRow(t, f, "公开台账", i+2, []any{r[ix["disclosure_id"]], r[ix["village_id"]], itemCN[r[ix["item"]]], periodCN(r[ix["period"]]),
			excelTime(t, r[ix["posted_on"]]), dotDate(t, r[ix["removed_on"]]), amt})
	}
	f.SetColStyle("公开台账", "E", dateStyle)
	saveBook(t, f, filepath.Join(out, "公开记录.xlsx"))

	// The power-list item of rules/major.yaml (四议两公开 and contracts): the
	// town's 村级重大事项 workbook, one sheet per declared table, headers the
	// declaration's aliases, steps and procurement in Chinese (mapped by
	// values: in sources.yaml), dates as Excel dates.
	f = newBook(t)
	optDate := func(s string) any {
		if s == "" {
			return nil
		}
		return excelTime(t, s)
	}
	optNum := func(s string) any {
		if s == "" {
			return nil
		}
		n := 0
		fmt.Sscan(s, &n)
		return n
	}
	optAmt := func(s string) any {
		if s == "" {
			return nil
		}
		return float64(fen(t, s)) / 100
	}
	f.SetSheetName("Sheet1", "决策记录")
	ix, recs = readContractCSV(t, from, "decisions")
	setRow(t, f, "决策记录", 1, []any{"决策编号", "村代码", "事项编号", "事项名称", "事项类别", "涉及金额", "步骤", "会议日期", "应到人数", "实到人数", "同意人数"})
	for i, r := range recs {
		setRow(t, f, "决策记录", i+2, []any{r[ix["decision_id"]], r[ix["village_id"]], r[ix["matter_id"]], r[ix["matter"]], matterCatCN[r[ix["category"]]],
			optAmt(r[ix["amount"]]), stepCN[r[ix["step"]]], optDate(r[ix["date"]]), optNum(r[ix["eligible"]]), optNum(r[ix["attended"]]), optNum(r[ix["agreed"]])})
	}
	f.SetColStyle("决策记录", "H", dateStyle)
	f.NewSheet("合同台账")
	ix, recs = readContractCSV(t, from, "contracts")
	setRow(t, f, "合同台账", 1, []any{"合同编号", "村代码", "事项编号", "合同名称", "合同类别", "合同相对方", "相对方身份证号", "合同金额", "签订日期", "采购方式"})
	for i, r := range recs {
		setRow(t, f, "合同台账", i+2, []any{r[ix["contract_id"]], r[ix["village_id"]], r[ix["matter_id"]], r[ix["name"]], contractCatCN[r[ix["category"]]],
			r[ix["counterparty"]], r[ix["counterparty_owner_id"]], optAmt(r[ix["amount"]]), optDate(r[ix["signed_on"]]), procCN[r[ix["procurement"]]]})
	}
	f.SetColStyle("合同台账", "I", dateStyle)
	f.NewSheet("合同付款")
	ix, recs = readContractCSV(t, from, "contract_payments")
	setRow(t, f, "合同付款", 1, []any{"分录编号", "合同编号"})
	for i, r := range recs {
		setRow(t, f, "合同付款", i+2, []any{r[ix["entry_id"]], r[ix["contract_id"]]})
	}
	saveBook(t, f, filepath.Join(out, "村级重大事项.xlsx"))
}

var (
	matterCatCN   = map[string]string{"project": "工程项目", "asset": "资产资源", "fund": "资金使用", "other": "其他"}
	stepCN        = map[string]string{"proposal": "党组织提议", "consult": "两委会商议", "review": "党员大会审议", "resolve": "村民代表会议决议", "publish_resolution": "决议公开", "publish_result": "实施结果公开"}
	contractCatCN = map[string]string{"project": "工程", "goods": "货物", "service": "服务", "lease": "资产租赁"}
	procCN        = map[string]string{"public_bidding": "公开招标", "invited_bidding": "邀请招标", "negotiation": "竞争性谈判", "direct": "直接委托"}
)

var exportFiles = []string{"村社区名录.csv", "户籍人口.csv", "亲属关系备案.csv", "低保特困对象.csv", "资金发放明细.csv", "村干部名册.xlsx", "财务台账.xlsx", "公开记录.xlsx", "村级重大事项.xlsx"}

// TestExportFixtureUpToDate regenerates the mapped fixture and checks the
// committed files are what the generator writes from fixtures/shizhong.
func TestExportFixtureUpToDate(t *testing.T) {
	out := t.TempDir()
	if *update {
		out = exportFixture
	}
	writeExport(t, contractFixture, out)
	if *update {
		return
	}
	for _, name := range exportFiles {
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(exportFixture, name))
		if err != nil {
			t.Fatalf("%v (run go test ./internal/source -run TestExportFixtureUpToDate -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what fixtures/shizhong gives: run go test ./internal/source -run TestExportFixtureUpToDate -update", name)
		}
	}
}
