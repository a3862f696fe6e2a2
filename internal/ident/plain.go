package ident

import (
	"bytes"
	"encoding/binary"
)

// plain[k][c] is true when byte c can appear in a value already normal for
// kind k without looking further: printable ASCII other than space, except
// x for person ids and - for accounts.
var plain = func() (t [4][256]bool) {
	for k := range t {
		for c := '!'; c <= '~'; c++ {
			t[k][c] = true
		}
	}
	t[Person]['x'] = false
	t[Account]['-'] = false
	return t
}()

// PlainBytes says whether every value whose bytes all lie in b is already
// normal for k: true when b holds only printable ASCII (no space), no x for
// person ids and no - for accounts. The run checks a whole Arrow string
// column's value buffer with it and skips the per-value pass when true,
// which is the case for almost every id column.
func PlainBytes(b []byte, k Kind) bool {
	// eight bytes at a time: any byte with the high bit (non-ASCII) or
	// below '!' (space, control) fails; DEL and the kind's own bytes are
	// found with IndexByte (vectorised)
	// (32 bytes a round, one branch: the bad bits of four words are
	// or-ed together)
	const highs, bang = 0x8080808080808080, 0x21 * 0x0101010101010101
	bad := func(w uint64) uint64 { return (w | (w - bang)) & highs }
	i := 0
	for ; i+32 <= len(b); i += 32 {
		c := b[i : i+32 : i+32]
		if bad(binary.LittleEndian.Uint64(c))|bad(binary.LittleEndian.Uint64(c[8:]))|
			bad(binary.LittleEndian.Uint64(c[16:]))|bad(binary.LittleEndian.Uint64(c[24:])) != 0 {
			return false
		}
	}
	for ; i+8 <= len(b); i += 8 {
		if bad(binary.LittleEndian.Uint64(b[i:])) != 0 {
			return false
		}
	}
	p := &plain[k]
	for _, c := range b[i:] {
		if !p[c] && c != 'x' && c != '-' {
			return false
		}
	}
	if bytes.IndexByte(b, 0x7F) >= 0 {
		return false
	}
	switch k {
	case Person:
		return bytes.IndexByte(b, 'x') < 0
	case Account:
		return bytes.IndexByte(b, '-') < 0
	}
	return true
}

// Plain says whether the one value b is already normal for k: PlainBytes,
// and for person ids not a 15-digit ID number (normal only as Upgrade15).
func Plain(b []byte, k Kind) bool {
	return PlainBytes(b, k) && (k != Person || !upgradable(b))
}

// PlainColumn is PlainBytes for a whole string column given its value
// bytes and offsets (len+1 entries, as Arrow keeps them): for person ids it
// also looks at each 15-byte value, since a plain 15-digit ID number is
// not normal (Upgrade15). Lengths come from the offsets, so the column is
// not read value by value unless one has 15 bytes.
func PlainColumn(b []byte, offsets []int32, k Kind) bool {
	if k == Name {
		return plainNames(b, offsets)
	}
	if !PlainBytes(b, k) {
		return false
	}
	if k != Person || len(offsets) == 0 {
		return true
	}
	base := offsets[0]
	for i := 1; i < len(offsets); i++ {
		if offsets[i]-offsets[i-1] == 15 && upgradable(b[offsets[i-1]-base:offsets[i]-base]) {
			return false
		}
	}
	return true
}

// plainNames is PlainColumn for names, whose bytes are mostly not ASCII:
// true when the bytes are only what clean leaves alone without NFKC's
// check — printable ASCII, CJK unified ideographs (U+4E00–U+9FFF, UTF-8
// E4 B8 80 to E9 BF BF) and the middle dot (C2 B7) — and every value
// starts on a character (so each value is whole characters, as the buffer
// is). One pass for the register's millions of names, where the values
// one by one cost a UTF-8 decode each.
func plainNames(b []byte, offsets []int32) bool {
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c > ' ' && c < 0x7F:
			i++
		case c >= 0xE4 && c <= 0xE9 && i+2 < len(b) && b[i+1]&0xC0 == 0x80 && b[i+2]&0xC0 == 0x80 && (c != 0xE4 || b[i+1] >= 0xB8):
			i += 3
		case c == 0xC2 && i+1 < len(b) && b[i+1] == 0xB7:
			i += 2
		default:
			return false
		}
	}
	if len(offsets) == 0 {
		return true
	}
	base := offsets[0]
	for _, o := range offsets[1:] {
		if int(o-base) < len(b) && b[o-base]&0xC0 == 0x80 {
			return false // a value starts inside a character
		}
	}
	return true
}
