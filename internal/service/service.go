package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/run"
	"github.com/neijiang/xiaowei/internal/store"
)

// Service is one instance of `xiaowei serve`.
type Service struct {
	cfg     *Config
	log     *slog.Logger
	st      *store.Store
	version string
	jobs    []*job
	metrics *Metrics

	// Prepare, when set, adjusts each job's run options before it runs
	// (e.g. adds the leads and dispositions post steps, or a record step
	// storing leads); the run is recorded by the service's own record step,
	// which comes first in o.Record.
	Prepare func(ctx context.Context, st *store.Store, o *run.Options) error
	// InTx, when set, gives writers that store more of a run (its leads)
	// inside the transaction that records it.
	InTx func(st *store.Store, out *run.Outcome) []store.TxWriter

	retainMu sync.Mutex // one retention pass at a time

	mu       sync.Mutex
	attempts []Attempt // recent attempts of this instance, newest last
	addr     string
	ready    chan struct{}
}

// job is the nightly run or one campaign.
type job struct {
	name     string // "nightly" or "campaign:<name>"
	sched    cron.Schedule
	campaign *Campaign
	catchUp  int
}

// Attempt is one firing of a job in this instance, whatever came of it.
type Attempt struct {
	Job          string    `json:"job"`
	ScheduledFor time.Time `json:"scheduled_for"`
	RunID        string    `json:"run_id,omitempty"`
	Outcome      string    `json:"outcome"` // completed, failed, canceled, locked, already_done
	// Stored says the run is in the database (outcome completed); a
	// cancelled or failed attempt stored nothing.
	Stored   bool      `json:"stored"`
	Error    string    `json:"error,omitempty"`
	Started  time.Time `json:"started"`
	Seconds  float64   `json:"seconds"`
	Findings int       `json:"findings"`
	New      int       `json:"new"`
	Resolved int       `json:"resolved"`
	Reopened int       `json:"reopened"`
}

// New checks the config and builds the jobs; Serve connects.
func New(cfg *Config, log *slog.Logger, version string) (*Service, error) {
	if log == nil {
		log = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	s := &Service{cfg: cfg, log: log, version: version, metrics: NewMetrics(), ready: make(chan struct{})}
	if cfg.Nightly.Enabled == nil || *cfg.Nightly.Enabled {
		sched, err := parseSpec(cfg.Nightly.Schedule)
		if err != nil {
			return nil, err
		}
		s.jobs = append(s.jobs, &job{name: "nightly", sched: sched, catchUp: cfg.Nightly.CatchUpLimit})
	}
	for _, cp := range cfg.Campaigns {
		j := &job{name: "campaign:" + cp.Name, campaign: cp, catchUp: cfg.Nightly.CatchUpLimit}
		if cp.Once != "" {
			t, err := parseOnce(cp.Once)
			if err != nil {
				return nil, err
			}
			j.sched = onceSchedule{t}
		} else {
			sched, err := parseSpec(cp.Schedule)
			if err != nil {
				return nil, err
			}
			j.sched = sched
		}
		s.jobs = append(s.jobs, j)
	}
	// Every job's outcome counters exist from the start at 0, so the first
	// failure is an increase an alert can see, not a new series.
	for _, j := range s.jobs {
		for _, o := range []string{"completed", "failed", "canceled", "locked", "already_done"} {
			s.metrics.runs.WithLabelValues(j.name, o)
		}
	}
	return s, nil
}

// Metrics are the service's metrics; the workbench instruments its
// handlers with Metrics().InstrumentHandler and registers its own metrics
// on Metrics().Registry(), so /metrics serves them all.
func (s *Service) Metrics() *Metrics { return s.metrics }

// Addr is the HTTP address actually listened on (after Ready).
func (s *Service) Addr() string { s.mu.Lock(); defer s.mu.Unlock(); return s.addr }

// Ready is closed once the HTTP server listens and the scheduler runs.
func (s *Service) Ready() <-chan struct{} { return s.ready }

// Serve runs until ctx is cancelled (SIGTERM): it migrates the schema,
// serves HTTP, makes up missed runs, then runs the jobs on schedule. On
// cancellation the running job's context is cancelled (its transaction
// rolls back), the scheduler stops, and Serve returns nil.
func (s *Service) Serve(ctx context.Context) error {
	s.log.Info("starting", "version", s.version, "database", store.Redact(s.cfg.Database), "schema", s.cfg.Schema,
		"listen", s.cfg.Listen, "jobs", len(s.jobs))
	st, err := store.Open(ctx, s.cfg.Database, s.cfg.Schema)
	if err != nil {
		return err
	}
	defer st.Close()
	s.st = st
	applied, err := st.Migrate(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if len(applied) > 0 {
		s.log.Info("schema migrated", "applied", applied)
	}
	dbc := newDBCollector(st)
	if err := s.metrics.reg.Register(dbc); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	defer s.metrics.reg.Unregister(dbc)

	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", s.cfg.Listen, err)
	}
	s.mu.Lock()
	s.addr = ln.Addr().String()
	s.mu.Unlock()
	h, err := s.handler()
	if err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	httpDone := make(chan error, 1)
	go func() {
		if s.cfg.TLS.Cert != "" {
			httpDone <- srv.ServeTLS(ln, s.cfg.TLS.Cert, s.cfg.TLS.Key)
			return
		}
		httpDone <- srv.Serve(ln)
	}()
	s.log.Info("http listening", "addr", s.Addr())

	// Jobs get a context of their own, cancelled at shutdown: cron.Stop
	// does not cancel running jobs.
	jobCtx, cancelJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelJobs()

	c := cron.New(cron.WithLocation(civil.Shanghai), cron.WithParser(parser),
		cron.WithChain(cron.SkipIfStillRunning(cronLogger{s.log}), cron.Recover(cronLogger{s.log})))
	for _, j := range s.jobs {
		j := j
		c.Schedule(j.sched, cron.FuncJob(func() { s.fire(jobCtx, j) }))
	}
	go func() {
		// Catch-up first (in order, one job at a time), then the schedule.
		s.catchUp(jobCtx)
		s.retain(jobCtx)
		if jobCtx.Err() == nil && ctx.Err() == nil {
			c.Start()
			for _, e := range c.Entries() {
				s.log.Info("scheduled", "next", e.Next.Format(time.RFC3339))
			}
		}
		close(s.ready)
	}()

	select {
	case <-ctx.Done():
	case err := <-httpDone:
		cancelJobs()
		return fmt.Errorf("http: %w", err)
	}
	s.log.Info("shutting down: cancelling running jobs")
	cancelJobs()
	<-s.ready
	stopped := c.Stop()
	select {
	case <-stopped.Done():
	case <-time.After(s.cfg.ShutdownTimeout.Duration):
		s.log.Warn("a job did not stop in time", "timeout", s.cfg.ShutdownTimeout.Duration.String())
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		s.log.Warn("http shutdown", "err", err)
	}
	s.log.Info("stopped")
	return nil
}

// catchUp runs, for each job that has run before (or is a one-off whose
// time has passed), the slots missed since its last completed run, at most
// catch_up_limit of them (the most recent).
func (s *Service) catchUp(ctx context.Context) {
	now := time.Now().In(civil.Shanghai)
	for _, j := range s.jobs {
		if j.catchUp < 0 {
			continue
		}
		last, err := s.st.LastSlot(ctx, j.name)
		if err != nil {
			s.log.Error("catch-up: reading the last run", "job", j.name, "err", err)
			continue
		}
		if last.IsZero() {
			if _, once := j.sched.(onceSchedule); !once {
				continue // never ran: nothing was missed
			}
			last = time.Time{}
		}
		var slots []time.Time
		t := last.In(civil.Shanghai)
		for i := 0; i < 100000; i++ {
			t = j.sched.Next(t)
			if t.IsZero() || t.After(now) {
				break
			}
			slots = append(slots, t)
		}
		if len(slots) > j.catchUp {
			s.log.Warn("catch-up bounded", "job", j.name, "missed", len(slots), "limit", j.catchUp)
			slots = slots[len(slots)-j.catchUp:]
		}
		for _, slot := range slots {
			if ctx.Err() != nil {
				return
			}
			s.log.Info("catching up a missed run", "job", j.name, "slot", slot.Format(time.RFC3339))
			s.execute(ctx, j, slot)
		}
	}
}

// fire is the cron entry point: the slot is the latest scheduled time not
// after now (cron fires at or just after it).
func (s *Service) fire(ctx context.Context, j *job) {
	now := time.Now().In(civil.Shanghai)
	slot := now.Truncate(time.Second)
	t := j.sched.Next(now.Add(-26 * time.Hour))
	for i := 0; !t.IsZero() && !t.After(now) && i < 200000; i++ {
		slot = t
		t = j.sched.Next(t)
	}
	s.execute(ctx, j, slot)
}

// execute runs one job for one slot under the job's advisory lock, taken
// and released on one pinned connection, so two instances never run the
// same job at once; a slot already completed is not run again.
func (s *Service) execute(ctx context.Context, j *job, slot time.Time) Attempt {
	a := Attempt{Job: j.name, ScheduledFor: slot, Started: time.Now()}
	log := s.log.With("job", j.name, "slot", slot.Format(time.RFC3339))
	defer func() {
		a.Seconds = time.Since(a.Started).Seconds()
		s.record(a)
		log.Info("job finished", "outcome", a.Outcome, "stored", a.Stored, "run_id", a.RunID, "seconds", a.Seconds, "findings", a.Findings,
			"new", a.New, "resolved", a.Resolved, "reopened", a.Reopened, "err", a.Error)
	}()
	release, got, err := s.st.TryJobLock(ctx, j.name)
	if err != nil {
		a.Outcome, a.Error = outcomeOf(ctx, err), err.Error()
		return a
	}
	if !got {
		a.Outcome = "locked"
		return a
	}
	defer release()
	if done, err := s.st.SlotDone(ctx, j.name, slot); err != nil {
		a.Outcome, a.Error = outcomeOf(ctx, err), err.Error()
		return a
	} else if done {
		a.Outcome = "already_done"
		return a
	}
	log.Info("job started")
	s.metrics.setRunning(j.name, true)
	defer s.metrics.setRunning(j.name, false)
	rec, out, err := s.runJob(ctx, j, slot, &a)
	if err != nil {
		a.Outcome, a.Error = outcomeOf(ctx, err), err.Error()
		if errors.Is(err, store.ErrDuplicateSlot) {
			a.Outcome = "already_done"
			return a
		}
		// A failure or SIGTERM that lands around the commit must not
		// report a stored run as cancelled: ask the database.
		if a.RunID != "" {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			stored, serr := s.st.RunStored(sctx, a.RunID)
			cancel()
			switch {
			case serr != nil:
				a.Error += fmt.Sprintf(" (whether run %s was stored is unknown: %v)", a.RunID, serr)
			case stored:
				a.Outcome, a.Stored = "completed", true
				a.Error = "stored; a later step failed: " + a.Error
			}
		}
		return a
	}
	a.Outcome, a.Stored = "completed", true
	a.Findings, a.New, a.Resolved, a.Reopened = rec.Findings, rec.New, rec.Resolved, rec.Reopened
	s.metrics.completed(j.name, out, rec)
	s.retain(ctx)
	return a
}

func outcomeOf(ctx context.Context, err error) string {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) {
		return "canceled"
	}
	return "failed"
}

// scopeFor is the run scope of a job at a slot: as_of is the day before
// the slot (the last complete day); a campaign's window is cut at as_of.
func scopeFor(j *job, slot time.Time) run.Scope {
	sc := run.Scope{AsOf: civil.FromTime(slot.In(civil.Shanghai)) - 1}
	if cp := j.campaign; cp != nil {
		sc.Towns, sc.Villages = cp.Towns, cp.Villages
		if cp.to != 0 && cp.to < sc.AsOf {
			sc.AsOf = cp.to
		}
		sc.From, sc.To = cp.from, cp.to
		if sc.To != 0 && sc.To > sc.AsOf {
			sc.To = sc.AsOf
		}
		if sc.From != 0 && sc.From > sc.AsOf {
			sc.From = sc.AsOf
		}
	}
	return sc
}

func (s *Service) runJob(ctx context.Context, j *job, slot time.Time, a *Attempt) (*store.Recorded, *run.Outcome, error) {
	a.RunID = store.NewRunID(time.Now())
	meta := store.RunMeta{RunID: a.RunID, Job: j.name, ScheduledFor: slot, StartedAt: time.Now(), Version: s.version}
	ruleDirs := s.cfg.RuleDirs()
	if j.campaign != nil {
		meta.Campaign = j.campaign.Name
		if len(j.campaign.Rules) > 0 {
			ruleDirs = j.campaign.Rules
		}
	}
	var rec *store.Recorded
	o := run.Options{
		OutDir:   filepath.Join(s.cfg.OutDir, strings.ReplaceAll(j.name, ":", "-"), a.RunID),
		RuleDirs: ruleDirs, Scope: scopeFor(j, slot), Workers: s.cfg.Workers, Version: s.version,
		Campaign: meta.Campaign, SkipBadRules: false,
		Source: func(ctx context.Context) (*load.Dataset, error) { return s.st.ReadDataset(ctx, nil) },
		Record: []run.Step{{Name: "record", Fn: func(ctx context.Context, o *run.Options, out *run.Outcome) error {
			var err error
			var extra []store.TxWriter
			if s.InTx != nil {
				extra = s.InTx(s.st, out)
			}
			rec, err = s.st.Record(ctx, meta, o, out, extra...)
			return err
		}}},
	}
	if s.Prepare != nil {
		if err := s.Prepare(ctx, s.st, &o); err != nil {
			return nil, nil, fmt.Errorf("prepare: %w", err)
		}
	}
	out, err := run.Run(ctx, o)
	if err != nil {
		return nil, nil, err
	}
	if out.Dataset != nil {
		out.Dataset.Release()
	}
	return rec, out, nil
}

func (s *Service) record(a Attempt) {
	s.metrics.attempt(a)
	s.mu.Lock()
	s.attempts = append(s.attempts, a)
	if len(s.attempts) > 100 {
		s.attempts = s.attempts[len(s.attempts)-100:]
	}
	s.mu.Unlock()
}

// Attempts returns this instance's recent attempts, newest last.
func (s *Service) Attempts() []Attempt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Attempt(nil), s.attempts...)
}

// cronLogger sends cron's messages to slog.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "err", err)...)
}
