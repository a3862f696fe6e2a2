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
