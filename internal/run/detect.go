package run

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/table"
)

// detectJob is one detector's build in a run.
type detectJob struct {
	d    engine.Detector
	want map[string]bool
	// after are the jobs that build views this one reads
	// (engine.ViewReader); reads names those views.
	after []*detectJob
	reads []string
	cost  int // a guess at its work (cost)

	out     map[string]*table.Table
	seconds float64
	err     error
}

// buildViews runs the detectors, each building the views wanted of it,
// and adds them to views. Independent detectors run concurrently on up to
// cfg.Workers goroutines; one that reads another's views runs after it.
// What the caller sees does not depend on the schedule: views, ev.Views
// and ev.Stages are filled in detector name order once all have finished,
// and the error returned is that of the first failed detector by name. It
// returns the tables it built, also on error, for the caller to release.
func buildViews(ctx context.Context, want map[engine.Detector]map[string]bool, scoped map[string]*table.Table, cfg EvalConfig, mem memory.Allocator, ev *Evaluation, views map[string]*table.Table) ([]*table.Table, error) {
	jobs, err := detectJobs(want, scoped)
	if err != nil {
		return nil, err
	}
	s := &detectRun{ctx: ctx, scoped: scoped, cfg: cfg, mem: mem, ev: ev}
	schedule(jobs, workers(cfg.Workers), s.build)
	var built []*table.Table
	var first error
	for _, j := range jobs {
		ev.Stages["detect:"+j.d.Name()] += j.seconds
		if j.err != nil && first == nil {
			first = fmt.Errorf("detector %s: %w", j.d.Name(), j.err)
		}
		for _, name := range slices.Sorted(maps.Keys(j.out)) {
			t := j.out[name]
			built = append(built, t)
			if err := checkView(j.d, name, t); err != nil && first == nil {
				first = err
			}
			views[name] = t
			ev.Views[name] = t.Len()
		}
	}
	return built, first
}

// detectJobs makes a job per detector, in name order, and links each to
// the jobs whose views it reads.
func detectJobs(want map[engine.Detector]map[string]bool, scoped map[string]*table.Table) ([]*detectJob, error) {
	jobs := make([]*detectJob, 0, len(want))
	for d, w := range want {
		jobs = append(jobs, &detectJob{d: d, want: w, cost: cost(d, w, scoped)})
	}
	slices.SortFunc(jobs, func(a, b *detectJob) int { return cmp.Compare(a.d.Name(), b.d.Name()) })
	builds := map[string]*detectJob{} // wanted view -> the job that builds it
	for _, j := range jobs {
		for v := range j.want {
			builds[v] = j
		}
	}
	for _, j := range jobs {
		r, ok := j.d.(engine.ViewReader)
		if !ok {
			continue
		}
		for _, v := range r.ReadsViews(j.want) {
			dep := builds[v]
			if dep == nil || dep == j {
				continue // not built by another job: the detector builds it itself
			}
			j.reads = append(j.reads, v)
			if !slices.Contains(j.after, dep) {
				j.after = append(j.after, dep)
			}
		}
	}
	if cyc := cycle(jobs); cyc != "" {
		return nil, fmt.Errorf("detectors read each other's views in a cycle: %s", cyc)
	}
	return jobs, nil
}

// cost guesses a detector's work: the rows each wanted view needs, summed
// over the views (a table several views read counts for each). Counting
// a shared table once misleads: on province data a detector checking one
// reference per row of every table (refcheck) would rank above one
// building six views over the ledger (cash) and the one building five over
// persons, payments and beneficiaries (subsidy), which take 7 and 16
// times as long.
func cost(d engine.Detector, want map[string]bool, scoped map[string]*table.Table) int {
	n := 0
	for _, v := range d.Views() {
		if !want[v.Name] {
			continue
		}
		for _, name := range v.Needs {
			if t := scoped[name]; t != nil {
				n += t.Len()
			}
		}
	}
	return n
}

// detectRun is what every job of one run builds from.
type detectRun struct {
	ctx    context.Context
	scoped map[string]*table.Table
	cfg    EvalConfig
	mem    memory.Allocator
	ev     *Evaluation

	progressMu sync.Mutex
}

// build runs one detector. The jobs it reads have finished, without
// error (schedule).
func (s *detectRun) build(j *detectJob) {
	if s.cfg.Progress != nil {
		s.progressMu.Lock()
		s.cfg.Progress("detect:" + j.d.Name())
		s.progressMu.Unlock()
	}
	start := time.Now()
	defer func() { j.seconds = time.Since(start).Seconds() }()
	in := engine.NewInput(j.d, s.scoped, s.cfg.Scope.AsOf, s.cfg.Scope.From, s.cfg.Scope.To, j.want, s.mem, s.ev.Plan.Settings)
	in.Altered = s.ev.Altered
	for _, dep := range j.after {
		for _, v := range j.reads {
			if t := dep.out[v]; t != nil {
				if in.Views == nil {
					in.Views = map[string]*table.Table{}
				}
				in.Views[v] = t
			}
		}
	}
	j.out, j.err = j.d.Build(s.ctx, in)
}
