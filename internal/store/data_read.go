package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/table"
)

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
	imported, err := s.importedTables(ctx)
	if err != nil {
		return nil, err
	}
	ds := &load.Dataset{Dir: "postgres:" + s.Data, Tables: map[string]*table.Table{}}
	ok := false
	defer func() {
		if !ok {
			ds.Release()
		}
	}()
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
	r := &datasetRead{s: s, mem: mem, specs: specs, results: make([]tableRead, len(specs)), ds: ds}
	if err := r.phase(ctx, func(n string) bool { return !later[n] }, nil); err != nil {
		return nil, err
	}
	if len(later) > 0 {
		filters, err := plan.Filters(ds)
		if err != nil {
			return nil, err
		}
		if err := r.phase(ctx, func(n string) bool { return later[n] }, filters); err != nil {
			return nil, err
		}
	}
	for i, res := range r.results {
		res.st.SHA256 = imported[specs[i].Name].sha
		ds.Stats = append(ds.Stats, res.st)
		ds.Rejects = append(ds.Rejects, res.rej...)
	}
	ok = true
	return ds, nil
}

// importedMeta is where an imported table came from.
type importedMeta struct{ file, sha string }

// importedTables reads the import record: the tables imported, by name.
func (s *Store) importedTables(ctx context.Context) (map[string]importedMeta, error) {
	imported := map[string]importedMeta{}
	rows, err := s.pool.Query(ctx, "select table_name, source_file, sha256 from "+s.T("data_tables"))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w (run xiaowei migrate and import first)", s.T("data_tables"), err)
	}
	for rows.Next() {
		var n string
		var m importedMeta
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
	return imported, nil
}

// tableRead is the outcome of reading one table.
type tableRead struct {
	t   *table.Table
	st  load.TableStats
	rej []load.Reject
	err error
}

// datasetRead reads the tables of specs into ds. Tables are read
// concurrently, each on its own pooled connection, and assembled in
// contract order (results[i] is specs[i]).
type datasetRead struct {
	s       *Store
	mem     memory.Allocator
	specs   []*contract.Table
	results []tableRead
	ds      *load.Dataset
}

// phase reads the chosen tables concurrently and puts them in ds.Tables
// at once, so a failure releases what was read.
func (r *datasetRead) phase(ctx context.Context, pick func(string) bool, filters map[string]*load.RowFilter) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for i, spec := range r.specs {
		if !pick(spec.Name) {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := &r.results[i]
			res.t, res.st, res.rej, res.err = r.s.readTable(ctx, spec, r.mem, filters[spec.Name])
			if res.err != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	var errs []error
	for i, spec := range r.specs {
		if !pick(spec.Name) {
			continue
		}
		if r.results[i].err != nil {
			errs = append(errs, r.results[i].err)
		} else {
			r.ds.Tables[spec.Name] = r.results[i].t
		}
	}
	return errors.Join(errs...)
}
