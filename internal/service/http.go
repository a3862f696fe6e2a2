package service

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/neijiang/xiaowei/internal/web"
)

// handler serves /healthz, /metrics and /runs, and the workbench for
// every other path. Only the configured public paths answer without a
// session.
func (s *Service) handler() (http.Handler, error) {
	api := s.apiHandler()
	if !s.cfg.WebEnabled() {
		return api, nil
	}
	wb, err := web.New(s.st, web.Config{IdleTimeout: s.cfg.Web.IdleTimeout.Duration, AbsoluteTimeout: s.cfg.Web.AbsoluteTimeout.Duration,
		DueDays: s.cfg.Web.DueDays, TLS: s.cfg.TLS.Cert != "", TrustedProxies: s.cfg.Web.proxies, MaxFailures: s.cfg.Web.MaxFailures,
		Lockout: s.cfg.Web.Lockout.Duration}, s.log)
	if err != nil {
		return nil, err
	}
	public := map[string]bool{}
	for _, p := range s.cfg.Web.Public {
		public[p] = true
	}
	protected := wb.Protect(api)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p := r.URL.Path; {
		case public[p] && (p == "/healthz" || p == "/metrics" || p == "/runs"):
			api.ServeHTTP(w, r)
		case p == "/healthz" || p == "/metrics" || p == "/runs":
			protected.ServeHTTP(w, r)
		default:
			wb.ServeHTTP(w, r)
		}
	}), nil
}

func (s *Service) apiHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", s.metrics.InstrumentHandler("healthz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "application/json")
		if err := s.st.Ping(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			json.NewEncoder(w).Encode(map[string]string{"status": "database unreachable"})
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"status": "ok"})
	})))
	mux.Handle("GET /metrics", s.metrics.Handler())
	mux.Handle("GET /runs", s.metrics.InstrumentHandler("runs", http.HandlerFunc(s.runsHandler)))
	return mux
}

// RunRow is one completed run as /runs shows it.
type RunRow struct {
	RunID        string     `json:"run_id"`
	Job          string     `json:"job"`
	Campaign     *string    `json:"campaign"`
	ScheduledFor *time.Time `json:"scheduled_for"`
	AsOf         string     `json:"as_of"`
	StartedAt    time.Time  `json:"started_at"`
	FinishedAt   time.Time  `json:"finished_at"`
	Findings     int        `json:"findings"`
	New          int        `json:"new"`
	Reopened     int        `json:"reopened"`
	Resolved     int        `json:"resolved"`
	Rejected     int        `json:"rows_rejected"`
}

// runsHandler lists the recent completed runs from the database (all
// instances) and this instance's recent attempts, including failures and
// skips, which the database does not keep (a failed run leaves it as it was).
func (s *Service) runsHandler(w http.ResponseWriter, r *http.Request) {
	limit := 50
	if v, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && v > 0 && v <= 1000 {
		limit = v
	}
	rows, err := s.st.RecentRuns(r.Context(), limit)
	if err != nil {
		http.Error(w, "database: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	out := struct {
		Runs     []RunRow  `json:"runs"`
		Attempts []Attempt `json:"attempts"`
	}{Runs: make([]RunRow, 0, len(rows)), Attempts: s.Attempts()}
	for _, x := range rows {
		out.Runs = append(out.Runs, RunRow{RunID: x.RunID, Job: x.Job, Campaign: x.Campaign, ScheduledFor: x.ScheduledFor, AsOf: x.AsOf,
			StartedAt: x.StartedAt, FinishedAt: x.FinishedAt, Findings: x.Findings, New: x.New, Reopened: x.Reopened,
			Resolved: x.Resolved, Rejected: x.Rejected})
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(out)
}
