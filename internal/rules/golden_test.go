package rules

import (
	"flag"
	"testing"

	"github.com/neijiang/xiaowei/internal/yamlpos/goldentest"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/*.bad.yaml.golden from the parser's output (review the diff!)")

// Every testdata/*.bad.yaml file must fail to load with exactly the errors in
// its .golden file, one `file:line:col: message` a line, in order — the
// same text `xiaowei check` prints for parse errors.
func TestBadFilesGolden(t *testing.T) {
	goldentest.Run(t, *updateGolden, func(file string) error {
		_, err := LoadDirs([]string{file})
		return err
	})
}
