package main

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=..."; otherwise
// the module build info supplies the VCS revision.
var version = "dev"

func versionString() string {
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += "+" + s.Value[:12]
			}
		}
	}
	return v
}

func init() {
	register(command{name: "version", summary: "print the version", run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		fs := newFlags("version", "", stdout)
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "xiaowei", versionString())
		return nil
	}})
}
