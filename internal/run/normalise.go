package run

import (
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/ident"
	"github.com/neijiang/xiaowei/internal/table"
)

// identKind says whether and how a contract column is normalised: every id
// column (matching is by id everywhere) and the register's names.
func identKind(tbl string, c contract.Column) (ident.Kind, bool) {
	switch {
	case c.Kind == contract.ID:
		return ident.ColumnKind(c.Name), true
	case tbl == "persons" && c.Name == "name":
		return ident.Name, true
	}
	return 0, false
}

// normaliseTables puts every identifier into its normal form (package
// ident) before any detector reads the tables, so that every check matches
// on one form whatever the source (CSV, Parquet, a mapped export,
// PostgreSQL), and returns each altered value for the data-quality view
// altered_values. It runs before scoping, so a village or case id with an
// invisible character is scoped like its normal form (Pipeline then drops
// the changes of villages outside a campaign). A table with no altered
// value is kept as is (no copy); a replaced table that the caller does not
// own is released.
func normaliseTables(tables, owned map[string]*table.Table, mem memory.Allocator) ([]ident.Change, error) {
	var changes []ident.Change
	for _, spec := range contract.All() { // declared tables too: their ids join like any other
		t := tables[spec.Name]
		if t == nil {
			continue
		}
		tableFirst := len(changes)
		var cols []arrow.Array // replacement columns, nil until one changes
		for _, c := range spec.Columns {
			k, ok := identKind(spec.Name, c)
			if !ok || !t.Has(c.Name) {
				continue
			}
			j := t.Index(c.Name)
			arr, ok := t.Rec.Column(j).(*array.String)
			if !ok {
				return nil, fmt.Errorf("normalise %s.%s: not a string column", spec.Name, c.Name)
			}
			if ident.PlainColumn(arr.ValueBytes(), arr.ValueOffsets(), k) {
				continue // one pass over the bytes (and lengths): nothing to normalise
			}
			first := len(changes)
			for i := 0; i < arr.Len(); i++ {
				if arr.IsNull(i) {
					continue
				}
				v := arr.Value(i)
				if n, changed := ident.Normalize(v, k); changed {
					up := k == ident.Person && len(n) == 18 && ident.Upgraded(v)
					changes = append(changes, ident.Change{Table: spec.Name, Column: c.Name, Kind: k, Row: i, Original: strings.Clone(v), Normalised: n, Upgraded: up})
				}
			}
			if len(changes) == first {
				continue
			}
			if cols == nil {
				cols = make([]arrow.Array, t.Rec.NumCols())
				for x := range cols {
					cols[x] = t.Rec.Column(x)
				}
			}
			cols[j] = rebuild(arr, changes[first:], mem)
		}
		if cols == nil {
			continue
		}
		rec := array.NewRecordBatch(t.Rec.Schema(), cols, t.Rec.NumRows())
		for x, a := range cols {
			if a != t.Rec.Column(x) {
				a.Release() // the record holds its own reference
			}
		}
		if t != owned[spec.Name] {
			t.Release()
		}
		nt := table.New(t.Name, t.Cols, rec)
		tables[spec.Name] = nt
		markDuplicates(changes[tableFirst:], nt, spec.Key)
	}
	locate(changes, tables)
	markMixed(changes, tables)
	return changes, nil
}

// markMixed flags the 15-to-18-digit upgrades whose person is also written
// in the 18-digit form: in the normalised person columns the 18-digit value
// occurs more often than it was upgraded. Mixed forms of one person across
// an export are the tampering signal (an old-form relative in the register
// and the new form in the payments escaped the kin checks); an all-15-digit
// register is not. Only runs with an upgrade pay for the scan.
func markMixed(changes []ident.Change, tables map[string]*table.Table) {
	upgrades := map[string]int{} // normal form -> rows upgraded to it
	for _, c := range changes {
		if c.Upgraded {
			upgrades[c.Normalised]++
		}
	}
	if len(upgrades) == 0 {
		return
	}
	seen := make(map[string]int, len(upgrades))
	for _, spec := range contract.All() {
		t := tables[spec.Name]
		if t == nil {
			continue
		}
		for _, c := range spec.Columns {
			if k, ok := identKind(spec.Name, c); !ok || k != ident.Person || !t.Has(c.Name) {
				continue
			}
			a := t.Str(c.Name)
			for i := 0; i < a.Len(); i++ {
				if a.IsValid(i) && a.ValueLen(i) == 18 {
					if _, ok := upgrades[a.Value(i)]; ok {
						seen[a.Value(i)]++
					}
				}
			}
		}
	}
	for x := range changes {
		if c := &changes[x]; c.Upgraded && seen[c.Normalised] > upgrades[c.Normalised] {
			c.Mixed = true
		}
	}
}

// markDuplicates flags the changes to a key column whose row, in normal
// form, has the key of another row. Built only for tables with such a
// change, so a clean dataset pays nothing; a one-column key (all but
// beneficiaries') is read from Arrow without copying.
func markDuplicates(changes []ident.Change, t *table.Table, key []string) {
	inKey := false
	for _, c := range changes {
		if slices.Contains(key, c.Column) {
			inKey = true
		}
	}
	if !inKey {
		return
	}
	cols := make([]*array.String, len(key))
	for k, name := range key {
		cols[k] = t.Str(name)
	}
	var b strings.Builder
	keyOf := func(i int) string {
		if len(cols) == 1 {
			return cols[0].Value(i)
		}
		b.Reset()
		for _, a := range cols {
			b.WriteString(a.Value(i))
			b.WriteByte(0)
		}
		return b.String()
	}
	count := make(map[string]int, t.Len())
	for i := 0; i < t.Len(); i++ {
		count[keyOf(i)]++
	}
	for x := range changes {
		if slices.Contains(key, changes[x].Column) && count[keyOf(changes[x].Row)] > 1 {
			changes[x].Duplicate = true
		}
	}
}

// subjectKey is the column that names a row of each table as a subject.
var subjectKey = map[string][2]string{
	"villages": {"village:", "village_id"}, "persons": {"person:", "person_id"}, "kinship": {"person:", "person_id"},
	"cadres": {"person:", "person_id"}, "beneficiaries": {"case:", "case_id"}, "payments": {"payment:", "payment_id"},
	"ledger": {"entry:", "entry_id"}, "disclosures": {"disclosure:", "disclosure_id"},
}

// locate fills each change's subject and village from the normalised
// tables: a payment's village is its case's, a kinship row's its person's.
func locate(changes []ident.Change, tables map[string]*table.Table) {
	var caseVillage, personVillage map[string]string
	lookup := func(tbl, key string) map[string]string {
		m := map[string]string{}
		if t := tables[tbl]; t != nil {
			k, v := t.Str(key), t.Str("village_id")
			for i := 0; i < t.Len(); i++ {
				if k.IsValid(i) && v.IsValid(i) {
					if _, seen := m[k.Value(i)]; !seen {
						m[k.Value(i)] = v.Value(i)
					}
				}
			}
		}
		return m
	}
	for x := range changes {
		c := &changes[x]
		t := tables[c.Table]
		switch {
		case t.Has("village_id"):
			if a := t.Str("village_id"); a.IsValid(c.Row) {
				c.VillageID = a.Value(c.Row)
			}
		case c.Table == "payments":
			if caseVillage == nil {
				caseVillage = lookup("beneficiaries", "case_id")
			}
			c.VillageID = caseVillage[t.Str("case_id").Value(c.Row)]
		case c.Table == "kinship":
			if personVillage == nil {
				personVillage = lookup("persons", "person_id")
			}
			c.VillageID = personVillage[t.Str("person_id").Value(c.Row)]
		}
		sk := subjectKey[c.Table]
		c.Subject = sk[0] + t.Str(sk[1]).Value(c.Row)
	}
}

// inScope keeps the changes of rows in the run's campaign scope: a change
// whose village the full villages table knows but the scoped one does not
// belongs to another campaign. Changes of unknown villages are kept (the
// row is reported wherever it turns up, as DQ-UNKNOWN-VILLAGE does).
func inScope(changes []ident.Change, all, scoped *table.Table) []ident.Change {
	if all == nil || scoped == nil || all == scoped {
		return changes
	}
	known := func(t *table.Table) map[string]bool {
		m := map[string]bool{}
		a := t.Str("village_id")
		for i := 0; i < t.Len(); i++ {
			if a.IsValid(i) {
				m[a.Value(i)] = true
			}
		}
		return m
	}
	everywhere, here := known(all), known(scoped)
	kept := changes[:0:0]
	for _, c := range changes {
		if here[c.VillageID] || !everywhere[c.VillageID] {
			kept = append(kept, c)
		}
	}
	return kept
}

// rebuild copies a string column with the changed rows (in row order)
// replaced by their normal form.
func rebuild(arr *array.String, changed []ident.Change, mem memory.Allocator) arrow.Array {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Reserve(arr.Len())
	b.ReserveData(len(arr.ValueBytes()))
	next := 0
	for i := 0; i < arr.Len(); i++ {
		switch {
		case next < len(changed) && changed[next].Row == i:
			b.Append(changed[next].Normalised)
			next++
		case arr.IsNull(i):
			b.AppendNull()
		default:
			b.Append(arr.Value(i))
		}
	}
	return b.NewArray()
}
