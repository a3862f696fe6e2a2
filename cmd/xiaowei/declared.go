package main

import (
	"fmt"

	"github.com/neijiang/xiaowei/internal/rules"
)

// declareTables reads the rule files (the shipped set and the given
// folders) for their declared tables (tables: blocks), so that a mapping,
// a dataset folder or an import knows them before any data is read. A rule
// file with a problem declares nothing: the error says which file, line and
// column (run reports it with the others; import and inspect stop on it).
func declareTables(dirs []string) error {
	if len(dirs) == 0 {
		return nil
	}
	if _, err := rules.LoadDirs(dirs); err != nil {
		return fmt.Errorf("rule files (for their declared tables): %w", err)
	}
	return nil
}
