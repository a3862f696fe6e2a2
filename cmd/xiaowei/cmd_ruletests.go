package main

import (
	"context"
	"fmt"
	"io"

	"github.com/neijiang/xiaowei/internal/ruletest"
)

func init() {
	register(command{name: "test", summary: "run rule unit test files through the real engine", run: cmdTest})
}

func cmdTest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("test", "[DIR|FILE...]  (default: rules; rules, overrides and tests are read from the same folders)", stdout)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	dirs := fs.Args()
	if len(dirs) == 0 {
		dirs = []string{"rules"}
	}
	set, errs, err := loadAndCheck(dirs)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		for _, e := range errs {
			fmt.Fprintln(stderr, e)
		}
		return badInput(fmt.Errorf("%d problem(s) in rule files", len(errs)))
	}
	passed, failed := ruletest.Report(stdout, ruletest.RunAll(ctx, set))
	fmt.Fprintf(stdout, "rules: %d passed, %d failed\n", passed, failed)
	if failed > 0 {
		return badInput(fmt.Errorf("%d rule test(s) failed", failed))
	}
	if passed == 0 {
		return badInput(fmt.Errorf("no rule tests found in %v", dirs))
	}
	return nil
}
