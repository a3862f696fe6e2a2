package store

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/money"
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

// ErrNotImported means a required contract table was never imported.
var ErrNotImported = errors.New("required table not imported")

var monthRe = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])$`)

// ReadDataset reads every imported contract table into Arrow, in import
// order, giving the same Dataset shape as load.Load (Stats with Read =
// Loaded + Rejected, Missing for absent optional tables). The rows were
// validated at import, and the table constraints keep them so; they are
// still checked as they are scanned (types, required values, enums, month
// format, positive amounts) in case another tool wrote the tables, and a
// bad row becomes a Reject (line = its _row) rather than a bad value.
func (s *Store) ReadDataset(ctx context.Context, mem memory.Allocator) (*load.Dataset, error) {
	return s.ReadDatasetPlanned(ctx, mem, nil)
}

// ReadPlan reads the Later tables after the others, each with the row
// filter Filters computes from the tables read first (a shard reads the
// villages and cases first, then only its rows of the big tables).
type ReadPlan struct {
	Later   []string
	Filters func(first *load.Dataset) (map[string]*load.RowFilter, error)
}

// ReadDatasetPlanned is ReadDataset in two phases (see ReadPlan); a nil
// plan reads everything at once. Stats count the rows read.
func (s *Store) ReadDatasetPlanned(ctx context.Context, mem memory.Allocator, plan *ReadPlan) (*load.Dataset, error) {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	type meta struct{ file, sha string }
	imported := map[string]meta{}
	rows, err := s.pool.Query(ctx, "select table_name, source_file, sha256 from "+s.T("data_tables"))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w (run xiaowei migrate and import first)", s.T("data_tables"), err)
	}
	for rows.Next() {
		var n string
		var m meta
		if err := rows.Scan(&n, &m.file, &m.sha); err != nil {
			rows.Close()
			return nil, err
		}
		imported[n] = m
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	ds := &load.Dataset{Dir: "postgres:" + s.Data, Tables: map[string]*table.Table{}}
	ok := false
	defer func() {
		if !ok {
			ds.Release()
		}
	}()
	// Tables are read concurrently, each on its own pooled connection, and
	// assembled in contract order.
	type result struct {
		t   *table.Table
		st  load.TableStats
		rej []load.Reject
		err error
	}
	var specs []*contract.Table
	for _, spec := range contract.All() {
		if _, have := imported[spec.Name]; !have {
			if spec.Optional {
				ds.Missing = append(ds.Missing, spec.Name)
				continue
			}
			return nil, fmt.Errorf("table %s: %w (xiaowei import --data DIR --db URL)", spec.Name, ErrNotImported)
		}
		specs = append(specs, spec)
	}
	later := map[string]bool{}
	if plan != nil {
		for _, n := range plan.Later {
			later[n] = true
		}
	}
	results := make([]result, len(specs))
	// readPhase reads the chosen tables concurrently and puts them in
	// ds.Tables at once, so a failure releases what was read.
	readPhase := func(pick func(string) bool, filters map[string]*load.RowFilter) error {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var wg sync.WaitGroup
		for i, spec := range specs {
			if !pick(spec.Name) {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := &results[i]
				r.t, r.st, r.rej, r.err = s.readTable(ctx, spec, mem, filters[spec.Name])
				if r.err != nil {
					cancel()
				}
			}()
		}
		wg.Wait()
		var errs []error
		for i, spec := range specs {
			if !pick(spec.Name) {
				continue
			}
			if results[i].err != nil {
				errs = append(errs, results[i].err)
			} else {
				ds.Tables[spec.Name] = results[i].t
			}
		}
		return errors.Join(errs...)
	}
	if err := readPhase(func(n string) bool { return !later[n] }, nil); err != nil {
		return nil, err
	}
	if len(later) > 0 {
		filters, err := plan.Filters(ds)
		if err != nil {
			return nil, err
		}
		if err := readPhase(func(n string) bool { return later[n] }, filters); err != nil {
			return nil, err
		}
	}
	for i, r := range results {
		r.st.SHA256 = imported[specs[i].Name].sha
		ds.Stats = append(ds.Stats, r.st)
		ds.Rejects = append(ds.Rejects, r.rej...)
	}
	ok = true
	return ds, nil
}

// VillageRows counts the rows of each village in the row tables (persons,
// beneficiaries, ledger, disclosures by village_id; payments by their
// case's village): the work a village brings to a run, for balancing
// shards. Every shard reads the same counts, so they agree.
func (s *Store) VillageRows(ctx context.Context) (map[string]int64, error) {
	rows, err := s.pool.Query(ctx, `select village_id, count(*) from (
			select village_id from `+s.D("persons")+` union all select village_id from `+s.D("beneficiaries")+`
			union all select village_id from `+s.D("ledger")+` union all select village_id from `+s.D("disclosures")+`
			union all select b.village_id from `+s.D("payments")+` p
				join (select distinct on (case_id) case_id, village_id from `+s.D("beneficiaries")+` order by case_id, _row desc) b using (case_id)
		) x where village_id is not null group by village_id`)
	if err != nil {
		return nil, fmt.Errorf("rows per village: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var v string
		var n int64
		if err := rows.Scan(&v, &n); err != nil {
			return nil, err
		}
		out[v] = n
	}
	return out, rows.Err()
}

func (s *Store) readTable(ctx context.Context, spec *contract.Table, mem memory.Allocator, f *load.RowFilter) (*table.Table, load.TableStats, []load.Reject, error) {
	st := load.TableStats{Table: spec.Name, File: "postgres:" + s.Data + "." + spec.Name}
	sel := "select _row"
	for _, c := range spec.Columns {
		id := pgx.Identifier{c.Name}.Sanitize()
		if c.Kind == contract.Money {
			sel += ", (" + id + " * 100)::bigint"
		} else {
			sel += ", " + id
		}
	}
	sel += " from " + s.D(spec.Name)
	var args []any
	if f != nil {
		col := pgx.Identifier{f.Column}.Sanitize()
		if f.Negate {
			sel += " where " + col + " is null or not (" + col + " = any($1))"
		} else {
			// A value outside printable ASCII may normalise to one of
			// Values (a zero-width space in an id): read it too.
			sel += " where " + col + " = any($1) or " + col + " !~ '^[!-~]+$'"
		}
		vals := f.Values
		if vals == nil {
			vals = []string{}
		}
		args = append(args, vals)
	}
	sel += " order by _row"
	rows, err := s.pool.Query(ctx, sel, args...)
	if err != nil {
		return nil, st, nil, fmt.Errorf("reading %s: %w", spec.Name, err)
	}
	defer rows.Close()

	cols := table.ContractCols(spec)
	rb := array.NewRecordBuilder(mem, table.Schema(cols))
	defer rb.Release()
	n := len(spec.Columns)
	texts := make([]pgtype.Text, n)
	dates := make([]pgtype.Date, n)
	ints := make([]pgtype.Int8, n)
	bools := make([]pgtype.Bool, n)
	var rowNo int64
	dest := []any{&rowNo}
	enums := make([]map[string]bool, n)
	for j, c := range spec.Columns {
		switch c.Kind {
		case contract.Date:
			dest = append(dest, &dates[j])
		case contract.Money, contract.Int:
			dest = append(dest, &ints[j])
		case contract.Bool:
			dest = append(dest, &bools[j])
		default:
			dest = append(dest, &texts[j])
		}
		if c.Kind == contract.Enum {
			enums[j] = map[string]bool{}
			for _, v := range c.Enum {
				enums[j][v] = true
			}
		}
	}
	var rejects []load.Reject
	for rows.Next() {
		st.Read++
		if err := rows.Scan(dest...); err != nil {
			return nil, st, nil, fmt.Errorf("reading %s row %d: %w", spec.Name, st.Read, err)
		}
		reason, col, val := "", "", ""
		for j, c := range spec.Columns {
			valid := false
			switch c.Kind {
			case contract.Date:
				valid = dates[j].Valid
			case contract.Int:
				valid = ints[j].Valid
			case contract.Money:
				valid = ints[j].Valid
				if valid && (spec.Name == "ledger" || spec.Name == "payments") && c.Name == "amount" && ints[j].Int64 <= 0 {
					reason, col, val = "amount must be positive", c.Name, money.Format(ints[j].Int64)
				}
			case contract.Bool:
				valid = bools[j].Valid
			default:
				valid = texts[j].Valid && texts[j].String != ""
				if valid && enums[j] != nil && !enums[j][texts[j].String] {
					reason, col, val = fmt.Sprintf("%q is not a valid %s", texts[j].String, c.Name), c.Name, texts[j].String
				}
				if valid && c.Kind == contract.Month && !monthRe.MatchString(texts[j].String) {
					reason, col, val = "want a month YYYY-MM", c.Name, texts[j].String
				}
			}
			if !valid && c.Required && reason == "" {
				reason, col = "required value is empty", c.Name
			}
		}
		if reason != "" {
			st.Rejected++
			rejects = append(rejects, load.Reject{Table: spec.Name, File: st.File, Line: int(rowNo), Column: col, Value: val, Reason: reason})
			continue
		}
		for j, c := range spec.Columns {
			f := rb.Field(j)
			switch c.Kind {
			case contract.Date:
				if dates[j].Valid {
					f.(*array.Date32Builder).Append(arrow.Date32(civil.FromTime(dates[j].Time)))
				} else {
					f.AppendNull()
				}
			case contract.Money, contract.Int:
				if ints[j].Valid {
					f.(*array.Int64Builder).Append(ints[j].Int64)
				} else {
					f.AppendNull()
				}
			case contract.Bool:
				if bools[j].Valid {
					f.(*array.BooleanBuilder).Append(bools[j].Bool)
				} else {
					f.AppendNull()
				}
			default:
				if texts[j].Valid && texts[j].String != "" {
					f.(*array.StringBuilder).Append(texts[j].String)
				} else {
					f.AppendNull()
				}
			}
		}
		st.Loaded++
	}
	if err := rows.Err(); err != nil {
		return nil, st, nil, fmt.Errorf("reading %s: %w", spec.Name, err)
	}
	return table.New(spec.Name, cols, rb.NewRecordBatch()), st, rejects, nil
}

func dateTime(d civil.Date) time.Time {
	y, m, day := d.YMD()
	return time.Date(y, m, day, 0, 0, 0, 0, time.UTC)
}

// PersonNames returns the distinct names of the persons register, for
// masking names in a report's free text.
func (s *Store) PersonNames(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, "select distinct name from "+s.D("persons")+" where name <> '' order by name")
	if err != nil {
		return nil, fmt.Errorf("reading person names: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("reading person names: %w", err)
	}
	return names, nil
}
