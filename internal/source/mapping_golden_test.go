package source

import (
	"flag"
	"os"
	"testing"

	"github.com/neijiang/xiaowei/internal/yamlpos/goldentest"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/*.bad.yaml.golden from ParseMapping's output (review the diff!)")

// Every mistake in a mapping file is reported at its file:line:col, in the
// same style as rule, campaign and serve config files (-update-golden
// rewrites them; -update is taken by the export fixture).
func TestBadMappingsGolden(t *testing.T) {
	goldentest.Run(t, *updateGolden, func(file string) error {
		src, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		_, err = ParseMapping(file, src)
		return err
	})
}
