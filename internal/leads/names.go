package leads

import (
	"encoding/json"
	"unicode/utf8"
)

// namesJSON is json.MarshalIndent(names, "", "  ") and a newline, byte
// for byte, for names.json: the register's hundreds of thousands of
// distinct names went through reflection and a second, indenting pass over
// the output. A name encoding/json would escape (quotes, backslashes, HTML
// characters, control characters, U+2028/2029, invalid UTF-8) is still
// encoded by it.
func namesJSON(names []string) ([]byte, error) {
	if len(names) == 0 {
		return []byte("[]\n"), nil
	}
	size := 4
	for _, n := range names {
		size += len(n) + 6
	}
	b := make([]byte, 0, size)
	b = append(b, '[')
	for i, n := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, "\n  "...)
		if verbatimJSON(n) {
			b = append(b, '"')
			b = append(b, n...)
			b = append(b, '"')
			continue
		}
		q, err := json.Marshal(n)
		if err != nil {
			return nil, err
		}
		b = append(b, q...)
	}
	return append(b, "\n]\n"...), nil
}

// verbatimJSON says whether encoding/json writes s as it is between quotes.
func verbatimJSON(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || r == '\u2028' || r == '\u2029' {
			return false // invalid UTF-8 (or U+FFFD itself: either way, leave it to json)
		}
		i += size
	}
	return true
}
