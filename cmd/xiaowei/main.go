// Command xiaowei watches how village officials use their micro-power and
// turns irregularities into accountability leads. See README.md.
//
// Each subcommand lives in its own file (cmd_<name>.go) and registers itself
// in init with register, so adding one never touches this file.
//
// Exit codes: 0 success (whether or not anything was found); 1 an internal
// or I/O failure; 2 bad rules, bad usage, or bad input under --strict.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"sort"
	"syscall"
)

// Exit codes.
const (
	exitOK       = 0
	exitFailure  = 1
	exitBadInput = 2
)

// usageError marks errors that are the caller's (bad flags, bad rules, bad
// input under --strict): they exit 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// badInput wraps err so the command exits 2.
func badInput(err error) error { return usageError{err} }

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{}

func register(c command) { commands[c.name] = c }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	stopProfile := cpuProfile(os.Stderr)
	code := dispatch(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stopProfile()
	stop()
	os.Exit(code)
}

// cpuProfile writes a CPU profile of the whole process to the file named by
// XIAOWEI_CPUPROFILE (for `go tool pprof`; see docs/performance.md): the
// stage seconds say where time goes, a profile says why.
func cpuProfile(stderr io.Writer) (stop func()) {
	path := os.Getenv("XIAOWEI_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(stderr, "xiaowei: XIAOWEI_CPUPROFILE: %v\n", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return exitBadInput
		}
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "xiaowei: unknown command %q\n\n", args[0])
		usage(stderr)
		return exitBadInput
	}
	err := c.run(ctx, args[1:], stdout, stderr)
	if err == nil {
		return exitOK
	}
	if errors.Is(err, errHelp) {
		return exitOK
	}
	fmt.Fprintf(stderr, "xiaowei %s: %v\n", c.name, err)
	var ue usageError
	if errors.As(err, &ue) {
		return exitBadInput
	}
	return exitFailure
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: xiaowei <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'xiaowei <command> --help' for a command's flags.\nExit codes: 0 success, 1 internal or I/O failure, 2 bad rules, usage or (with --strict) input.")
}
