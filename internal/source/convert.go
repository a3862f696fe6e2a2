package source

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/money"
)

// builtinAliases are the header names common exports use for each contract
// column (the contract name itself always matches). Headers are compared
// after normHeader.
var builtinAliases = map[string][]string{
	"village_id":        {"村代码", "村编码", "村社区代码", "村（社区）代码", "所属村代码", "行政区划代码", "村级代码"},
	"village_name":      {"村名称", "村名", "村（社区）", "村社区名称", "村（社区）名称"},
	"town_id":           {"镇街代码", "乡镇代码", "镇代码", "街道代码", "乡镇（街道）代码"},
	"town_name":         {"镇街名称", "乡镇名称", "乡镇", "镇街", "乡镇（街道）"},
	"county_id":         {"区县代码", "县代码"},
	"county_name":       {"区县名称", "区县", "县（区）"},
	"person_id":         {"身份证号", "身份证号码", "公民身份号码", "证件号码", "身份证"},
	"name":              {"姓名"},
	"gender":            {"性别"},
	"birth_date":        {"出生日期", "出生年月日"},
	"household_id":      {"户号", "户编号"},
	"relation_to_head":  {"与户主关系", "与户主的关系", "家庭关系"},
	"death_date":        {"死亡日期", "注销日期（死亡）"},
	"relative_id":       {"亲属身份证号", "亲属公民身份号码", "关系人身份证号"},
	"relation":          {"关系", "亲属关系"},
	"role":              {"职务", "岗位"},
	"term_start":        {"任职开始", "任职起始日期", "任职日期", "任期开始"},
	"term_end":          {"任职结束", "离任日期", "任期结束"},
	"case_id":           {"救助证编号", "案件编号", "个案编号", "保障证号"},
	"program":           {"救助类别", "保障类别", "救助类型"},
	"applied_on":        {"申请日期"},
	"approved_on":       {"审批日期", "批准日期"},
	"ended_on":          {"终止日期", "停保日期"},
	"monthly_amount":    {"月保障金", "月救助金额", "月保障金额"},
	"handled_by":        {"经手人", "经办人", "经办人身份证号", "经手人身份证号"},
	"relative_filed":    {"近亲属备案", "是否近亲属备案"},
	"payment_id":        {"发放流水号", "发放编号"},
	"period":            {"发放年月", "所属期", "所属期间", "期间"},
	"amount":            {"金额", "发生额", "发放金额"},
	"paid_on":           {"发放日期", "支付日期"},
	"account_no":        {"银行账号", "账号", "卡号", "社保卡号"},
	"account_holder_id": {"账户持有人身份证号", "持卡人身份证号"},
	"entry_id":          {"流水号", "分录号"},
	"date":              {"日期", "发生日期", "记账日期"},
	"voucher_no":        {"凭证号", "凭证编号", "凭证字号"},
	"account":           {"科目", "会计科目", "账户"},
	"direction":         {"收支", "借贷", "方向", "收付"},
	"category":          {"类别", "业务类别", "款项类别"},
	"counterparty":      {"对方单位", "往来单位", "对方户名"},
	"summary":           {"摘要"},
	"approved_by":       {"审批人", "审批人身份证号"},
	"disclosure_id":     {"公开编号"},
	"item":              {"公开事项", "公开类别"},
	"posted_on":         {"公开日期", "张贴日期"},
	"removed_on":        {"撤下日期", "撤榜日期"},
	"amount_total":      {"公开金额", "公开总额"},
}

// builtinValues map common Chinese export values to contract enum values,
// by column name. A value already in the contract enum passes unchanged.
var builtinValues = map[string]map[string]string{
	"gender":  {"男": "M", "女": "F", "男性": "M", "女性": "F"},
	"program": {"低保": "dibao", "城乡低保": "dibao", "农村低保": "dibao", "城市低保": "dibao", "最低生活保障": "dibao", "特困": "tekun", "五保": "tekun", "特困供养": "tekun", "特困人员": "tekun"},
	"relation_to_head": {"户主": "head", "本人": "head", "配偶": "spouse", "妻": "spouse", "夫": "spouse", "妻子": "spouse", "丈夫": "spouse",
		"子": "child", "女": "child", "儿子": "child", "女儿": "child", "长子": "child", "次子": "child", "长女": "child", "次女": "child", "独生子": "child", "独生女": "child", "养子": "child", "养女": "child", "继子": "child", "继女": "child",
		"儿媳": "child_in_law", "女婿": "child_in_law", "父亲": "parent", "母亲": "parent", "父": "parent", "母": "parent",
		"岳父": "parent_in_law", "岳母": "parent_in_law", "公公": "parent_in_law", "婆婆": "parent_in_law",
		"兄": "sibling", "弟": "sibling", "姐": "sibling", "妹": "sibling", "哥哥": "sibling", "弟弟": "sibling", "姐姐": "sibling", "妹妹": "sibling", "兄弟姐妹": "sibling",
		"孙子": "grandchild", "孙女": "grandchild", "外孙子": "grandchild", "外孙女": "grandchild", "祖父": "grandparent", "祖母": "grandparent", "外祖父": "grandparent", "外祖母": "grandparent", "其他": "other"},
	"relation": {"配偶": "spouse", "父母": "parent", "父亲": "parent", "母亲": "parent", "子女": "child", "儿子": "child", "女儿": "child", "兄弟姐妹": "sibling",
		"祖父母": "grandparent", "外祖父母": "grandparent", "孙子女": "grandchild", "外孙子女": "grandchild", "岳父母": "parent_in_law", "公婆": "parent_in_law",
		"儿媳": "child_in_law", "女婿": "child_in_law", "子女配偶": "child_in_law", "兄弟姐妹配偶": "sibling_in_law", "配偶兄弟姐妹": "sibling_in_law", "其他": "other"},
	"role": {"书记": "secretary", "党支部书记": "secretary", "党组织书记": "secretary", "主任": "director", "村委会主任": "director", "居委会主任": "director",
		"副主任": "deputy_director", "委员": "committee_member", "村委委员": "committee_member", "会计": "accountant", "出纳": "cashier", "报账员": "cashier",
		"监委会成员": "supervisor", "监委会主任": "supervisor", "民政协理员": "subsidy_clerk", "组长": "group_leader", "村民小组长": "group_leader"},
	"account":   {"现金": "cash", "库存现金": "cash", "101": "cash", "银行存款": "bank", "银行": "bank", "102": "bank"},
	"direction": {"收": "in", "收入": "in", "借": "in", "借方": "in", "支": "out", "支出": "out", "付": "out", "贷": "out", "贷方": "out"},
	"category": {"期初": "opening", "上年结转": "opening", "代收": "collection", "上缴": "remit", "代缴": "remit", "存现": "deposit", "存款": "deposit", "现金存行": "deposit",
		"提现": "withdrawal", "取现": "withdrawal", "收入": "income", "支出": "expense", "费用": "expense", "补贴发放": "subsidy_payout", "低保发放": "subsidy_payout", "转账": "transfer", "内部转账": "transfer"},
	"item": {"财务收支": "finance", "财务公开": "finance", "低保名单": "dibao_roster", "低保特困名单": "dibao_roster", "低保/特困名单": "dibao_roster",
		"审核公示": "dibao_notice", "低保公示": "dibao_notice", "重大事项": "major_decision", "四议两公开": "major_decision", "工程项目": "project", "代收代缴": "collection"},
}

var boolValues = map[string]string{"是": "true", "否": "false", "Y": "true", "N": "false", "y": "true", "n": "false", "1": "true", "0": "false",
	"TRUE": "true", "FALSE": "false", "True": "true", "False": "false", "已备案": "true", "未备案": "false", "√": "true", "×": "false"}

// normHeader makes header names comparable: spaces, line breaks and
// required-field stars removed, full-width brackets made half-width. It
// also splits off a unit in brackets: "金额（万元）" → "金额", "万元".
func normHeader(h string) (name, unit string) {
	h = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r) || r == '*' || r == '\u3000' || r == '\ufeff':
			return -1
		case r == '（':
			return '('
		case r == '）':
			return ')'
		}
		return r
	}, h)
	if strings.HasSuffix(h, ")") {
		if i := strings.LastIndex(h, "("); i > 0 {
			u := h[i+1 : len(h)-1]
			if _, ok := units[u]; ok && u != "" {
				return h[:i], u
			}
		}
	}
	return h, ""
}

// reNumericID spots an ID that a spreadsheet stored as a number and
// printed in scientific notation: its last digits are lost.
var reNumericID = regexp.MustCompile(`^\d(\.\d+)?[eE]\+?\d+$`)

// convert turns one source value into contract text for column c. It
// returns the reason when the value cannot be converted.
func (cv *colConv) convert(s string) (string, string) {
	raw := s
	s = strings.TrimSpace(s)
	if s == "" {
		return "", ""
	}
	switch cv.col.Kind {
	case contract.Date:
		d, err := parseDate(s, cv.sys)
		if err != nil {
			return "", err.Error()
		}
		return d.String(), ""
	case contract.Month:
		m, err := parseMonth(s, cv.sys)
		if err != nil {
			return "", err.Error()
		}
		return m.String(), ""
	case contract.Money:
		f, err := ParseMoney(s, cv.scale)
		if err != nil {
			return "", err.Error()
		}
		return money.Format(f), ""
	case contract.Bool:
		if v, ok := cv.values[s]; ok {
			return v, ""
		}
		if v, ok := boolValues[s]; ok {
			return v, ""
		}
		return s, "" // the loader says what it wants
	case contract.Enum:
		if v, ok := cv.values[s]; ok {
			return v, ""
		}
		return s, ""
	case contract.ID:
		if reNumericID.MatchString(s) {
			return "", fmt.Sprintf("%q is an ID the spreadsheet stored as a number: its digits are lost; format the column as text and export again", s)
		}
		if strings.HasSuffix(s, ".0") && isDigits(s[:len(s)-2]) {
			return s[:len(s)-2], "" // a numeric cell holding a code
		}
		// An id keeps its spaces: the run normalises every id and reports
		// each one written with spaces or invisible characters
		// (DQ-*-ALTERED), as it does for contract CSV; trimming here would
		// hide a leading space, one of the ways an export makes one person
		// two, from mapped exports only.
		return raw, ""
	}
	if cv.period {
		return Period(s), ""
	}
	return s, ""
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
