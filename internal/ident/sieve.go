package ident

import "math/bits"

// Sieve rules out, with one cheap hash and one bit test, most strings that
// are not in a small set, so a scan of millions of rows (the register, the
// ledger) that looks for the few thousand keys of a set (cadres, contract
// payments) probes its map only for the rows that may match. A Sieve has no
// false negatives: Has is true for every added key; it is also true for
// about 1 in 64 other keys, which the caller's map then turns away.
//
// The hash reads the first, middle and last 8 bytes of a key (all of it up
// to 24 bytes): the ids of this domain (18-digit ID numbers, village codes
// with a sequence number) differ in their tail and their middle, and their
// common prefix (the county's code) costs nothing.
type Sieve struct {
	words []uint64
	shift uint // 64 - log2(bits): the hash's top bits index the bitset
}

// NewSieve makes a Sieve for about n keys: 64 bits per key, at least 64.
func NewSieve(n int) *Sieve {
	size := 64
	for size < n*64 {
		size *= 2
	}
	return &Sieve{words: make([]uint64, size/64), shift: uint(64 - bits.TrailingZeros(uint(size)))}
}

// Add puts key in the set.
func (s *Sieve) Add(key string) { s.set(sieveHash(key) >> s.shift) }

// AddBytes is Add for a key held in a byte buffer.
func (s *Sieve) AddBytes(key []byte) { s.set(sieveHash(key) >> s.shift) }

// Has is false when key was never added, and true for every added key.
func (s *Sieve) Has(key string) bool { return s.test(sieveHash(key) >> s.shift) }

// HasBytes is Has for a key held in a byte buffer.
func (s *Sieve) HasBytes(key []byte) bool { return s.test(sieveHash(key) >> s.shift) }

func (s *Sieve) set(h uint64)       { s.words[h/64] |= 1 << (h % 64) }
func (s *Sieve) test(h uint64) bool { return s.words[h/64]&(1<<(h%64)) != 0 }

// sieveHash mixes the first, middle and last 8 bytes of k with its length
// (shorter keys: its bytes).
func sieveHash[K ~string | ~[]byte](k K) uint64 {
	n := len(k)
	var a, b, c uint64
	if n >= 8 {
		m := n/2 - 4
		a, b, c = le64(k, 0), le64(k, n-8), le64(k, m)
	} else {
		for i := 0; i < n; i++ {
			a = a<<8 | uint64(k[i])
		}
	}
	h := a*0x9E3779B97F4A7C15 ^ bits.RotateLeft64(b*0xC2B2AE3D27D4EB4F, 31) ^ bits.RotateLeft64(c*0x165667B19E3779F9, 17) ^ uint64(n)
	h ^= h >> 32
	return h * 0x9E3779B97F4A7C15
}

// le64 is the little-endian word at k[i:i+8].
func le64[K ~string | ~[]byte](k K, i int) uint64 {
	k = k[i : i+8]
	return uint64(k[0]) | uint64(k[1])<<8 | uint64(k[2])<<16 | uint64(k[3])<<24 |
		uint64(k[4])<<32 | uint64(k[5])<<40 | uint64(k[6])<<48 | uint64(k[7])<<56
}
