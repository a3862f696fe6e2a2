package service

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/neijiang/xiaowei/internal/run"
	"github.com/neijiang/xiaowei/internal/store"
)

// Buckets span what a run really takes: seconds for a town, up to hours for
// a province on one machine.
var (
	runBuckets   = []float64{1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400}
	stageBuckets = []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600}
	httpBuckets  = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
)

// Metrics are the service's Prometheus metrics on a registry of their own
// (not the global one: two services in one test process do not collide),
// with the Go runtime and process collectors operators expect.
type Metrics struct {
	reg *prometheus.Registry

	runs          *prometheus.CounterVec
	runSeconds    *prometheus.HistogramVec
	stageSeconds  *prometheus.HistogramVec
	findings      *prometheus.GaugeVec
	changes       *prometheus.CounterVec
	rejected      *prometheus.GaugeVec
	rejectedTotal *prometheus.CounterVec
	lastSuccess   *prometheus.GaugeVec
	running       *prometheus.GaugeVec
	outDirBytes   prometheus.Gauge
	retained      *prometheus.GaugeVec
	pruned        *prometheus.CounterVec

	httpRequests *prometheus.CounterVec
	httpSeconds  *prometheus.HistogramVec
	httpInFlight prometheus.Gauge
}

// NewMetrics registers every metric on a new registry.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	f := promauto.With(reg)
	m := &Metrics{reg: reg}
	m.runs = f.NewCounterVec(prometheus.CounterOpts{Name: "xiaowei_runs_total", Help: "Job firings in this instance by outcome (completed, failed, canceled, locked: another instance holds the job, already_done: the slot has a completed run)."}, []string{"job", "outcome"})
	m.runSeconds = f.NewHistogramVec(prometheus.HistogramOpts{Name: "xiaowei_run_duration_seconds", Help: "Wall time of a job firing that ran, by outcome.", Buckets: runBuckets}, []string{"job", "outcome"})
	m.stageSeconds = f.NewHistogramVec(prometheus.HistogramOpts{Name: "xiaowei_stage_duration_seconds", Help: "Seconds per run stage (load, scope, detect:<family>, evaluate, post steps, write, record) of completed runs.", Buckets: stageBuckets}, []string{"job", "stage"})
	m.findings = f.NewGaugeVec(prometheus.GaugeOpts{Name: "xiaowei_findings", Help: "Findings of the job's last completed run by family and severity."}, []string{"job", "family", "severity"})
	m.changes = f.NewCounterVec(prometheus.CounterOpts{Name: "xiaowei_finding_changes_total", Help: "Findings opened (new), resolved and reopened by completed runs."}, []string{"job", "change"})
	m.rejected = f.NewGaugeVec(prometheus.GaugeOpts{Name: "xiaowei_rows_rejected", Help: "Input rows rejected in the job's last completed run."}, []string{"job"})
	m.rejectedTotal = f.NewCounterVec(prometheus.CounterOpts{Name: "xiaowei_rows_rejected_total", Help: "Input rows rejected, summed over completed runs."}, []string{"job"})
	m.lastSuccess = f.NewGaugeVec(prometheus.GaugeOpts{Name: "xiaowei_last_success_timestamp_seconds", Help: "Unix time the job last completed a run in this instance."}, []string{"job"})
	m.running = f.NewGaugeVec(prometheus.GaugeOpts{Name: "xiaowei_job_running", Help: "1 while the job runs in this instance."}, []string{"job"})
	m.outDirBytes = f.NewGauge(prometheus.GaugeOpts{Name: "xiaowei_out_dir_bytes", Help: "Disk used by the run folders under out_dir, measured at the last retention pass."})
	m.retained = f.NewGaugeVec(prometheus.GaugeOpts{Name: "xiaowei_retained_runs", Help: "Runs kept after the last retention pass: run folders (dirs) and stored runs (db)."}, []string{"kind"})
	m.pruned = f.NewCounterVec(prometheus.CounterOpts{Name: "xiaowei_retention_removed_total", Help: "Run folders (dirs) and stored runs (db) removed by retention."}, []string{"kind"})
	m.httpRequests = f.NewCounterVec(prometheus.CounterOpts{Name: "xiaowei_http_requests_total", Help: "HTTP requests served, by handler, method and status code."}, []string{"handler", "method", "code"})
	m.httpSeconds = f.NewHistogramVec(prometheus.HistogramOpts{Name: "xiaowei_http_request_duration_seconds", Help: "HTTP request latency by handler and method.", Buckets: httpBuckets}, []string{"handler", "method"})
	m.httpInFlight = f.NewGauge(prometheus.GaugeOpts{Name: "xiaowei_http_requests_in_flight", Help: "HTTP requests being served."})
	return m
}

// Registry is where other parts of the service (the workbench) register
// metrics of their own, so one /metrics serves them all.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves /metrics (text or OpenMetrics by content negotiation),
// counting its own scrapes.
func (m *Metrics) Handler() http.Handler {
	return m.InstrumentHandler("metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg}))
}

// InstrumentHandler wraps h so its requests are counted
// (xiaowei_http_requests_total), timed (xiaowei_http_request_duration_seconds)
// and tracked in flight, under handler=name. name is a route, not a URL:
// label values must stay few ("runs", "workbench_findings"), never an id.
func (m *Metrics) InstrumentHandler(name string, h http.Handler) http.Handler {
	l := prometheus.Labels{"handler": name}
	return promhttp.InstrumentHandlerInFlight(m.httpInFlight,
		promhttp.InstrumentHandlerDuration(m.httpSeconds.MustCurryWith(l),
			promhttp.InstrumentHandlerCounter(m.httpRequests.MustCurryWith(l), h)))
}

func (m *Metrics) setRunning(job string, on bool) {
	v := 0.0
	if on {
		v = 1
	}
	m.running.WithLabelValues(job).Set(v)
}

// attempt counts a firing; ran is false for the firings that did not run
// (locked, already_done), which are not timed.
func (m *Metrics) attempt(a Attempt) {
	m.runs.WithLabelValues(a.Job, a.Outcome).Inc()
	m.running.WithLabelValues(a.Job).Add(0) // the series exists from the first firing
	if a.Outcome != "locked" && a.Outcome != "already_done" {
		m.runSeconds.WithLabelValues(a.Job, a.Outcome).Observe(a.Seconds)
	}
	if a.Outcome == "completed" {
		m.lastSuccess.WithLabelValues(a.Job).Set(float64(a.Started.Add(time.Duration(a.Seconds * float64(time.Second))).Unix()))
	}
}

func (m *Metrics) completed(job string, out *run.Outcome, rec *store.Recorded) {
	for stage, sec := range out.Stages {
		m.stageSeconds.WithLabelValues(job, stage).Observe(sec)
	}
	// The last run's findings replace the previous run's: a family with none
	// now reads 0, not its old count.
	m.findings.DeletePartialMatch(prometheus.Labels{"job": job})
	counts := map[[2]string]int{}
	for _, f := range out.Findings {
		counts[[2]string{f.Family, string(f.Severity)}]++
	}
	for k, n := range counts {
		m.findings.WithLabelValues(job, k[0], k[1]).Set(float64(n))
	}
	m.changes.WithLabelValues(job, "new").Add(float64(rec.New))
	m.changes.WithLabelValues(job, "resolved").Add(float64(rec.Resolved))
	m.changes.WithLabelValues(job, "reopened").Add(float64(rec.Reopened))
	if out.Summary != nil {
		m.rejected.WithLabelValues(job).Set(float64(out.Summary.Rejected))
		m.rejectedTotal.WithLabelValues(job).Add(float64(out.Summary.Rejected))
	}
}
