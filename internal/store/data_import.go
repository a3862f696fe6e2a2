package store

import (
	"context"
	"fmt"
	"math/big"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/table"
)

// ImportOptions tune Import.
type ImportOptions struct {
	// DropAbsent empties the optional tables the dataset does not have, so
	// they read as absent; by default they keep their previous import.
	DropAbsent bool
}

// ImportResult says what Import replaced.
type ImportResult struct {
	Tables  []load.TableStats
	Dropped []string
}

// Import replaces the contract tables present in ds (already validated by
// the loader: only its loaded rows are written) in one transaction: TRUNCATE
// then binary COPY, in the loader's row order. Columns outside the contract
// are not stored.
func (s *Store) Import(ctx context.Context, ds *load.Dataset, opt ImportOptions) (*ImportResult, error) {
	res := &ImportResult{}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "select pg_advisory_xact_lock($1)", s.LockKey("import")); err != nil {
			return err
		}
		for _, st := range ds.Stats {
			spec, ok := contract.Lookup(st.Table)
			t := ds.Tables[st.Table]
			if !ok || t == nil {
				continue
			}
			if spec.Source != "" { // declared in a rule file: no migration made it
				if err := s.ensureDeclared(ctx, tx, spec); err != nil {
					return err
				}
			}
			if _, err := tx.Exec(ctx, "truncate "+s.D(spec.Name)); err != nil {
				return fmt.Errorf("import %s: %w", spec.Name, err)
			}
			cols := []string{"_row"}
			for _, c := range spec.Columns {
				cols = append(cols, c.Name)
			}
			src, err := newArrowSource(spec, t)
			if err != nil {
				return err
			}
			n, err := tx.CopyFrom(ctx, pgx.Identifier{s.Data, spec.Name}, cols, src)
			if err != nil {
				return fmt.Errorf("import %s: %w", spec.Name, err)
			}
			if int(n) != st.Loaded {
				return fmt.Errorf("import %s: copied %d rows, loaded %d", spec.Name, n, st.Loaded)
			}
			if _, err := tx.Exec(ctx, "insert into "+s.T("data_tables")+
				` (table_name, source_file, sha256, rows_read, rows_loaded, rows_rejected, imported_at) values ($1,$2,$3,$4,$5,$6,now())
				on conflict (table_name) do update set source_file=excluded.source_file, sha256=excluded.sha256, rows_read=excluded.rows_read,
				rows_loaded=excluded.rows_loaded, rows_rejected=excluded.rows_rejected, imported_at=excluded.imported_at`,
				spec.Name, st.File, st.SHA256, st.Read, st.Loaded, st.Rejected); err != nil {
				return err
			}
			res.Tables = append(res.Tables, st)
		}
		if opt.DropAbsent {
			for _, name := range ds.Missing {
				if spec, ok := contract.Lookup(name); ok && spec.Source != "" {
					if err := s.ensureDeclared(ctx, tx, spec); err != nil {
						return err
					}
				}
				if _, err := tx.Exec(ctx, "truncate "+s.D(name)); err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, "delete from "+s.T("data_tables")+" where table_name = $1", name); err != nil {
					return err
				}
				res.Dropped = append(res.Dropped, name)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// arrowSource feeds one contract table's Arrow record to CopyFrom.
type arrowSource struct {
	row  int
	n    int
	vals []any
	get  []func(i int) any
}

func newArrowSource(spec *contract.Table, t *table.Table) (*arrowSource, error) {
	s := &arrowSource{row: -1, n: t.Len(), vals: make([]any, len(spec.Columns)+1)}
	for _, c := range spec.Columns {
		if !t.Has(c.Name) {
			return nil, fmt.Errorf("import %s: loaded table has no column %s", spec.Name, c.Name)
		}
		if a, ok := t.Column(c.Name).(*array.Int64); ok && c.Kind == contract.Int {
			s.get = append(s.get, func(i int) any {
				if a.IsNull(i) {
					return nil
				}
				return a.Value(i)
			})
			continue
		}
		switch a := t.Column(c.Name).(type) {
		case *array.String:
			s.get = append(s.get, func(i int) any {
				if a.IsNull(i) {
					return nil
				}
				return a.Value(i)
			})
		case *array.Date32:
			s.get = append(s.get, func(i int) any {
				if a.IsNull(i) {
					return nil
				}
				return pgtype.Date{Time: dateTime(civil.Date(a.Value(i))), Valid: true}
			})
		case *array.Int64: // money, fen
			s.get = append(s.get, func(i int) any {
				if a.IsNull(i) {
					return nil
				}
				return pgtype.Numeric{Int: big.NewInt(a.Value(i)), Exp: -2, Valid: true}
			})
		case *array.Boolean:
			s.get = append(s.get, func(i int) any {
				if a.IsNull(i) {
					return nil
				}
				return a.Value(i)
			})
		default:
			return nil, fmt.Errorf("import %s.%s: unexpected Arrow type %s", spec.Name, c.Name, a.DataType())
		}
	}
	return s, nil
}

func (s *arrowSource) Next() bool { s.row++; return s.row < s.n }
func (s *arrowSource) Err() error { return nil }
func (s *arrowSource) Values() ([]any, error) {
	s.vals[0] = int64(s.row + 1)
	for j, g := range s.get {
		s.vals[j+1] = g(s.row)
	}
	return s.vals, nil
}
