// Package load reads a dataset folder (one <table>.csv or <table>.parquet per
// contract table) into Arrow tables, validating every cell against the
// contract. Bad rows are never dropped silently: each one becomes a Reject
// and is counted, so for every table Read = Loaded + Rejected.
package load

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/table"
)

// Options tune a load.
type Options struct {
	// AsOf is the run's reference date (0 = none). The loader deliberately
	// does not reject dates after it: rules must see that such rows exist,
	// and a later stage filters them.
	AsOf civil.Date
	// Mem allocates the Arrow buffers made by Arrow's own functions (the
	// native Parquet path's filter and validity bitmaps); nil =
	// memory.DefaultAllocator. The columns themselves are Go memory
	// (colBuf), released by the garbage collector.
	Mem memory.Allocator
	// NoHash leaves TableStats.SHA256 of CSV files empty: a partitioned run
	// hashes the input while splitting it and loads county files whose
	// hashes nobody reads.
	NoHash bool
	// Sources, when set, replaces the files of dir: each table is read from
	// its Source (CSV bytes); a table without one is absent. A partitioned
	// run reads each county's rows in place from the input files this way.
	Sources map[string]Source
}

// Source is one table's CSV bytes from somewhere other than a file of its
// own.
type Source struct {
	Name string // shown in errors and rejects
	Size int64  // bytes Open will give (for progress and buffer estimates)
	Open func() (io.ReadCloser, error)
}

func (o Options) mem() memory.Allocator {
	if o.Mem == nil {
		return memory.DefaultAllocator
	}
	return o.Mem
}

// Reject is one bad cell, or one bad row when Column is "".
type Reject struct {
	Table, File string
	// Line is the 1-based file line where the CSV record starts (the header
	// is line 1), or the 1-based data row number for Parquet.
	Line                  int
	Column, Value, Reason string
}

// TableStats counts one table's rows: Read = Loaded + Rejected.
type TableStats struct {
	Table, File            string
	Read, Loaded, Rejected int
	SHA256                 string // of the file's bytes
}

// Dataset is a loaded dataset folder.
type Dataset struct {
	Dir     string
	Tables  map[string]*table.Table // every contract table present
	Missing []string                // optional tables not present
	Stats   []TableStats            // in contract.Tables order
	Rejects []Reject                // in table order, then line order
	// Names are the persons register's names when Tables no longer hold
	// the persons table (a partitioned run releases each county's).
	Names []string

	namesMu  sync.Mutex    // guards names and namesOf: outputs are written concurrently
	names    []string      // PersonNames of namesOf
	namesOf  *table.Table  // the persons table names was computed from
	prefetch chan struct{} // closed when PrefetchNames's computation ends
}

// RowFilter selects a table's rows by one column, for a source that can
// read part of a table (the PostgreSQL store, for a shard): Values are the
// values kept, or with Negate the values left out (a null is then kept).
// Values are ids in normal form (internal/ident); a stored value that is
// not plain printable ASCII may not be, so the source returns it too and
// the caller, which normalises, decides.
type RowFilter struct {
	Column string
	Values []string
	Negate bool
}

// Release frees every table.
func (d *Dataset) Release() {
	if d == nil {
		return
	}
	if d.prefetch != nil {
		<-d.prefetch // the names' scan reads the persons table
	}
	for _, t := range d.Tables {
		t.Release()
	}
	d.Tables = nil
}

type tableResult struct {
	t       *table.Table
	stats   TableStats
	rejects []Reject
	err     error
}

// Load reads every contract table from dir. Tables load concurrently (one
// goroutine per core); results are assembled in contract order so the output
// does not depend on scheduling.
func Load(ctx context.Context, dir string, opts Options) (*Dataset, error) {
	d := &Dataset{Dir: dir, Tables: map[string]*table.Table{}}
	jobs, missing, err := planLoad(dir, opts)
	if err != nil {
		return nil, err
	}
	d.Missing = missing

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]tableResult, len(jobs))
	runLoads(ctx, cancel, jobs, opts, results)
	if errs := loadErrors(ctx, results); len(errs) > 0 {
		for _, r := range results {
			r.t.Release()
		}
		return nil, errors.Join(errs...)
	}
	for _, r := range results {
		d.Tables[r.stats.Table] = r.t
		d.Stats = append(d.Stats, r.stats)
		d.Rejects = append(d.Rejects, r.rejects...)
	}
	return d, nil
}

// loadJob is one table to load: a named source, or a file of dir.
type loadJob struct {
	spec    *contract.Table
	path    string
	parquet bool
	src     *Source
}

// planLoad lists the tables to load, in contract order, and the optional
// ones absent; a required table absent, or a table present as both CSV and
// Parquet, is an error.
func planLoad(dir string, opts Options) (jobs []loadJob, missing []string, err error) {
	if opts.Sources != nil {
		for _, spec := range contract.All() {
			src, ok := opts.Sources[spec.Name]
			switch {
			case ok:
				jobs = append(jobs, loadJob{spec: spec, path: src.Name, src: &src})
			case spec.Optional:
				missing = append(missing, spec.Name)
			default:
				return nil, nil, fmt.Errorf("required table %s: %w", spec.Name, ErrMissingTable)
			}
		}
	} else {
		if fi, err := os.Stat(dir); err != nil {
			return nil, nil, fmt.Errorf("dataset folder: %w", err)
		} else if !fi.IsDir() {
			return nil, nil, fmt.Errorf("dataset folder %s is not a directory", dir)
		}
		for _, spec := range contract.All() {
			csvPath := filepath.Join(dir, spec.Name+".csv")
			pqPath := filepath.Join(dir, spec.Name+".parquet")
			hasCSV, err := exists(csvPath)
			if err != nil {
				return nil, nil, err
			}
			hasPQ, err := exists(pqPath)
			if err != nil {
				return nil, nil, err
			}
			switch {
			case hasCSV && hasPQ:
				return nil, nil, fmt.Errorf("table %s: both %s and %s exist; keep one: %w", spec.Name, csvPath, pqPath, ErrAmbiguous)
			case hasCSV:
				jobs = append(jobs, loadJob{spec: spec, path: csvPath})
			case hasPQ:
				jobs = append(jobs, loadJob{spec: spec, path: pqPath, parquet: true})
			case spec.Optional:
				missing = append(missing, spec.Name)
			default:
				return nil, nil, fmt.Errorf("required table %s: %s (or .parquet): %w", spec.Name, csvPath, ErrMissingTable)
			}
		}
	}
	return jobs, missing, nil
}

// runLoads loads jobs into results (same order), one worker per core; the
// first error cancels the rest.
func runLoads(ctx context.Context, cancel context.CancelFunc, jobs []loadJob, opts Options, results []tableResult) {
	// Workers (one per core) take the largest files first: the load lasts
	// as long as its longest table, so that one must not start last behind
	// smaller ones (a few big tables dominate: ledger, persons, payments).
	// Results still go to their contract-order slot.
	order := make([]int, len(jobs))
	sizes := make([]int64, len(jobs))
	for i, j := range jobs {
		order[i] = i
		if j.src != nil {
			sizes[i] = j.src.Size
		} else if fi, err := os.Stat(j.path); err == nil {
			sizes[i] = fi.Size()
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(sizes[b], sizes[a]) })
	next := make(chan int, len(jobs))
	for _, i := range order {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				j := jobs[i]
				var r tableResult
				if j.src != nil {
					r.t, r.stats, r.rejects, r.err = loadSource(ctx, j.spec, j.src, opts)
				} else if j.parquet {
					r.t, r.stats, r.rejects, r.err = loadParquetFile(ctx, j.spec, j.path, opts)
				} else {
					r.t, r.stats, r.rejects, r.err = loadCSVFile(ctx, j.spec, j.path, opts)
				}
				if r.err != nil {
					cancel() // no point finishing the other tables
				}
				results[i] = r
			}
		}()
	}
	wg.Wait()
}

// loadErrors are the load's errors: the tables' own, without the
// cancellations the first error caused (only the caller's cancellation
// when that is all there is).
func loadErrors(ctx context.Context, results []tableResult) []error {
	var errs []error
	for _, r := range results {
		if r.err != nil && !(errors.Is(r.err, context.Canceled) && ctx.Err() != nil) {
			errs = append(errs, r.err)
		}
	}
	if len(errs) == 0 && ctx.Err() != nil {
		// Only cancellations: report the caller's own cancellation.
		for _, r := range results {
			if r.err != nil {
				errs = append(errs, r.err)
				break
			}
		}
	}
	return errs
}

// Sentinel errors, for callers that want to tell whole-file problems apart.
var (
	ErrMissingTable = errors.New("required table missing")
	ErrAmbiguous    = errors.New("ambiguous table file")
	ErrHeader       = errors.New("bad header")
	ErrEmpty        = errors.New("empty file: no header")
	ErrSchema       = errors.New("unsupported column type")
)

func exists(path string) (bool, error) {
	fi, err := os.Stat(path)
	if err == nil {
		if fi.IsDir() {
			return false, fmt.Errorf("%s is a directory, want a file", path)
		}
		return true, nil
	}
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return false, fmt.Errorf("checking %s: %w", path, err)
}

func loadCSVFile(ctx context.Context, spec *contract.Table, path string, opts Options) (*table.Table, TableStats, []Reject, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, TableStats{Table: spec.Name, File: path}, nil, fmt.Errorf("opening %s: %w", path, err)
	}
	defer f.Close()
	var size int64
	if fi, err := f.Stat(); err == nil {
		size = fi.Size()
	}
	return loadCSV(ctx, spec, path, f, size, opts)
}

func loadSource(ctx context.Context, spec *contract.Table, src *Source, opts Options) (*table.Table, TableStats, []Reject, error) {
	r, err := src.Open()
	if err != nil {
		return nil, TableStats{Table: spec.Name, File: src.Name}, nil, fmt.Errorf("opening %s: %w", src.Name, err)
	}
	defer r.Close()
	return loadCSV(ctx, spec, src.Name, r, src.Size, opts)
}

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("opening %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// PrefetchNames starts computing PersonNames in the background. A run
// needs the names only at its end (names.json, masking), where they took
// 0.3 s of wall time on M after everything else; started after the load,
// the scan of the register fills the cores the detectors leave idle.
// Release waits for it.
func (d *Dataset) PrefetchNames() {
	if t := d.Tables["persons"]; d.Names != nil || d.prefetch != nil || t == nil || !t.Has("name") {
		return
	}
	done := make(chan struct{})
	d.prefetch = done
	go func() {
		defer close(done)
		d.PersonNames()
	}()
}

// PersonNames returns the distinct names in the persons register, sorted.
// Masking needs them: a name in free text (a ledger summary 陪同张三…) can
// only be recognised by knowing it. The list is computed once per persons
// table (several outputs ask for it); callers must not modify it.
func (d *Dataset) PersonNames() []string {
	if d.Names != nil {
		return d.Names
	}
	t := d.Tables["persons"]
	if t == nil || !t.Has("name") {
		return nil
	}
	d.namesMu.Lock()
	defer d.namesMu.Unlock()
	if d.namesOf != t {
		d.names, d.namesOf = distinctNames(t.Str("name")), t
	}
	return d.names
}

// distinctNames is the distinct non-empty values of col, sorted. The
// set holds copies of the names: its keys then sit together in a few MB,
// where keys pointing into the column (as before) made every lookup of
// 2.4M persons compare against a random place in 190 MB.
func distinctNames(col *array.String) []string {
	seen := make(map[string]struct{}, col.Len()/8)
	var out []string
	for i := 0; i < col.Len(); i++ {
		if col.IsNull(i) {
			continue
		}
		n := col.Value(i)
		if _, ok := seen[n]; n != "" && !ok {
			n = strings.Clone(n)
			seen[n] = struct{}{}
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}
