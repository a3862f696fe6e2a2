package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/neijiang/xiaowei/internal/rules"
)

func init() {
	register(command{name: "rules", summary: "export the rule set shipped in the binary (rules export DIR)", run: cmdRules})
}

// cmdRules is `xiaowei rules export DIR`: it writes the shipped rule and
// test files out for editing. An edited copy replaces the shipped set with
// --builtin-rules=false --rules DIR; an unedited one is the same set.
func cmdRules(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "export" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(stdout, "usage: xiaowei rules export [--force] DIR")
			return errHelp
		}
		return badInput(errors.New("usage: xiaowei rules export [--force] DIR"))
	}
	fs := newFlags("rules export", "[--force] DIR", stdout)
	force := fs.Bool("force", false, "overwrite files that already exist in DIR")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return badInput(errors.New("rules export: want exactly one folder"))
	}
	dir := fs.Arg(0)
	files, err := rules.BuiltinFiles()
	if err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	if !*force {
		// Check them all first: an export never stops half-way over a
		// folder someone has edited.
		for _, n := range names {
			p := filepath.Join(dir, filepath.FromSlash(n))
			if _, err := os.Lstat(p); err == nil {
				return badInput(fmt.Errorf("%s exists: pass --force to overwrite it, or export into an empty folder", p))
			}
		}
	}
	for _, n := range names {
		p := filepath.Join(dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("rules export: %w", err)
		}
		if err := os.WriteFile(p, files[n], 0o644); err != nil {
			return fmt.Errorf("rules export: %w", err)
		}
	}
	fmt.Fprintf(stdout, "wrote %d shipped rule and test files to %s\n", len(names), dir)
	return nil
}
