package views

import (
	"encoding/binary"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/neijiang/xiaowei/internal/table"
)

// keyer encodes a row's key columns into one reusable byte buffer, so rows
// are grouped and joined through a map[string]int32 without allocating per
// row (a lookup with m[string(buf)] does not copy). An a|b key takes the
// first non-null of a and b; a row whose key part is null in all its
// columns has no key (it joins nothing and is in no group).
type keyer struct {
	parts [][]arrow.Array
	buf   []byte
}

func newKeyer(t *table.Table, keys [][]int) *keyer {
	k := &keyer{}
	for _, ii := range keys {
		var arrs []arrow.Array
		for _, i := range ii {
			arrs = append(arrs, t.Rec.Column(i))
		}
		k.parts = append(k.parts, arrs)
	}
	return k
}

// key returns row i's key bytes (valid until the next call) and false when
// a part is null.
func (k *keyer) key(i int) ([]byte, bool) {
	b := k.buf[:0]
	for _, arrs := range k.parts {
		found := false
		for _, a := range arrs {
			if a.IsNull(i) {
				continue
			}
			found = true
			switch x := a.(type) {
			case *array.String:
				s := x.Value(i)
				b = binary.AppendUvarint(b, uint64(len(s)))
				b = append(b, s...)
			case *array.Int64:
				b = binary.LittleEndian.AppendUint64(b, uint64(x.Value(i)))
			case *array.Date32:
				b = binary.LittleEndian.AppendUint32(b, uint32(x.Value(i)))
			case *array.Boolean:
				if x.Value(i) {
					b = append(b, 1)
				} else {
					b = append(b, 0)
				}
			}
			break
		}
		if !found {
			k.buf = b
			return nil, false
		}
	}
	k.buf = b
	return b, true
}

// oneString returns the key's column when the key is one string column
// with no alternative (a|b): its key is then the value, encoded.
func (k *keyer) oneString() (*array.String, bool) {
	if len(k.parts) != 1 || len(k.parts[0]) != 1 {
		return nil, false
	}
	s, ok := k.parts[0][0].(*array.String)
	return s, ok
}

// stringOfKey is the string a one-string key encodes (the encoding itself
// when it is not one: a key of another table whose column differs in
// type, which then matches no string key anyway).
func stringOfKey(enc string) string {
	n, w := binary.Uvarint([]byte(enc))
	if w <= 0 || n != uint64(len(enc)-w) {
		return enc
	}
	return enc[w:]
}

// groups assigns every row of t a dense group number by its key (-1 for
// rows without a key), in order of first appearance.
func groups(t *table.Table, keys [][]int) (ids []int32, first []int32) {
	ids, first, _ = keySlots(t, keys)
	return ids, first
}

// keySlots is groups with the index it builds: each key's encoding (as
// newKeyer makes it) to its group number, for probing with another table's
// keys.
func keySlots(t *table.Table, keys [][]int) (ids []int32, first []int32, m map[string]int32) {
	n := t.Len()
	ids = make([]int32, n)
	k := newKeyer(t, keys)
	m = make(map[string]int32)
	for i := 0; i < n; i++ {
		b, ok := k.key(i)
		if !ok {
			ids[i] = -1
			continue
		}
		g, seen := m[string(b)]
		if !seen {
			g = int32(len(first))
			m[string(b)] = g
			first = append(first, int32(i))
		}
		ids[i] = g
	}
	return ids, first, m
}
