package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateCheckGolden = flag.Bool("update-check", false, "rewrite testdata/check/*.golden from `xiaowei check`'s output (review the diff!)")

// What `xiaowei check` says about each testdata/check/*.bad.yaml, checked
// together with the shipped rules (so an override can name a shipped rule):
// exactly the lines of its .golden file, each `file:line:col: message`.
// These are the errors that need the engine — expressions, columns of the
// view, types, unknown views, overrides — where internal/rules/testdata
// holds the parse errors.
func TestCheckGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/check/*.bad.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/check/*.bad.yaml files (%v)", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".bad.yaml"), func(t *testing.T) {
			_, errs, err := loadAndCheck([]string{"../../rules", f})
			if err != nil {
				t.Fatal(err)
			}
			if len(errs) == 0 {
				t.Fatalf("%s passed check; a .bad.yaml file must fail", f)
			}
			var b strings.Builder
			for _, e := range errs {
				if e.Pos.File != f {
					t.Errorf("error outside the bad file (shipped rules must be clean): %v", e)
				}
				b.WriteString(e.Error() + "\n")
			}
			got := b.String()
			golden := f + ".golden"
			if *updateCheckGolden {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update-check to create it, then review it)", err)
			}
			if got != string(want) {
				t.Errorf("check output differs from %s:\n--- got\n%s--- want\n%s", golden, got, want)
			}
		})
	}
}
