package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/neijiang/xiaowei/internal/store"
)

func init() {
	register(command{name: "migrate", summary: "create or upgrade the PostgreSQL schema (idempotent)", run: cmdMigrate})
}

// dbURL is the --db flag, else DATABASE_URL.
func dbURL(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	return os.Getenv("DATABASE_URL")
}

func cmdMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("migrate", "--db URL [--schema NAME]", stdout)
	db := fs.String("db", "", "PostgreSQL URL (default $DATABASE_URL)")
	schema := fs.String("schema", store.DefaultSchema, "service schema; contract tables go in <schema>_data")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	st, err := store.Open(ctx, dbURL(*db), *schema)
	if err != nil {
		return err
	}
	defer st.Close()
	applied, err := st.Migrate(ctx)
	if err != nil {
		return err
	}
	v, err := st.Version(ctx)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintf(stdout, "schema %s is up to date (version %d)\n", st.Schema, v)
		return nil
	}
	for _, m := range applied {
		fmt.Fprintf(stdout, "applied %s\n", m)
	}
	fmt.Fprintf(stdout, "schema %s at version %d\n", st.Schema, v)
	return nil
}
