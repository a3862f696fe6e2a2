package service

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/neijiang/xiaowei/internal/civil"
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

	srv, httpDone, err := s.startHTTP()
	if err != nil {
		return err
	}
	s.log.Info("http listening", "addr", s.Addr())

	// Jobs get a context of their own, cancelled at shutdown: cron.Stop
	// does not cancel running jobs.
	jobCtx, cancelJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelJobs()

	c := s.startSchedule(ctx, jobCtx)

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

// startHTTP listens and serves the handler (TLS when configured); the
// channel gets the server's error when it stops.
func (s *Service) startHTTP() (*http.Server, <-chan error, error) {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return nil, nil, fmt.Errorf("listen %s: %w", s.cfg.Listen, err)
	}
	s.mu.Lock()
	s.addr = ln.Addr().String()
	s.mu.Unlock()
	h, err := s.handler()
	if err != nil {
		ln.Close()
		return nil, nil, err
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
	return srv, httpDone, nil
}

// startSchedule schedules the jobs on jobCtx and, in the background,
// makes up missed runs first (in order, one job at a time), then starts
// the schedule; s.ready closes when that is done.
func (s *Service) startSchedule(ctx, jobCtx context.Context) *cron.Cron {
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
	return c
}

// cronLogger sends cron's messages to slog.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "err", err)...)
}
