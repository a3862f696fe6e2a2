package main

import (
	"os"

	"github.com/neijiang/xiaowei/internal/rules"
)

// declareTables reads the rule folders for their declared tables (tables:
// blocks), so that a mapping, a dataset folder or an import knows them
// before any data is read. Problems in the rule files are not reported
// here: the run (or `xiaowei check`) reports them all at file:line:col. A
// default folder that does not exist declares nothing.
func declareTables(dirs []string, explicit bool) {
	var keep []string
	for _, d := range dirs {
		if _, err := os.Stat(d); err == nil || explicit {
			keep = append(keep, d)
		}
	}
	if len(keep) > 0 {
		_, _ = rules.LoadDirs(keep) // declares as a side effect; errors surface later
	}
}
