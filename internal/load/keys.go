package load

import (
	"hash/maphash"
	"math"
	"strings"
)

type keyRef struct{ row, line uint32 }

// keyValue returns a key column's value for an accepted row (global index).
func (l *loader) keyValue(c *column, row int) string {
	if row < l.base {
		return c.sb.Value(row)
	}
	return c.str[l.kept[row-l.base]]
}

// checkKey reports whether staged row i repeats an accepted key, and if
// not, records it as the key's first row. A 64-bit hash indexes the keys;
// hits are verified against the stored values so a collision can never
// reject a good row.
func (l *loader) checkKey(i int) (first keyRef, dup bool) {
	var h uint64
	if len(l.keyCols) == 1 {
		h = maphash.String(l.seed, l.keyCols[0].str[i])
	} else {
		var mh maphash.Hash
		mh.SetSeed(l.seed)
		for _, c := range l.keyCols {
			mh.WriteString(c.str[i])
			mh.WriteByte(0)
		}
		h = mh.Sum64()
	}
	ref := keyRef{row: uint32(l.base + len(l.kept)), line: uint32(min(l.lines[i], math.MaxUint32))}
	prev, ok := l.keys.lookup(h, ref)
	if !ok {
		return ref, false
	}
	same := true
	for _, c := range l.keyCols {
		if l.keyValue(c, int(prev.row)) != c.str[i] {
			same = false
			break
		}
	}
	if same {
		return prev, true
	}
	// A true hash collision: fall back to exact string keys for this hash.
	if l.overflow == nil {
		l.overflow = map[string]keyRef{}
	}
	k := joinKey(l.keyCols, l.keyCell(i))
	if prev, ok := l.overflow[k]; ok {
		return prev, true
	}
	l.overflow[k] = ref
	return ref, false
}

// keyCell gives key column j's cell of staged row i.
func (l *loader) keyCell(i int) func(j int) string {
	return func(j int) string { return l.keyCols[j].str[i] }
}

// joinKey, keyValues and describeKey show one row's key, cell(j) being
// key column j's (cols[j]) cell; shared by the per-cell and native paths.

// joinKey is the row's key as one exact map key.
func joinKey(cols []*column, cell func(j int) string) string {
	var sb strings.Builder
	for j := range cols {
		sb.WriteString(cell(j))
		sb.WriteByte(0)
	}
	return sb.String()
}

// keyValues is the key cells joined by commas, for a reject's value.
func keyValues(cols []*column, cell func(j int) string) string {
	vals := make([]string, len(cols))
	for j := range cols {
		vals[j] = cell(j)
	}
	return strings.Join(vals, ",")
}

// describeKey is "name=value, ..." for a reject's reason.
func describeKey(cols []*column, cell func(j int) string) string {
	var sb strings.Builder
	for j, c := range cols {
		if j > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(c.name)
		sb.WriteByte('=')
		sb.WriteString(cell(j))
	}
	return sb.String()
}
