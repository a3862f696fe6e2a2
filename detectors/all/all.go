// Package all links every detector into a binary or test: import it for
// its side effect. Each detector family adds one file here with a blank
// import of its package, so families never edit the same file.
package all
