package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/neijiang/xiaowei/internal/contract"
)

// Declared tables (rule files' tables: blocks) have no migration: the
// import creates each one in the data schema from its declaration, the
// first time it is imported, with the same column types and constraints a
// contract table has (text, date, numeric(14,2) for money, bigint for int,
// boolean; not null for required columns; the key as primary key). A table
// that already exists must have the declared columns in order: the store
// never alters or drops one (a changed declaration is the operator's call:
// drop the table, then import again).

func pgType(k contract.Kind) string {
	switch k {
	case contract.Date:
		return "date"
	case contract.Money:
		return "numeric(14,2)"
	case contract.Int:
		return "bigint"
	case contract.Bool:
		return "boolean"
	case contract.Float:
		return "double precision"
	}
	return "text"
}

// declaredDDL is the create statement of a declared table.
func (s *Store) declaredDDL(spec *contract.Table) string {
	var b strings.Builder
	b.WriteString("create table if not exists " + s.D(spec.Name) + " (\n\t_row bigint not null")
	for _, c := range spec.Columns {
		b.WriteString(",\n\t" + pgx.Identifier{c.Name}.Sanitize() + " " + pgType(c.Kind))
		if c.Required {
			b.WriteString(" not null")
		}
		if c.Kind == contract.Enum && len(c.Enum) > 0 {
			quoted := make([]string, len(c.Enum))
			for i, v := range c.Enum {
				quoted[i] = "'" + strings.ReplaceAll(v, "'", "''") + "'"
			}
			b.WriteString(" check (" + pgx.Identifier{c.Name}.Sanitize() + " in (" + strings.Join(quoted, ",") + "))")
		}
	}
	if len(spec.Key) > 0 {
		keys := make([]string, len(spec.Key))
		for i, k := range spec.Key {
			keys[i] = pgx.Identifier{k}.Sanitize()
		}
		b.WriteString(",\n\tprimary key (" + strings.Join(keys, ", ") + ")")
	}
	b.WriteString("\n)")
	return b.String()
}

// ensureDeclared creates a declared table if needed and checks an existing
// one has the declared columns.
func (s *Store) ensureDeclared(ctx context.Context, tx pgx.Tx, spec *contract.Table) error {
	if _, err := tx.Exec(ctx, s.declaredDDL(spec)); err != nil {
		return fmt.Errorf("import %s: creating the declared table: %w", spec.Name, err)
	}
	return s.checkDeclared(ctx, tx, spec)
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func (s *Store) checkDeclared(ctx context.Context, q querier, spec *contract.Table) error {
	rows, err := q.Query(ctx, `select column_name, data_type from information_schema.columns
		where table_schema = $1 and table_name = $2 order by ordinal_position`, s.Data, spec.Name)
	if err != nil {
		return fmt.Errorf("table %s: %w", spec.Name, err)
	}
	var have []string
	for rows.Next() {
		var n, t string
		if err := rows.Scan(&n, &t); err != nil {
			rows.Close()
			return err
		}
		have = append(have, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	want := []string{"_row"}
	for _, c := range spec.Columns {
		want = append(want, c.Name)
	}
	if strings.Join(have, ",") != strings.Join(want, ",") {
		return fmt.Errorf("table %s.%s has columns (%s), but %s declares (%s): drop the table and import again (the store never alters a table)",
			s.Data, spec.Name, strings.Join(have, ", "), spec.Source, strings.Join(want[1:], ", "))
	}
	return nil
}
