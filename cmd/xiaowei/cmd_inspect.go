package main

import (
	"context"
	"errors"
	"io"

	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/source"
)

func init() {
	register(command{name: "inspect", summary: "show how a data file (xlsx, GBK/UTF-8 CSV, Parquet) is read: sheets, headers, mapping, types, samples, errors", run: cmdInspect})
}

func cmdInspect(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var mapping, tbl, sheet string
	var rows, errs int
	fs := newFlags("inspect", "FILE [--mapping sources.yaml] [--table T] [--sheet S] [--rules DIR]...", stdout)
	fs.StringVar(&mapping, "mapping", "", "source mapping to apply (default: built-in Chinese header aliases and value maps)")
	fs.StringVar(&tbl, "table", "", "contract table the file holds (default: from the mapping, else guessed from the header)")
	fs.StringVar(&sheet, "sheet", "", "xlsx sheet (default: from the mapping, else the first)")
	fs.IntVar(&rows, "rows", 3, "sample rows to show")
	fs.IntVar(&errs, "errors", 10, "rejected cells to show")
	var ruleDirs multiFlag
	fs.Var(&ruleDirs, "rules", "rule folders whose declared tables (tables:) the file may hold (repeatable; the shipped rule set is always read)")
	unmasked := fs.Bool("unmasked", false, "show ID numbers, names and accounts in sample rows and rejects in full (authorised readers only)")
	// Accept flags after FILE too: xiaowei inspect a.xlsx --mapping m.yaml.
	var file string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		file, args = args[0], args[1:]
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if file == "" && fs.NArg() > 0 {
		file = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return badInput(errors.New("inspect takes one FILE"))
	}
	if file == "" {
		return badInput(errors.New("inspect needs a FILE (xlsx, CSV or Parquet)"))
	}
	// A mapping or --table may name the tables rule files declare.
	if err := declareTables(append([]string{rules.Builtin}, ruleDirs...)); err != nil {
		return badInput(err)
	}
	o := source.InspectOptions{Table: tbl, Sheet: sheet, Rows: rows, Errors: errs, Unmasked: *unmasked}
	if mapping != "" {
		m, err := source.ReadMapping(mapping)
		if err != nil {
			return badInput(err)
		}
		o.Mapping = m
	}
	if err := source.Inspect(ctx, stdout, file, o); err != nil {
		if errors.Is(err, source.ErrFormat) {
			return badInput(err)
		}
		return err
	}
	return nil
}
