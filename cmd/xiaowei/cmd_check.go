package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/rules"
)

func init() {
	register(command{name: "check", summary: "validate rule and override files", run: cmdCheck})
}

// loadAndCheck parses and compiles rule folders, returning every problem.
func loadAndCheck(dirs []string) (*rules.Set, rules.Errors, error) {
	set, err := rules.LoadDirs(dirs)
	var errs rules.Errors
	if err != nil {
		if !errors.As(err, &errs) {
			return nil, nil, err
		}
	}
	errs = append(errs, engine.Check(set)...)
	errs.Sort()
	return set, errs, nil
}

// checkedRuleDirs parses the command's folder arguments (added to the
// shipped rules unless --builtin-rules=false) and loads and checks them; every problem is printed to stderr and makes
// a usage error (exit 2).
func checkedRuleDirs(name, synopsis string, args []string, stdout, stderr io.Writer) (*rules.Set, []string, error) {
	fs := newFlags(name, synopsis, stdout)
	var builtin bool
	builtinFlag(fs, &builtin)
	if err := parseFlags(fs, args); err != nil {
		return nil, nil, err
	}
	dirs, err := ruleDirs(fs.Args(), builtin)
	if err != nil {
		return nil, nil, err
	}
	set, errs, err := loadAndCheck(dirs)
	if err != nil {
		return nil, nil, err
	}
	if len(errs) > 0 {
		for _, e := range errs {
			fmt.Fprintln(stderr, e)
		}
		return nil, nil, badInput(fmt.Errorf("%d problem(s) in rule files", len(errs)))
	}
	return set, dirs, nil
}

func cmdCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	set, _, err := checkedRuleDirs("check", "[--builtin-rules=false] [DIR|FILE...]  (default: the shipped rules)", args, stdout, stderr)
	if err != nil {
		return err
	}
	nOv := 0
	for _, f := range set.Overrides {
		nOv += len(f.Overrides)
	}
	nTests := 0
	for _, t := range set.Tests {
		nTests += len(t.Cases)
	}
	fmt.Fprintf(stdout, "ok: %d rules in %d files, %d override blocks, %d rule tests\n", len(set.Rules()), len(set.Files), nOv, nTests)
	return nil
}
