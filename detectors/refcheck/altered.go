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
// lower-case x or account dashes. The checks already match on the normal
// form; the view is for the data-quality rules DQ-ID-ALTERED and
// DQ-NAME-ALTERED, because an export from the office being supervised that
// writes one person two ways may be hiding a link.
const alteredView = "altered_values"

var alteredCols = []table.Col{
	{Name: "village_id", Kind: contract.ID, Doc: "the row's village (payments: the case's; kinship: the person's), null when unknown"},
	{Name: "source_table", Kind: contract.Text, Doc: "table holding the value"},
	{Name: "subject", Kind: contract.Text, Doc: "the row as a finding subject (person:, case:, payment:, entry:, disclosure:, village:), in normal form"},
	{Name: "field", Kind: contract.Text, Doc: "column holding the value"},
	{Name: "field_kind", Kind: contract.Text, Doc: "person_id, account, code (other ids) or name"},
	{Name: "original", Kind: contract.Text, Doc: "the value as written, every rune outside printable ASCII shown as \\uXXXX"},
	{Name: "normalised", Kind: contract.Text, Doc: "the normal form the checks used"},
	{Name: "alteration", Kind: contract.Text, Doc: "what was removed or replaced, in Chinese (零宽空格(U+200B)×1、全角字符×18…)"},
}

var alteredSpec = engine.ViewSpec{Name: alteredView, Doc: "identifier and name values written in a non-normal form (invisible characters, full-width, spaces, lower-case x, account dashes)",
	Needs: []string{"villages", "persons", "beneficiaries"}, Cols: alteredCols}

func buildAltered(in *engine.Input) *table.Table {
	b := table.NewBuilder(in.Mem, alteredView, alteredCols)
	cVil, cSrc, cSub, cField, cKind, cOrig, cNorm, cAlt := b.Col("village_id"), b.Col("source_table"), b.Col("subject"), b.Col("field"),
		b.Col("field_kind"), b.Col("original"), b.Col("normalised"), b.Col("alteration")
	for _, c := range in.Altered {
		if c.VillageID != "" {
			b.SetStr(cVil, c.VillageID)
		}
		b.SetStr(cSrc, c.Table)
		b.SetStr(cSub, c.Subject)
		b.SetStr(cField, c.Column)
		b.SetStr(cKind, c.Kind.String())
		b.SetStr(cOrig, ident.Escape(c.Original))
		b.SetStr(cNorm, c.Normalised)
		b.SetStr(cAlt, ident.Describe(c.Original, c.Kind))
		b.Next()
	}
	return b.Finish()
}
