// Package store keeps xiaowei's data in PostgreSQL: the contract tables
// (schema <schema>_data), runs, findings and their history, leads and
// dispositions (schema <schema>). It imports validated datasets with COPY,
// reads them back into Arrow for a run, and records runs atomically.
package store

import (
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultSchema is the service schema; contract tables live in
// DefaultSchema + "_data".
const DefaultSchema = "xw"

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,40}$`)

// Store is a connection pool and the schema names.
type Store struct {
	pool   *pgxpool.Pool
	Schema string // service tables
	Data   string // contract tables
}

// Open connects (the pool is lazy: it does not fail on a down server until
// used, so callers ping) and checks the schema name.
func Open(ctx context.Context, dbURL, schema string) (*Store, error) {
	if schema == "" {
		schema = DefaultSchema
	}
	if !schemaName.MatchString(schema) {
		return nil, fmt.Errorf("schema %q: want lower-case letters, digits and _", schema)
	}
	if dbURL == "" {
		return nil, errors.New("no database URL (--db, the config's database, or DATABASE_URL)")
	}
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return nil, fmt.Errorf("database URL %s: %w", Redact(dbURL), redactErr(err, dbURL))
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", Redact(dbURL), redactErr(err, dbURL))
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connecting to %s: %w", Redact(dbURL), redactErr(err, dbURL))
	}
	return &Store{pool: pool, Schema: schema, Data: schema + "_data"}, nil
}

// Close closes the pool.
func (s *Store) Close() {
	if s != nil && s.pool != nil {
		s.pool.Close()
	}
}

// T names a service table, quoted.
func (s *Store) T(name string) string { return pgx.Identifier{s.Schema, name}.Sanitize() }

// D names a contract table, quoted.
func (s *Store) D(name string) string { return pgx.Identifier{s.Data, name}.Sanitize() }

var kvPassword = regexp.MustCompile(`(?i)(password\s*=\s*)('[^']*'|\S+)`)

// Redact hides the password of a URL or key=value connection string. A URL
// that does not parse (a bad %-escape, a space in the password) is redacted
// by its shape instead: everything between the user's colon and the last @
// goes, so a typo never prints the password.
func Redact(dbURL string) string {
	if u, err := url.Parse(dbURL); err == nil && u.Scheme != "" && u.Host != "" {
		q := u.Query()
		if q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		return u.Redacted()
	}
	if i := strings.Index(dbURL, "://"); i >= 0 {
		s := dbURL
		if _, start, end, ok := urlPassword(s); ok {
			s = s[:start] + "xxxxx" + s[end:]
		}
		return urlPasswordParam.ReplaceAllString(s, "${1}xxxxx")
	}
	return kvPassword.ReplaceAllString(dbURL, "${1}xxxxx")
}

var urlPasswordParam = regexp.MustCompile(`(?i)([?&]password=)[^&#]*`)

// urlPassword finds the password of a URL-shaped string without parsing
// it: after "scheme://", up to the last @, after the first colon. Taking
// the last @ may hide more than the password when a query holds an @,
// which is the safe side.
func urlPassword(s string) (pw string, start, end int, ok bool) {
	i := strings.Index(s, "://")
	if i < 0 {
		return "", 0, 0, false
	}
	rest := s[i+3:]
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return "", 0, 0, false
	}
	colon := strings.Index(rest[:at], ":")
	if colon < 0 {
		return "", 0, 0, false
	}
	start, end = i+3+colon+1, i+3+at
	return s[start:end], start, end, true
}

// redactErr removes the password from an error message that might quote
// the connection string.
func redactErr(err error, dbURL string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if u, perr := url.Parse(dbURL); perr == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			msg = strings.ReplaceAll(msg, p, "xxxxx")
		}
	}
	if p, _, _, ok := urlPassword(dbURL); ok && p != "" {
		msg = strings.ReplaceAll(msg, p, "xxxxx")
		// the driver may quote it decoded or with its escapes
		if d, derr := url.PathUnescape(p); derr == nil && d != "" {
			msg = strings.ReplaceAll(msg, d, "xxxxx")
		}
	}
	msg = kvPassword.ReplaceAllString(msg, "${1}xxxxx")
	msg = urlPasswordParam.ReplaceAllString(msg, "${1}xxxxx")
	if msg == err.Error() {
		return err
	}
	return errors.New(msg)
}

// CheckURL parses a database URL without connecting, so a configuration
// check refuses what Open would refuse. The error never holds the password.
func CheckURL(dbURL string) error {
	if _, err := pgxpool.ParseConfig(dbURL); err != nil {
		return fmt.Errorf("database URL %s: %w", Redact(dbURL), redactErr(err, dbURL))
	}
	return nil
}

// LockKey is the advisory lock key of a name within this store's schema.
func (s *Store) LockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("xiaowei\x00" + s.Schema + "\x00" + name))
	return int64(h.Sum64())
}

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migration is one embedded schema version.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations lists the embedded migrations in order.
func Migrations() ([]Migration, error) {
	ents, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, e := range ents {
		name := e.Name()
		v, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with its version number", name)
		}
		b, err := migrationFS.ReadFile("migrations/" + name)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: strings.TrimSuffix(name, ".sql"), SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Migrate applies the migrations not yet applied, all in one transaction
// (a failure applies none) under a transaction-scoped advisory lock, so
// instances starting together do not race. It is idempotent and returns
// the migrations applied now.
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	ms, err := Migrations()
	if err != nil {
		return nil, err
	}
	var applied []string
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "select pg_advisory_xact_lock($1)", s.LockKey("migrate")); err != nil {
			return err
		}
		for _, sch := range []string{s.Schema, s.Data} {
			if _, err := tx.Exec(ctx, "create schema if not exists "+pgx.Identifier{sch}.Sanitize()); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, "create table if not exists "+s.T("schema_migrations")+
			" (version integer primary key, name text not null, applied_at timestamptz not null default now())"); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, "select version from "+s.T("schema_migrations"))
		if err != nil {
			return err
		}
		done, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		if err != nil {
			return err
		}
		have := map[int]bool{}
		for _, v := range done {
			have[int(v)] = true
		}
		for _, m := range ms {
			if have[m.Version] {
				continue
			}
			sql := strings.NewReplacer("{{schema}}", pgx.Identifier{s.Schema}.Sanitize(), "{{data}}", pgx.Identifier{s.Data}.Sanitize()).Replace(m.SQL)
			if _, err := tx.Exec(ctx, sql); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			if _, err := tx.Exec(ctx, "insert into "+s.T("schema_migrations")+" (version, name) values ($1, $2)", m.Version, m.Name); err != nil {
				return err
			}
			applied = append(applied, m.Name)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return applied, nil
}

// Version is the highest applied migration (0 = none).
func (s *Store) Version(ctx context.Context) (int, error) {
	var v int32
	err := s.pool.QueryRow(ctx, "select coalesce(max(version), 0) from "+s.T("schema_migrations")).Scan(&v)
	return int(v), err
}

var randRead = rand.Read
