package service

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/neijiang/xiaowei/internal/run"
	"github.com/neijiang/xiaowei/internal/store"
)

// metrics are kept by hand in the Prometheus text exposition format
// (version 0.0.4); the set is small and fixed.
type metrics struct {
	mu          sync.Mutex
	runs        map[[2]string]float64 // job, outcome
	stageSum    map[[2]string]float64 // job, stage
	stageCount  map[[2]string]float64
	findings    map[[3]string]float64 // job, family, severity (last completed run)
	changes     map[[2]string]float64 // job, new|resolved|reopened
	rejected    map[string]float64    // job: rows rejected in the last completed run
	rejectedSum map[string]float64
	lastSuccess map[string]float64
	lastSeconds map[string]float64
	running     map[string]float64
	started     time.Time
}

func newMetrics() *metrics {
	return &metrics{runs: map[[2]string]float64{}, stageSum: map[[2]string]float64{}, stageCount: map[[2]string]float64{},
		findings: map[[3]string]float64{}, changes: map[[2]string]float64{}, rejected: map[string]float64{},
		rejectedSum: map[string]float64{}, lastSuccess: map[string]float64{}, lastSeconds: map[string]float64{},
		running: map[string]float64{}, started: time.Now()}
}

func (m *metrics) setRunning(job string, on bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.running[job] = map[bool]float64{true: 1, false: 0}[on]
}

func (m *metrics) attempt(a Attempt) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.runs[[2]string{a.Job, a.Outcome}]++
	if _, ok := m.running[a.Job]; !ok {
		m.running[a.Job] = 0
	}
	if a.Outcome == "completed" {
		m.lastSuccess[a.Job] = float64(a.Started.Add(time.Duration(a.Seconds * float64(time.Second))).Unix())
		m.lastSeconds[a.Job] = a.Seconds
	}
}

func (m *metrics) completed(job string, out *run.Outcome, rec *store.Recorded) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for stage, sec := range out.Stages {
		k := [2]string{job, stage}
		m.stageSum[k] += sec
		m.stageCount[k]++
	}
	for k := range m.findings {
		if k[0] == job {
			m.findings[k] = 0
		}
	}
	for _, f := range out.Findings {
		m.findings[[3]string{job, f.Family, string(f.Severity)}]++
	}
	m.changes[[2]string{job, "new"}] += float64(rec.New)
	m.changes[[2]string{job, "resolved"}] += float64(rec.Resolved)
	m.changes[[2]string{job, "reopened"}] += float64(rec.Reopened)
	if out.Summary != nil {
		m.rejected[job] = float64(out.Summary.Rejected)
		m.rejectedSum[job] += float64(out.Summary.Rejected)
	}
}

func (m *metrics) write(w io.Writer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	family := func(name, typ, help string) { fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ) }
	family("xiaowei_runs_total", "counter", "Job firings in this instance by outcome (completed, failed, canceled, locked: another instance holds the job, already_done: the slot has a completed run).")
	for _, k := range sortedKeys2(m.runs) {
		fmt.Fprintf(w, "xiaowei_runs_total{job=%s,outcome=%s} %s\n", q(k[0]), q(k[1]), num(m.runs[k]))
	}
	family("xiaowei_stage_seconds", "summary", "Seconds spent per run stage (load, scope, detect:*, evaluate, write, record) in completed runs.")
	for _, k := range sortedKeys2(m.stageSum) {
		fmt.Fprintf(w, "xiaowei_stage_seconds_sum{job=%s,stage=%s} %s\n", q(k[0]), q(k[1]), num(m.stageSum[k]))
		fmt.Fprintf(w, "xiaowei_stage_seconds_count{job=%s,stage=%s} %s\n", q(k[0]), q(k[1]), num(m.stageCount[k]))
	}
	family("xiaowei_findings", "gauge", "Findings of the job's last completed run by family and severity.")
	keys3 := make([][3]string, 0, len(m.findings))
	for k := range m.findings {
		keys3 = append(keys3, k)
	}
	sort.Slice(keys3, func(i, j int) bool { return strings.Join(keys3[i][:], "\x00") < strings.Join(keys3[j][:], "\x00") })
	for _, k := range keys3 {
		fmt.Fprintf(w, "xiaowei_findings{job=%s,family=%s,severity=%s} %s\n", q(k[0]), q(k[1]), q(k[2]), num(m.findings[k]))
	}
	family("xiaowei_finding_changes_total", "counter", "Findings opened (new), resolved and reopened by completed runs.")
	for _, k := range sortedKeys2(m.changes) {
		fmt.Fprintf(w, "xiaowei_finding_changes_total{job=%s,change=%s} %s\n", q(k[0]), q(k[1]), num(m.changes[k]))
	}
	family("xiaowei_rows_rejected", "gauge", "Input rows rejected in the job's last completed run.")
	writeJobs(w, "xiaowei_rows_rejected", m.rejected)
	family("xiaowei_rows_rejected_total", "counter", "Input rows rejected, summed over completed runs.")
	writeJobs(w, "xiaowei_rows_rejected_total", m.rejectedSum)
	family("xiaowei_last_success_timestamp_seconds", "gauge", "Unix time the job last completed a run.")
	writeJobs(w, "xiaowei_last_success_timestamp_seconds", m.lastSuccess)
	family("xiaowei_last_run_seconds", "gauge", "Duration of the job's last completed run.")
	writeJobs(w, "xiaowei_last_run_seconds", m.lastSeconds)
	family("xiaowei_job_running", "gauge", "1 while the job runs in this instance.")
	writeJobs(w, "xiaowei_job_running", m.running)
	family("xiaowei_start_time_seconds", "gauge", "Unix time this instance started.")
	fmt.Fprintf(w, "xiaowei_start_time_seconds %d\n", m.started.Unix())
}

func writeJobs(w io.Writer, name string, vals map[string]float64) {
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "%s{job=%s} %s\n", name, q(k), num(vals[k]))
	}
}

func sortedKeys2(m map[[2]string]float64) [][2]string {
	keys := make([][2]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	return keys
}

// q quotes a label value: backslash, double quote and newline escaped.
func q(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

// num prints a sample value without exponent (timestamps stay readable).
func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
