package rules

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/*.bad.yaml.golden from the parser's output (review the diff!)")

// Every testdata/*.bad.yaml file must fail to load with exactly the errors in
// its .golden file, one `file:line:col: message` a line, in order — the
// same text `xiaowei check` prints. Adding a parse error case is adding a
// file and running with -update.
func TestBadFilesGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.bad.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/*.bad.yaml files")
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".bad.yaml"), func(t *testing.T) {
			_, err := LoadDirs([]string{f})
			if err == nil {
				t.Fatalf("%s loaded without error; a .bad.yaml file must fail", f)
			}
			got := err.Error() + "\n"
			golden := f + ".golden"
			if *updateGolden {
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
				if !strings.HasPrefix(line, f+":") {
					t.Errorf("error without file:line:col: %q", line)
				}
			}
		})
	}
}
