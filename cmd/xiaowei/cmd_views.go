package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/rules"
)

func init() {
	register(command{name: "views", summary: "list the tables and detector views rules can read, with their columns and settings", run: cmdViews})
}

func cmdViews(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("views", "[--rules DIR]...", stdout)
	var ruleDirs multiFlag
	fs.Var(&ruleDirs, "rules", "rule folders whose declared tables and views are listed too (repeatable; default ./rules when it exists)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	dirs := []string(ruleDirs)
	if len(dirs) == 0 {
		if _, err := os.Stat("rules"); err == nil {
			dirs = []string{"rules"}
		}
	}
	var declared []engine.Detector
	if len(dirs) > 0 {
		set, err := rules.LoadDirs(dirs)
		if err != nil {
			return badInput(err)
		}
		plan, errs := engine.Compile(set, nil, engine.Geography{})
		if len(errs) > 0 {
			return badInput(errs)
		}
		declared = plan.Declared
	}
	show := func(v engine.ViewSpec) {
		fmt.Fprintf(stdout, "\n%s", v.Name)
		if v.Doc != "" {
			fmt.Fprintf(stdout, ": %s", v.Doc)
		}
		fmt.Fprintln(stdout)
		for _, c := range v.Cols {
			fmt.Fprintf(stdout, "  %-28s %-6s %s\n", c.Name, c.Kind, c.Doc)
		}
	}
	fmt.Fprintln(stdout, "Contract tables:")
	for _, t := range contract.Tables {
		show(engine.ContractView(t))
	}
	if d := contract.Declared(); len(d) > 0 {
		fmt.Fprintln(stdout, "\nTables declared in rule files (optional; read from --data, --mapping and the database like contract tables):")
		for _, t := range d {
			v := engine.ContractView(t)
			v.Doc = t.Doc + " (" + t.Source + ")"
			show(v)
		}
	}
	for _, d := range append(engine.Detectors(), declared...) {
		fmt.Fprintf(stdout, "\nDetector %s views:\n", d.Name())
		for _, v := range d.Views() {
			show(v)
		}
		if len(d.Settings()) > 0 {
			fmt.Fprintf(stdout, "\n  settings (settings.%s.<name> in rule or override files):\n", d.Name())
			for _, s := range d.Settings() {
				fmt.Fprintf(stdout, "  %-28s %-10v %s\n", s.Name, formatDefault(s.Default), s.Doc)
			}
		}
	}
	fmt.Fprintln(stdout, "\nIn rules: money is yuan (float64, exact for comparisons), dates are days since 1970-01-01 (subtract for days), has_<column> is false for a null cell; params.<name>, as_of, from, to; functions day(\"YYYY-MM-DD\"), month_of(date), date_str(date), fen(yuan).")
	return nil
}

func formatDefault(v any) string {
	if s, ok := v.([]string); ok {
		return strings.Join(s, ",")
	}
	return fmt.Sprint(v)
}
