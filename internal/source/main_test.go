package source

import (
	"fmt"
	"os"
	"testing"

	"github.com/neijiang/xiaowei/internal/rules"
)

// TestMain declares the tables of the shipped rule files, as the commands
// do before they read a mapping: fixtures/shizhong-export maps the major
// item's tables (rules/major.yaml).
func TestMain(m *testing.M) {
	if _, err := rules.LoadDirs([]string{"../../rules"}); err != nil {
		fmt.Fprintln(os.Stderr, "rules:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}
