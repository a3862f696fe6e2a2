package views

import (
	"encoding/binary"
	"strings"
	"testing"
)

// TestStringOfKey checks that the string a one-string key encodes comes
// back out of its encoding (the lookup's sieve holds it), and that an
// encoding of something else comes back whole.
func TestStringOfKey(t *testing.T) {
	long := strings.Repeat("L511002101204000217", 10) // a length of two varint bytes
	for _, s := range []string{"", "x", "511002195912060011", long} {
		enc := string(binary.AppendUvarint(nil, uint64(len(s)))) + s
		if got := stringOfKey(enc); got != s {
			t.Errorf("stringOfKey(encoding of %q) = %q", s, got)
		}
	}
	for _, enc := range []string{
		string(binary.LittleEndian.AppendUint64(nil, 42)), // an int64 key
		"\x05abc", // a length that is not the rest's
		"",
	} {
		if got := stringOfKey(enc); got != enc {
			t.Errorf("stringOfKey(%q) = %q, want it whole", enc, got)
		}
	}
}
