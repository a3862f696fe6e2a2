// Package pgtest gives tests a real PostgreSQL: the URL from XIAOWEI_TEST_DB
// (default postgres://postgres@127.0.0.1:5432/test) and a private schema per
// test, dropped at the end, so tests run in parallel and never touch each
// other's data. When the server is unreachable a test skips, except under
// CI=true, where it fails: CI must not pass by skipping.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultURL is used when XIAOWEI_TEST_DB is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test"

// URL returns the test database URL, or skips (fails under CI=true) when
// the server does not answer. The test holds the server shared until it
// ends (see Exclusive).
func URL(t testing.TB) string {
	t.Helper()
	holdServer(t, false)
	return reach(t)
}

func reach(t testing.TB) string {
	t.Helper()
	url := os.Getenv("XIAOWEI_TEST_DB")
	if url == "" {
		url = DefaultURL
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err == nil {
		err = conn.Ping(ctx)
		conn.Close(context.Background())
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL unreachable (XIAOWEI_TEST_DB) and CI=true: %v", err)
		}
		t.Skipf("PostgreSQL unreachable, skipping (set XIAOWEI_TEST_DB; CI=true makes this a failure): %v", err)
	}
	return url
}

// Schema returns the URL and a fresh schema name (xwt_<random>) that no
// other test uses. At cleanup it drops that schema and every schema whose
// name starts with it plus "_" (e.g. the store's <schema>_data).
func Schema(t testing.TB) (url, schema string) {
	t.Helper()
	holdServer(t, false)
	return newSchema(t)
}

// ExclusiveSchema is Schema for a test that disrupts the server itself
// (restarts it): it waits until no other test — in this process or in
// another package's test binary — holds the server, and keeps every other
// database test waiting until it ends. go test runs packages in parallel,
// so without this a restart fails unrelated tests at random. It must not be
// called from a parallel test (see lockPath).
func ExclusiveSchema(t testing.TB) (url, schema string) {
	t.Helper()
	holdServer(t, true)
	return newSchema(t)
}

func newSchema(t testing.TB) (url, schema string) {
	t.Helper()
	url = reach(t)
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	schema = "xwt_" + hex.EncodeToString(b[:])
	t.Cleanup(func() { Drop(t, url, schema) })
	return url, schema
}

// Drop removes schema and its "<schema>_*" companions.
func Drop(t testing.TB, url, schema string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Errorf("pgtest: dropping %s: %v", schema, err)
		return
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, `select nspname from pg_namespace where nspname = $1 or starts_with(nspname, $1 || '_')`, schema)
	if err != nil {
		t.Errorf("pgtest: dropping %s: %v", schema, err)
		return
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Errorf("pgtest: dropping %s: %v", schema, err)
		return
	}
	for _, n := range names {
		if _, err := conn.Exec(ctx, "drop schema if exists "+pgx.Identifier{n}.Sanitize()+" cascade"); err != nil {
			t.Errorf("pgtest: drop schema %s: %v", n, err)
		}
	}
}
