package service

import (
	"flag"
	"testing"

	"github.com/neijiang/xiaowei/internal/yamlpos/goldentest"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/*.bad.yaml.golden from ParseConfig's output (review the diff!)")

// Every problem in a serve config is reported at its file:line:col, in
// the same style as rule and campaign files.
func TestBadConfigsGolden(t *testing.T) {
	t.Setenv("DATABASE_URL", "") // "no database" must not depend on the environment
	goldentest.Run(t, *updateGolden, func(file string) error {
		_, err := LoadConfig(file)
		return err
	})
}
