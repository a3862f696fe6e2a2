// Package rulefiles is the shipped rule set compiled into the binary, so a
// copied or `go install`ed xiaowei runs without the source tree. The rule
// parser reads it under the path prefix "builtin:" (internal/rules).
//
// The glob picks up every rule and test file added to this folder; there is
// no list to keep in step.
package rulefiles

import "embed"

// FS holds rules/*.yaml and rules/tests/*.yaml as they were at build time.
//
//go:embed *.yaml tests/*.yaml
var FS embed.FS
