package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/engine"
)

func init() {
	register(command{name: "views", summary: "list the tables and detector views rules can read, with their columns and settings", run: cmdViews})
}

func cmdViews(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("views", "", stdout)
	if err := parseFlags(fs, args); err != nil {
		return err
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
	for _, d := range engine.Detectors() {
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
