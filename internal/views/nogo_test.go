package views_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestPowerItemNeedsNoGo: the shipped power-list item (rules/major.yaml)
// is configuration only: no Go file outside tests names its tables or
// rules (the check: grep -rnE
// '"(decisions|contracts|contract_payments)"|MAJ-|PRJ-' --include='*.go').
func TestPowerItemNeedsNoGo(t *testing.T) {
	re := regexp.MustCompile(`"(decisions|contracts|contract_payments)"|MAJ-|PRJ-`)
	root := filepath.Join("..", "..")
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "fixtures") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		checked++
		for i, line := range strings.Split(string(b), "\n") {
			if re.MatchString(line) {
				t.Errorf("%s:%d names the major item: %s", path, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("checked only %d Go files", checked)
	}
}
