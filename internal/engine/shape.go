package engine

import (
	"fmt"

	"github.com/expr-lang/expr/file"
)

// Bounds on an expression's text, checked before expr's parser sees it.
// The parser recurses once per bracket, and a Go stack overflow is fatal
// (no recover catches it): a `when:` of hundreds of thousands of "(" would
// kill `xiaowei check`. Real rules are a few hundred bytes deep at most 5;
// these bounds leave ample room.
const (
	MaxExprBytes = 64 << 10 // 64 KiB of text
	MaxExprDepth = 64       // nesting of ( [ {
)

// checkShape refuses an expression that is too long or nested too deep,
// naming the position (1-based line, 0-based column, as expr reports) of
// the bracket that broke the depth bound, or the expression's start when
// it is too long. Brackets inside string literals do not
// count.
func checkShape(src string) error {
	if len(src) > MaxExprBytes {
		return &file.Error{Line: 1, Column: 0, Message: fmt.Sprintf("expression is %d bytes long; at most %d are allowed", len(src), MaxExprBytes)}
	}
	depth := 0
	var quote byte
	for i := 0; i < len(src); i++ {
		c := src[i]
		if quote != 0 {
			switch {
			case c == '\\' && quote != '`':
				i++ // skip the escaped byte
			case c == quote:
				quote = 0
			}
			continue
		}
		switch c {
		case '"', '\'', '`':
			quote = c
		case '(', '[', '{':
			depth++
			if depth > MaxExprDepth {
				line, col := lineCol(src, i)
				return &file.Error{Line: line, Column: col, Message: fmt.Sprintf("expression nested more than %d brackets deep", MaxExprDepth)}
			}
		case ')', ']', '}':
			if depth > 0 {
				depth--
			}
		}
	}
	return nil
}

// lineCol is the 1-based line and 0-based column (in characters) of byte
// offset off in src.
func lineCol(src string, off int) (line, col int) {
	line = 1
	for _, r := range src[:off] {
		if r == '\n' {
			line++
			col = 0
		} else {
			col++
		}
	}
	return line, col
}
