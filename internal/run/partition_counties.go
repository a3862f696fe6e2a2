package run

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/partition"
	"github.com/neijiang/xiaowei/internal/rules"
)

// countiesInFlight is how many counties a partitioned run works on at
// once. One county alone leaves a core idle for much of its time (a
// table's parse, a detector's serial part), so two are in flight on a
// machine with two or more cores; memory then follows the two largest
// counties. More would add memory and little speed: each county already
// loads its tables and builds its views on every core.
func countiesInFlight() int { return min(2, runtime.GOMAXPROCS(0)) }

// countyResult is what one county leaves once its tables are released:
// counts, rejects, the findings on its own villages (detached from its
// buffers) and the register's names.
type countyResult struct {
	stats   []load.TableStats
	missing []string
	rejects []load.Reject
	ev      *Evaluation
	kept    []*findings.Finding
	names   []string
	stages  map[string]float64
	err     error
}

// runCounties works on the plan's counties, countiesInFlight at a time,
// and merges their results into m in county order, so the outcome (and
// which error is reported, the first county's in order) does not depend
// on which county finishes first. It returns the last county's
// evaluation, whose plan is every county's.
func runCounties(ctx context.Context, o Options, set *rules.Set, plan *partition.Plan, m *countyMerge, stages map[string]float64) (*Evaluation, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var totalBytes int64
	for _, p := range plan.Parts {
		totalBytes += p.Bytes
	}
	var (
		mu        sync.Mutex // guards doneRows, doneBytes (progress)
		doneRows  int
		doneBytes int64
		loopStart = time.Now()
		wg        sync.WaitGroup
		slots     = make(chan struct{}, countiesInFlight())
		results   = make([]chan *countyResult, len(plan.Parts))
	)
	for i := range results {
		results[i] = make(chan *countyResult, 1)
	}
	// One goroutine hands out the counties in order as slots free up, so
	// a county starts only when fewer than countiesInFlight are loaded.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for pi := range plan.Parts {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
			}
			if ctx.Err() != nil { // select picks at random when both are ready
				for _, ch := range results[pi:] {
					ch <- &countyResult{err: ctx.Err()}
				}
				return
			}
			mu.Lock()
			progress := countyProgress(o.Progress, pi, len(plan.Parts), plan.Parts[pi].County, doneRows, doneBytes, totalBytes, time.Since(loopStart))
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := runCounty(ctx, o, set, plan, &plan.Parts[pi], progress)
				<-slots
				results[pi] <- r
			}()
		}
	}()
	// No county outlives the run: an error below cancels before returning,
	// and the deferred Wait runs before the deferred cancel.
	defer wg.Wait()
	var ev *Evaluation
	for pi := range plan.Parts {
		r := <-results[pi]
		if r.err != nil {
			cancel()
			return nil, r.err
		}
		for k, v := range r.stages {
			stages[k] += v
		}
		rows := m.addLoad(r.stats, r.missing, r.rejects, &plan.Parts[pi])
		m.addEval(r.ev, r.kept)
		m.addNames(r.names)
		ev = r.ev
		mu.Lock()
		doneRows += rows
		doneBytes += plan.Parts[pi].Bytes
		mu.Unlock()
	}
	return ev, nil
}

// runCounty loads, scopes, builds and evaluates one county and releases
// its tables, keeping what the merge needs. Its stage seconds add up
// across counties in flight at once, so they are CPU-like, not wall.
func runCounty(ctx context.Context, o Options, set *rules.Set, plan *partition.Plan, part *partition.Part, progress func(string)) *countyResult {
	r := &countyResult{stages: map[string]float64{}}
	var ds *load.Dataset
	if err := timed(r.stages, "load", progress, func() error {
		var err error
		ds, err = load.Load(ctx, o.DataDir, load.Options{AsOf: o.Scope.AsOf, NoHash: true, Sources: sources(part)})
		return err
	}); err != nil {
		r.err = fmt.Errorf("county %s: %w", part.County, err)
		return r
	}
	defer ds.Release()
	r.stats, r.missing, r.rejects = ds.Stats, ds.Missing, ds.Rejects
	// as_of is bounded against the whole dataset's dates, not one
	// county's (whose books may end earlier): not checked per county.
	sc := o.Scope
	sc.BoundAsOf = false
	e, err := Pipeline(ctx, ds.Tables, EvalConfig{Rules: set, Scope: sc, Workers: o.Workers, Progress: progress,
		MaxFindingsPerRule: o.MaxFindingsPerRule})
	if err != nil {
		var re rules.Errors
		if errors.As(err, &re) {
			r.err = &RulesError{re}
		} else {
			r.err = fmt.Errorf("county %s: %w", part.County, err)
		}
		return r
	}
	for k, v := range e.Stages {
		r.stages[k] += v
	}
	r.ev = e
	// The county's findings on its own villages (the first county's also
	// on villages no county owns), detached: their strings would otherwise
	// pin the county's column buffers.
	for _, f := range e.Result.Findings {
		if part.Villages[f.VillageID] || (part.First && !plan.Known(f.VillageID)) {
			f.Detach()
			r.kept = append(r.kept, f)
		}
	}
	e.Result.Findings = nil
	r.names = ds.PersonNames()
	return r
}
