package service

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/fixturetest"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/pgtest"
	"github.com/neijiang/xiaowei/internal/run"
	"github.com/neijiang/xiaowei/internal/store"
	"github.com/neijiang/xiaowei/internal/tooltest"
)

// setup imports a small dataset into a private schema and writes a rule
// folder; it returns a config template for that schema.
func setup(t *testing.T) (*Config, *store.Store) {
	t.Helper()
	url, schema := pgtest.Schema(t)
	dir := t.TempDir()
	data, rules := filepath.Join(dir, "data"), filepath.Join(dir, "rules")
	os.MkdirAll(data, 0o755)
	os.MkdirAll(rules, 0o755)
	os.WriteFile(filepath.Join(rules, "cash.yaml"), []byte(fixturetest.LargeCashRule), 0o644)
	rows := map[string][]string{
		"villages": {"511002101204,牛桥村,511002101,史家镇,511002,市中区", "511002103201,梅堂湾村,511002103,朝阳镇,511002,市中区"},
		"ledger": {"E1,511002101204,2024-01-01,V1,cash,in,3000.00,opening,,期初,,",
			"E2,511002101204,2024-01-05,V2,cash,out,1200.00,expense,某五金店,购材料,P1,",
			"E5,511002103201,2024-01-08,V5,cash,out,5000.00,expense,某公司,工程款,P2,"},
	}
	fixturetest.WriteDataset(t, data, rows)
	ctx := context.Background()
	st, err := store.Open(ctx, url, schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	ds, err := load.Load(ctx, data, load.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Release()
	if _, err := st.Import(ctx, ds, store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig([]byte(fmt.Sprintf("database: %s\nschema: %s\nlisten: 127.0.0.1:0\nweb: {public: [/healthz, /metrics, /runs]}\nout_dir: %s\nrules: [%s]\nbuiltin_rules: false\n",
		url, schema, filepath.Join(dir, "out"), rules)), "test")
	if err != nil {
		t.Fatal(err)
	}
	return cfg, st
}

func quietLog(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// specAt is a 6-field cron spec that fires once, at t (whole second).
func specAt(t time.Time) string {
	t = t.In(civil.Shanghai)
	return fmt.Sprintf("%d %d %d %d %d *", t.Second(), t.Minute(), t.Hour(), t.Day(), int(t.Month()))
}

func count(t *testing.T, st *store.Store, table string) int {
	t.Helper()
	if table != "runs" {
		t.Fatalf("count: only runs are counted, not %s", table)
	}
	n, err := st.RunCount(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}

// Two instances on one schedule make one run; the one that ran counts it
// in /metrics; both stop cleanly when their context is cancelled.
func TestTwoInstancesOneRun(t *testing.T) {
	t.Parallel()
	cfg, st := setup(t)
	slot := time.Now().Add(2 * time.Second).Truncate(time.Second)
	cfg.Nightly.Schedule = specAt(slot)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var svcs []*Service
	errs := make(chan error, 2)
	for i := 0; i < 2; i++ {
		s, err := New(cfg, quietLog(t).With("instance", i), "test")
		if err != nil {
			t.Fatal(err)
		}
		svcs = append(svcs, s)
		go func() { errs <- s.Serve(ctx) }()
	}
	for _, s := range svcs {
		select {
		case <-s.Ready():
		case <-time.After(10 * time.Second):
			t.Fatal("service not ready")
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		if n := len(svcs[0].Attempts()) + len(svcs[1].Attempts()); n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("attempts: %v %v", svcs[0].Attempts(), svcs[1].Attempts())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := count(t, st, "runs"); n != 1 {
		t.Errorf("%d runs recorded, want 1", n)
	}
	var ran *Service
	outcomes := map[string]int{}
	for _, s := range svcs {
		for _, a := range s.Attempts() {
			outcomes[a.Outcome]++
			if a.Outcome == "completed" {
				ran = s
				if !a.ScheduledFor.Equal(slot) {
					t.Errorf("slot %v, want %v", a.ScheduledFor, slot)
				}
				if a.Findings != 2 {
					t.Errorf("findings %d, want 2", a.Findings)
				}
			}
		}
	}
	if outcomes["completed"] != 1 || outcomes["locked"]+outcomes["already_done"] != 1 {
		t.Fatalf("outcomes %v", outcomes)
	}
	if h := get(t, "http://"+ran.Addr()+"/healthz"); !strings.Contains(h, "ok") {
		t.Errorf("/healthz %s", h)
	}
	if r := get(t, "http://"+ran.Addr()+"/runs"); !strings.Contains(r, `"job": "nightly"`) || !strings.Contains(r, `"findings": 2`) {
		t.Errorf("/runs %s", r)
	}
	m := get(t, "http://"+ran.Addr()+"/metrics")
	for _, want := range []string{`xiaowei_runs_total{job="nightly",outcome="completed"} 1`, `xiaowei_findings{family="cash",job="nightly",severity="low"} 2`,
		`xiaowei_stage_duration_seconds_count{job="nightly",stage="record"} 1`, `xiaowei_run_duration_seconds_count{job="nightly",outcome="completed"} 1`,
		`xiaowei_http_requests_total{code="200",handler="runs",method="get"} 1`, "go_goroutines ", "process_resident_memory_bytes ", "xiaowei_out_dir_bytes ", `xiaowei_retained_runs{kind="db"} 1`,
		`xiaowei_last_recorded_run_timestamp_seconds{job="nightly"} `, "xiaowei_run_groups_unfinished 0", `xiaowei_last_success_timestamp_seconds{job="nightly"} `, `xiaowei_rows_rejected{job="nightly"} 0`} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, m)
		}
	}
	promtoolCheckMetrics(t, m)
	cancel()
	for i := 0; i < 2; i++ {
		select {
		case err := <-errs:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Serve did not return after cancel")
		}
	}
}

// Missed nightly runs since the last completed one are made up at
// start-up, at most catch_up_limit of them, as of the day before each slot.
func TestCatchUpBounded(t *testing.T) {
	t.Parallel()
	cfg, st := setup(t)
	cfg.Nightly.Schedule = "0 2 * * *"
	cfg.Nightly.CatchUpLimit = 2
	ctx := context.Background()
	// A nightly run completed five days ago.
	now := time.Now().In(civil.Shanghai)
	last := time.Date(now.Year(), now.Month(), now.Day(), 2, 0, 0, 0, civil.Shanghai).AddDate(0, 0, -5)
	ds, err := st.ReadDataset(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Release()
	o := run.Options{Scope: run.Scope{AsOf: civil.FromTime(last) - 1}}
	if _, err := st.Record(ctx, store.RunMeta{RunID: store.NewRunID(last), Job: "nightly", ScheduledFor: last, StartedAt: last},
		&o, &run.Outcome{Dataset: ds, Summary: &run.Summary{}, Manifest: &run.Manifest{}}); err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg, quietLog(t), "test")
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Serve(sctx) }()
	select {
	case <-s.Ready():
	case <-time.After(30 * time.Second):
		t.Fatal("not ready")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	runs, err := st.RecentRuns(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].ScheduledFor.Before(*runs[j].ScheduledFor) })
	var asOfs []string
	for _, r := range runs {
		asOfs = append(asOfs, r.AsOf)
	}
	// the old run + the two most recent missed slots
	if len(asOfs) != 3 {
		t.Fatalf("runs as of %v, want the old one and two caught up", asOfs)
	}
	latest := time.Date(now.Year(), now.Month(), now.Day(), 2, 0, 0, 0, civil.Shanghai)
	if now.Before(latest) {
		latest = latest.AddDate(0, 0, -1)
	}
	if want := (civil.FromTime(latest) - 1).String(); asOfs[2] != want {
		t.Errorf("last caught-up run as of %s, want %s", asOfs[2], want)
	}
}

// Config errors are all reported at once; a campaign's scope is its towns
// and window, cut at the day before its slot.
func TestConfigErrors(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	_, err := ParseConfig([]byte("nightly: {schedule: \"bad\"}\ncampaigns:\n  - name: x\n    from: 2025-13-01\n  - name: x\n    once: 2025-07-01 09:00\n    schedule: \"@daily\"\nunknown: 1\n"), "c.yaml")
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, want := range []string{"unknown"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	_, err = ParseConfig([]byte("nightly: {schedule: \"bad\"}\ncampaigns:\n  - name: x\n    from: 2025-13-01\n  - name: x\n    once: 2025-07-01 09:00\n    schedule: \"@daily\"\n"), "c.yaml")
	for _, want := range []string{"no database", "nightly.schedule", "from", "duplicate name x", "exactly one of schedule and once"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	c, err := ParseConfig([]byte("database: postgres://u:pw@h/db\ncampaigns:\n  - name: 朝阳镇代收款专项\n    towns: [\"511002103\"]\n    from: 2025-01-01\n    to: 2025-06-30\n    once: 2025-07-01 09:00\n"), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(c, nil, "t")
	if err != nil {
		t.Fatal(err)
	}
	j := s.jobs[1]
	sc := scopeFor(j, time.Date(2025, 7, 1, 9, 0, 0, 0, civil.Shanghai))
	if sc.AsOf.String() != "2025-06-30" || sc.From.String() != "2025-01-01" || sc.To.String() != "2025-06-30" || sc.Towns[0] != "511002103" {
		t.Errorf("campaign scope %+v", sc)
	}
	if s.jobs[0].name != "nightly" || j.name != "campaign:朝阳镇代收款专项" {
		t.Errorf("jobs %s %s", s.jobs[0].name, j.name)
	}
}

// promtoolCheckMetrics lints a real /metrics page with promtool (naming,
// units, _total suffixes, help text).
func promtoolCheckMetrics(t *testing.T, page string) {
	t.Helper()
	cmd := exec.Command(tooltest.Require(t, "promtool", "prometheus"), "check", "metrics")
	cmd.Stdin = strings.NewReader(page)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s\npage:\n%s", err, out, page)
	}
}

// TestConfigBadDatabaseURL: `serve --check` refuses a database URL that
// would not parse at start-up, and says why without the password.
func TestConfigBadDatabaseURL(t *testing.T) {
	for _, c := range []struct{ name, url, want string }{
		{"bad escape", "postgres://u:hunter%zz2@h/db", "invalid percent-encoded token"},
		{"space in password", "'postgres://u:hunter 2@h/db'", "unexpected spaces"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseConfig([]byte("database: "+c.url+"\n"), "c.yaml")
			if err == nil {
				t.Fatal("accepted")
			}
			if strings.Contains(err.Error(), "hunter") || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "c.yaml") {
				t.Errorf("error %q: want c.yaml, %q and no password", err, c.want)
			}
		})
	}
}

// TestSIGTERMAroundCommit: the outcome a job reports is what the database
// holds. A cancellation that lands after the run's last write lets the
// commit finish and reports the run completed and stored; one that lands
// before a write rolls back and reports it cancelled, with nothing stored.
func TestSIGTERMAroundCommit(t *testing.T) {
	for _, c := range []struct {
		name        string
		writerFails bool // the in-transaction writer sees the cancellation
		outcome     string
		stored      bool
		runs        int
	}{
		{"after the last write", false, "completed", true, 1},
		{"before a write", true, "canceled", false, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, st := setup(t)
			s, err := New(cfg, quietLog(t), "t")
			if err != nil {
				t.Fatal(err)
			}
			s.st = st
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			// SIGTERM arrives inside the transaction, after every other write
			s.InTx = func(*store.Store, *run.Outcome) []store.TxWriter {
				return []store.TxWriter{func(ctx context.Context, tx pgx.Tx, runID string) error {
					cancel()
					if c.writerFails {
						_, err := tx.Exec(ctx, "select 1")
						return err
					}
					return nil
				}}
			}
			a := s.execute(ctx, s.jobs[0], time.Date(2025, 7, 1, 2, 0, 0, 0, civil.Shanghai))
			if a.Outcome != c.outcome || a.Stored != c.stored {
				t.Errorf("outcome %s stored %v (%s), want %s stored %v", a.Outcome, a.Stored, a.Error, c.outcome, c.stored)
			}
			if n := count(t, st, "runs"); n != c.runs {
				t.Errorf("%d runs stored, want %d", n, c.runs)
			}
		})
	}
}
