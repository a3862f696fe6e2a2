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

func cmdCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("check", "[DIR|FILE...]  (default: rules)", stdout)
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
