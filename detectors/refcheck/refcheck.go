// Package refcheck derives the unknown_refs view: every reference from one
// contract table to another that does not resolve. Each cell of such a row
// is well-formed, so the loader keeps it (loader rejects are for malformed
// cells); whether it matters is for a data_quality rule to say
// (rules/data_quality.yaml). A row whose village is unknown is outside every
// village's books, notices and settings: the other rules still see it, but
// an inspector should know the export is inconsistent.
//
// References checked (in this order, rows in table order):
//   - village_id of persons, cadres, beneficiaries, ledger, disclosures
//     against villages;
//   - payments.case_id against beneficiaries.case_id;
//   - cadres.person_id against persons (a cadre outside the register hides
//     every relative conflict).
//
// Beneficiaries and payment recipients missing from the register are
// already DQ-UNKNOWN-PERSON (detectors/subsidy, view id_checks).
package refcheck

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/table"
)

type detector struct{}

func init() { engine.Register(detector{}) }

const view = "unknown_refs"

var cols = []table.Col{
	{Name: "village_id", Kind: contract.ID, Doc: "the row's village as written (may be the unknown one)"},
	{Name: "source_table", Kind: contract.Text, Doc: "table holding the reference"},
	{Name: "subject", Kind: contract.Text, Doc: "the row as a finding subject (entry:, disclosure:, person:, case:, payment:)"},
	{Name: "ref_kind", Kind: contract.Text, Doc: "village, case or person: what the reference should name"},
	{Name: "ref_column", Kind: contract.Text, Doc: "column holding the reference"},
	{Name: "ref_value", Kind: contract.ID, Doc: "the value that names nothing"},
	{Name: "target_table", Kind: contract.Text, Doc: "table it was looked up in"},
}

func (detector) Name() string                   { return "refcheck" }
func (detector) Settings() []engine.SettingSpec { return nil }
func (detector) Views() []engine.ViewSpec {
	return []engine.ViewSpec{{Name: view, Doc: "references to villages, cases or persons that are not in their table",
		Needs: []string{"villages", "persons", "cadres", "beneficiaries", "payments", "ledger", "disclosures"}, Cols: cols},
		alteredSpec}
}

// check is one reference: rows of table whose column is not among the
// keys of target.
type check struct {
	table, column, kind, target, targetCol string
	subject                                func(t *table.Table, i int) string
}

func keyed(prefix, col string) func(t *table.Table, i int) string {
	return func(t *table.Table, i int) string { return prefix + t.Str(col).Value(i) }
}

var checks = []check{
	{"persons", "village_id", "village", "villages", "village_id", keyed("person:", "person_id")},
	{"cadres", "village_id", "village", "villages", "village_id", keyed("person:", "person_id")},
	{"beneficiaries", "village_id", "village", "villages", "village_id", keyed("case:", "case_id")},
	{"ledger", "village_id", "village", "villages", "village_id", keyed("entry:", "entry_id")},
	{"disclosures", "village_id", "village", "villages", "village_id", keyed("disclosure:", "disclosure_id")},
	{"payments", "case_id", "case", "beneficiaries", "case_id", keyed("payment:", "payment_id")},
	{"cadres", "person_id", "person", "persons", "person_id", keyed("person:", "person_id")},
}

func (d detector) Build(ctx context.Context, in *engine.Input) (map[string]*table.Table, error) {
	out := map[string]*table.Table{}
	if in.Want[alteredView] {
		out[alteredView] = buildAltered(in)
	}
	if in.Want[view] {
		t, err := buildUnknownRefs(ctx, in)
		if err != nil {
			for _, t := range out {
				t.Release()
			}
			return nil, err
		}
		out[view] = t
	}
	return out, nil
}

func buildUnknownRefs(ctx context.Context, in *engine.Input) (*table.Table, error) {
	b := table.NewBuilder(in.Mem, view, cols)
	cVil, cSrc, cSub, cKind, cCol, cVal, cTgt := b.Col("village_id"), b.Col("source_table"), b.Col("subject"),
		b.Col("ref_kind"), b.Col("ref_column"), b.Col("ref_value"), b.Col("target_table")
	// key sets of target columns, built once per target and shared by the
	// checks that read it (villages.village_id serves five)
	sets := map[string]map[string]struct{}{}
	keys := func(tbl, col string) map[string]struct{} {
		k := tbl + "." + col
		if s, ok := sets[k]; ok {
			return s
		}
		var s map[string]struct{}
		if t := in.Tables[tbl]; t != nil {
			s = make(map[string]struct{}, t.Len())
			a := t.Str(col)
			for i := 0; i < t.Len(); i++ {
				if a.IsValid(i) {
					s[a.Value(i)] = struct{}{}
				}
			}
		}
		sets[k] = s
		return s
	}
	for _, c := range checks {
		t := in.Tables[c.table]
		if t == nil {
			continue
		}
		ref := t.Str(c.column)
		known, err := knownRefs(ctx, ref, in.Tables[c.target], c.target, c.targetCol, keys)
		if err != nil {
			return nil, err
		}
		var vil interface {
			Value(int) string
			IsValid(int) bool
		}
		if t.Has("village_id") {
			vil = t.Str("village_id")
		}
		// Rows come grouped (persons, ledger and beneficiaries by village,
		// payments by case): remember the last value looked up so a run of
		// equal references costs one string compare, not a hash lookup.
		prev, prevKnown, havePrev := "", false, false
		for i := 0; i < t.Len(); i++ {
			if i&4095 == 0 && ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if !ref.IsValid(i) {
				continue
			}
			v := ref.Value(i)
			if !havePrev || v != prev {
				prev, prevKnown, havePrev = v, known(v), true
			}
			if prevKnown {
				continue
			}
			if vil != nil && vil.IsValid(i) {
				b.SetStr(cVil, vil.Value(i))
			}
			b.SetStr(cSrc, c.table)
			b.SetStr(cSub, c.subject(t, i))
			b.SetStr(cKind, c.kind)
			b.SetStr(cCol, c.column)
			b.SetStr(cVal, v)
			b.SetStr(cTgt, c.target)
			b.Next()
		}
	}
	return b.Finish(), nil
}

// knownRefs says which values of ref are keys of target.targetCol. When the
// referencing column is much smaller than the target (cadres.person_id,
// ≈ 20k rows, against persons, millions), it hashes the references and scans
// the target once, instead of building a set of every target key: a small
// map that stays in cache instead of a large one built for a few lookups.
// Otherwise it uses the shared key set of the target (keys).
func knownRefs(ctx context.Context, ref *array.String, target *table.Table, targetName, targetCol string,
	keys func(tbl, col string) map[string]struct{}) (func(string) bool, error) {
	if target == nil {
		return func(string) bool { return false }, nil
	}
	if ref.Len()*4 >= target.Len() {
		s := keys(targetName, targetCol)
		return func(v string) bool { _, ok := s[v]; return ok }, nil
	}
	found := make(map[string]bool, ref.Len())
	for i := 0; i < ref.Len(); i++ {
		if ref.IsValid(i) {
			found[ref.Value(i)] = false
		}
	}
	a := target.Str(targetCol)
	for i := 0; i < a.Len(); i++ {
		if i&65535 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if a.IsValid(i) {
			if _, ok := found[a.Value(i)]; ok {
				found[a.Value(i)] = true
			}
		}
	}
	return func(v string) bool { return found[v] }, nil
}
