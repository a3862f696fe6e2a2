// Package goldentest checks a reader's errors against golden files, the
// way internal/rules and cmd/xiaowei check theirs: every
// testdata/*.bad.yaml must fail with exactly the lines of its .golden
// file, each `file:line:col: message`. Adding a case is adding a file and
// running the test with -update, then reviewing the diff.
package goldentest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var positioned = regexp.MustCompile(`^[^:]+:\d+:\d+: \S`)

// Run loads each testdata/*.bad.yaml with load and compares the error text
// with the .golden file beside it (rewriting it when update is set).
func Run(t *testing.T, update bool, load func(file string) error) {
	t.Helper()
	files, err := filepath.Glob("testdata/*.bad.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/*.bad.yaml files")
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".bad.yaml"), func(t *testing.T) {
			err := load(f)
			if err == nil {
				t.Fatalf("%s loaded without error; a .bad.yaml file must fail", f)
			}
			got := err.Error() + "\n"
			golden := f + ".golden"
			if update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it, then review it)", err)
			}
			if got != string(want) {
				t.Errorf("errors differ from %s:\n--- got\n%s--- want\n%s", golden, got, want)
			}
			for _, line := range strings.Split(strings.TrimSpace(got), "\n") {
				if !strings.HasPrefix(line, f+":") || !positioned.MatchString(line) {
					t.Errorf("error without file:line:col: %q", line)
				}
			}
		})
	}
}
