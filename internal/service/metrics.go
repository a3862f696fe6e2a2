package service

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
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
	f := promauto{reg}
	m := &Metrics{reg: reg}
	m.runs = f.counterVec("xiaowei_runs_total", "Job firings in this instance by outcome (completed, failed, canceled, locked: another instance holds the job, already_done: the slot has a completed run).", "job", "outcome")
	m.runSeconds = f.histogramVec("xiaowei_run_duration_seconds", "Wall time of a job firing that ran, by outcome.", runBuckets, "job", "outcome")
	m.stageSeconds = f.histogramVec("xiaowei_stage_duration_seconds", "Seconds per run stage (load, scope, detect:<family>, evaluate, post steps, write, record) of completed runs.", stageBuckets, "job", "stage")
	m.findings = f.gaugeVec("xiaowei_findings", "Findings of the job's last completed run by family and severity.", "job", "family", "severity")
	m.changes = f.counterVec("xiaowei_finding_changes_total", "Findings opened (new), resolved and reopened by completed runs.", "job", "change")
	m.rejected = f.gaugeVec("xiaowei_rows_rejected", "Input rows rejected in the job's last completed run.", "job")
	m.rejectedTotal = f.counterVec("xiaowei_rows_rejected_total", "Input rows rejected, summed over completed runs.", "job")
	m.lastSuccess = f.gaugeVec("xiaowei_last_success_timestamp_seconds", "Unix time the job last completed a run in this instance.", "job")
	m.running = f.gaugeVec("xiaowei_job_running", "1 while the job runs in this instance.", "job")
	m.outDirBytes = prometheus.NewGauge(prometheus.GaugeOpts{Name: "xiaowei_out_dir_bytes", Help: "Disk used by the run folders under out_dir, measured at the last retention pass."})
	reg.MustRegister(m.outDirBytes)
	m.retained = f.gaugeVec("xiaowei_retained_runs", "Runs kept after the last retention pass: run folders (dirs) and stored runs (db).", "kind")
	m.pruned = f.counterVec("xiaowei_retention_removed_total", "Run folders (dirs) and stored runs (db) removed by retention.", "kind")
	m.httpRequests = f.counterVec("xiaowei_http_requests_total", "HTTP requests served, by handler, method and status code.", "handler", "method", "code")
	m.httpSeconds = f.histogramVec("xiaowei_http_request_duration_seconds", "HTTP request latency by handler and method.", httpBuckets, "handler", "method")
	m.httpInFlight = prometheus.NewGauge(prometheus.GaugeOpts{Name: "xiaowei_http_requests_in_flight", Help: "HTTP requests being served."})
	reg.MustRegister(m.httpInFlight)
	return m
}

// promauto registers on a given registry (the library's promauto package
// does too; this keeps the help text and labels on one line each).
type promauto struct{ reg *prometheus.Registry }

func (p promauto) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	p.reg.MustRegister(v)
	return v
}

func (p promauto) gaugeVec(name, help string, labels ...string) *prometheus.GaugeVec {
	v := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	p.reg.MustRegister(v)
	return v
}

func (p promauto) histogramVec(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	v := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
	p.reg.MustRegister(v)
	return v
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
