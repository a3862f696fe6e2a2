package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/neijiang/xiaowei/internal/auth"
	"github.com/neijiang/xiaowei/internal/store"
	"github.com/neijiang/xiaowei/internal/web"
)

func init() {
	register(command{name: "user", summary: "manage workbench accounts: user add|passwd|disable|enable|list", run: cmdUser})
}

// cmdUser manages the workbench's accounts. The password is read from
// --password-file or the first line of standard input (never from a flag,
// which other users could see in the process list).
func cmdUser(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return badInput(errors.New("usage: xiaowei user add|passwd|disable|enable|list --db URL [--schema S] [NAME] [--role R (--town T1,T2 | --village V) --name 姓名 --password-file F]"))
	}
	sub := args[0]
	fs := newFlags("user "+sub, "--db URL [NAME] [flags]", stdout)
	dbURL := fs.String("db", os.Getenv("DATABASE_URL"), "PostgreSQL URL (default $DATABASE_URL)")
	schema := fs.String("schema", store.DefaultSchema, "service schema")
	role := fs.String("role", "", "add: "+strings.Join(auth.Roles, ", "))
	towns := fs.String("town", "", "add: town ids the account belongs to, comma-separated (town officers and informants)")
	village := fs.String("village", "", "add: informants: the village id it watches (its town is derived from the imported villages)")
	display := fs.String("name", "", "add: the person's name")
	pwFile := fs.String("password-file", "", "add, passwd: read the password from this file (default: the first line of standard input)")
	pos, err := parseAround(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return badInput(fmt.Errorf("user %s: one account name, got %s", sub, strings.Join(pos, " ")))
	}
	var name string
	if len(pos) == 1 {
		name = pos[0]
	}
	if sub != "list" && name == "" {
		return badInput(fmt.Errorf("user %s: the account name is required", sub))
	}
	st, err := store.Open(ctx, *dbURL, *schema)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
	actor := "cli:" + os.Getenv("USER")
	switch sub {
	case "add":
		pw, err := readPassword(*pwFile)
		if err != nil {
			return err
		}
		a, err := web.NewAccount(name, *display, *role, *towns, *village, pw)
		if err != nil {
			return badInput(err)
		}
		if err := st.AddAccount(ctx, *a, actor); err != nil {
			return badInput(err)
		}
		fmt.Fprintf(stdout, "account %s added (%s)\n", a.Username, a.Role)
	case "passwd":
		pw, err := readPassword(*pwFile)
		if err != nil {
			return err
		}
		if err := auth.CheckPassword(pw); err != nil {
			return badInput(err)
		}
		h, err := auth.HashPassword(pw)
		if err != nil {
			return err
		}
		if err := st.SetPassword(ctx, name, h, actor); err != nil {
			return badInput(err)
		}
		fmt.Fprintf(stdout, "password of %s changed; its sessions ended\n", name)
	case "disable", "enable":
		if err := st.SetDisabled(ctx, name, sub == "disable", actor); err != nil {
			return badInput(err)
		}
		fmt.Fprintf(stdout, "account %s %sd\n", name, sub)
	case "list":
		return listAccounts(ctx, st, stdout)
	default:
		return badInput(fmt.Errorf("user %s: want add, passwd, disable, enable or list", sub))
	}
	return nil
}

// parseAround parses flags that may come before or after positional
// arguments: parse, take one positional argument, parse the rest.
func parseAround(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	rest := args
	for {
		if err := parseFlags(fs, rest); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos, rest = append(pos, fs.Arg(0)), fs.Args()[1:]
	}
}

// readPassword is the first line of file, or of standard input when file
// is "" (so a password never appears in the command line or the shell's
// history).
func readPassword(file string) (string, error) {
	var b []byte
	var err error
	if file != "" {
		b, err = os.ReadFile(file)
	} else {
		b, err = io.ReadAll(io.LimitReader(os.Stdin, 4096))
	}
	if err != nil {
		return "", err
	}
	pw, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimRight(pw, "\r"), nil
}

// listAccounts prints the accounts as a table, with each one's state.
func listAccounts(ctx context.Context, st *store.Store, stdout io.Writer) error {
	as, err := st.Accounts(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USER\tROLE\tTOWNS\tVILLAGE\tSTATE\tNAME")
	for _, a := range as {
		state := "active"
		if a.Disabled {
			state = "disabled"
		} else if !a.LockedUntil.IsZero() && a.LockedUntil.After(a.CreatedAt) && a.FailedLogins > 0 {
			state = "locked until " + a.LockedUntil.Format("2006-01-02 15:04")
		}
		v := a.Village
		if v == "" {
			v = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", a.Username, a.Role, strings.Join(a.Towns, ","), v, state, a.DisplayName)
	}
	return tw.Flush()
}
