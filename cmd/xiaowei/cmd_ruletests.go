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
	set, dirs, err := checkedRuleDirs("test", "[--builtin-rules=false] [DIR|FILE...]  (default: the shipped rules and their tests; folders add rules, overrides and tests)", args, stdout, stderr)
	if err != nil {
		return err
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
