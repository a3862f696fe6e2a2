package refcheck

import (
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/ident"
	"github.com/neijiang/xiaowei/internal/table"
)

// alteredView lists every identifier (and register name) the run
// normalised before the checks (internal/run normaliseTables, package
// ident): a zero-width space, full-width digits, a stray space, a
// lower-case x or account dashes, or a 15-digit ID number upgraded to 18
// digits when the same person is also written in the 18-digit form. The checks already match on the normal
// form; the view is for the data-quality rules DQ-ID-ALTERED and
// DQ-NAME-ALTERED, because an export from the office being supervised that
// writes one person two ways may be hiding a link.
const alteredView = "altered_values"

// alteredCols: the value as written and its normal form sit in a column
// per kind (person id, account, other code, name), so that masked reports
// mask each by what it holds (internal/mask keys on the column name); the
// other kinds' columns are null on that row.
var alteredCols = []table.Col{
	{Name: "village_id", Kind: contract.ID, Doc: "the row's village (payments: the case's; kinship: the person's), null when unknown"},
	{Name: "source_table", Kind: contract.Text, Doc: "table holding the value"},
	{Name: "source_table_cn", Kind: contract.Text, Doc: "the table's Chinese name with the contract name, for messages: 低保特困对象（beneficiaries）"},
	{Name: "subject", Kind: contract.Text, Doc: "the row as a finding subject (person:, case:, payment:, entry:, disclosure:, village:), in normal form"},
	{Name: "field", Kind: contract.Text, Doc: "column holding the value"},
	{Name: "field_kind", Kind: contract.Text, Doc: "person_id (ID numbers and person ids), account, code (other ids) or name"},
	{Name: "written_person_id", Kind: contract.Text, Doc: "field_kind person_id: the value as written, every rune outside printable ASCII shown as \\uXXXX"},
	{Name: "normal_person_id", Kind: contract.ID, Doc: "field_kind person_id: the normal form the checks used"},
	{Name: "written_account", Kind: contract.Text, Doc: "field_kind account: the value as written, escaped"},
	{Name: "normal_account", Kind: contract.ID, Doc: "field_kind account: the normal form"},
	{Name: "written_code", Kind: contract.Text, Doc: "field_kind code: the value as written, escaped"},
	{Name: "normal_code", Kind: contract.ID, Doc: "field_kind code: the normal form"},
	{Name: "written_name", Kind: contract.Text, Doc: "field_kind name: the value as written, escaped"},
	{Name: "normal_name", Kind: contract.Text, Doc: "field_kind name: the normal form"},
	{Name: "alteration", Kind: contract.Text, Doc: "what was removed or replaced, in Chinese (不可见字符零宽空格(U+200B)×1、全角字符×18…)"},
	{Name: "duplicate", Kind: contract.Bool, Doc: "the field is part of the table's key and, in normal form, the row's key equals another row's (one record entered twice; the loader's duplicate check could not see it)"},
	{Name: "duplicate_note", Kind: contract.Text, Doc: "Chinese sentences for messages, else empty: the 15-digit ID's person is also written in the 18-digit form (mixed_forms); the key is a duplicate"},
	{Name: "mixed_forms", Kind: contract.Bool, Doc: "field_kind person_id: the value is a 15-digit ID number whose 18-digit form is written elsewhere in the run (one person in both forms)"},
}

var alteredSpec = engine.ViewSpec{Name: alteredView, Doc: "identifier and name values written in a non-normal form (invisible characters, full-width, spaces, lower-case x, account dashes)",
	Needs: []string{"villages", "persons", "beneficiaries"}, Cols: alteredCols}

// tableCN names the contract tables as inspectors know them.
var tableCN = map[string]string{
	"villages": "村庄名录", "persons": "户籍登记", "kinship": "亲属关系备案", "cadres": "村干部名册",
	"beneficiaries": "低保特困对象", "payments": "资金发放", "ledger": "现金银行日记账", "disclosures": "公开记录",
}

func buildAltered(in *engine.Input) *table.Table {
	b := table.NewBuilder(in.Mem, alteredView, alteredCols)
	cVil, cSrc, cSub, cField, cKind, cAlt := b.Col("village_id"), b.Col("source_table"), b.Col("subject"), b.Col("field"),
		b.Col("field_kind"), b.Col("alteration")
	cDup, cNote, cCN, cMix := b.Col("duplicate"), b.Col("duplicate_note"), b.Col("source_table_cn"), b.Col("mixed_forms")
	written := map[ident.Kind][2]int{
		ident.Person:  {b.Col("written_person_id"), b.Col("normal_person_id")},
		ident.Account: {b.Col("written_account"), b.Col("normal_account")},
		ident.Code:    {b.Col("written_code"), b.Col("normal_code")},
		ident.Name:    {b.Col("written_name"), b.Col("normal_name")},
	}
	for _, c := range in.Altered {
		if c.Upgraded && !c.Mixed && len(c.Original) == 15 {
			continue // only written in the old 15-digit form: an old register, not an alteration
		}
		if c.VillageID != "" {
			b.SetStr(cVil, c.VillageID)
		}
		b.SetStr(cSrc, c.Table)
		b.SetStr(cCN, tableCN[c.Table]+"（"+c.Table+"）")
		b.SetStr(cSub, c.Subject)
		b.SetStr(cField, c.Column)
		b.SetStr(cKind, c.Kind.String())
		w := written[c.Kind]
		b.SetStr(w[0], ident.Escape(c.Original))
		b.SetStr(w[1], c.Normalised)
		b.SetStr(cAlt, ident.Describe(c.Original, c.Kind))
		b.SetBool(cDup, c.Duplicate)
		b.SetBool(cMix, c.Mixed)
		note := ""
		if c.Mixed {
			note = "；同一人在本次数据中另有以18位号码登记的记录，新旧号码混用会使比对把同一人当作两人"
		}
		if c.Duplicate {
			note += "；按规范写法，该行与同表另一行的主键相同，即同一记录被登记了两次"
		}
		b.SetStr(cNote, note)
		b.Next()
	}
	return b.Finish()
}
