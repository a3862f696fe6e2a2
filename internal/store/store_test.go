package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/fixturetest"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/pgtest"
	"github.com/neijiang/xiaowei/internal/run"
)

var villages = []string{
	"511002101204,牛桥村,511002101,史家镇,511002,市中区",
	"511002103201,梅堂湾村,511002103,朝阳镇,511002,市中区",
}

func ledger(extra ...string) []string {
	return append([]string{
		"E1,511002101204,2024-01-01,V1,cash,in,3000.00,opening,,期初,,",
		"E2,511002101204,2024-01-05,V2,cash,out,1200.00,expense,某五金店,购材料,P1,",
		"E3,511002101204,2024-01-06,V3,cash,out,999.99,expense,某五金店,购材料,P1,",
		"E4,511002101204,2024-01-07,V4,cash,out,1000.00,expense,某饭店,接待,P1,",
		"E5,511002103201,2024-01-08,V5,cash,out,5000.00,expense,某公司,工程款,P2,",
	}, extra...)
}

type fixture struct {
	st    *Store
	data  string
	rules string
	out   string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	url, schema := pgtest.Schema(t)
	ctx := context.Background()
	st, err := Open(ctx, url, schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	f := &fixture{st: st, data: filepath.Join(dir, "data"), rules: filepath.Join(dir, "rules"), out: filepath.Join(dir, "out")}
	os.MkdirAll(f.rules, 0o755)
	os.WriteFile(filepath.Join(f.rules, "cash.yaml"), []byte(fixturetest.LargeCashRule), 0o644)
	return f
}

func (f *fixture) importRows(t *testing.T, ledgerRows []string) *load.Dataset {
	t.Helper()
	fixturetest.WriteDataset(t, f.data, map[string][]string{"villages": villages, "ledger": ledgerRows})
	ctx := context.Background()
	ds, err := load.Load(ctx, f.data, load.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ds.Release)
	if _, err := f.st.Import(ctx, ds, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	return ds
}

func (f *fixture) run(ctx context.Context, t *testing.T, scope run.Scope) (*Recorded, error) {
	t.Helper()
	if scope.AsOf == 0 {
		scope.AsOf = civil.MustParse("2025-06-30")
	}
	var rec *Recorded
	meta := RunMeta{RunID: NewRunID(time.Now()), Job: "manual", StartedAt: time.Now()}
	_, err := run.Run(ctx, run.Options{OutDir: f.out, RuleDirs: []string{f.rules}, Scope: scope,
		Source: func(ctx context.Context) (*load.Dataset, error) { return f.st.ReadDataset(ctx, nil) },
		Record: []run.Step{{Name: "record", Fn: func(ctx context.Context, o *run.Options, out *run.Outcome) error {
			var err error
			rec, err = f.st.Record(ctx, meta, o, out)
			return err
		}}}})
	return rec, err
}

type row struct {
	status    string
	timesSeen int
	reopened  int
}

func (f *fixture) findings(t *testing.T) map[string]row {
	t.Helper()
	rows, err := f.st.pool.Query(context.Background(), "select subject, status, times_seen, reopened from "+f.st.T("findings"))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]row{}
	for rows.Next() {
		var s string
		var r row
		if err := rows.Scan(&s, &r.status, &r.timesSeen, &r.reopened); err != nil {
			t.Fatal(err)
		}
		if _, dup := out[s]; dup {
			t.Errorf("duplicate finding for %s", s)
		}
		out[s] = r
	}
	return out
}

// snapshot is every service table's content, to compare before and after.
func (f *fixture) snapshot(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, tb := range []string{"runs", "findings", "finding_events"} {
		var s string
		if err := f.st.pool.QueryRow(context.Background(), "select coalesce(string_agg(x::text, E'\\n' order by x::text), '') from "+f.st.T(tb)+" x").Scan(&s); err != nil {
			t.Fatal(err)
		}
		b.WriteString(tb + ":\n" + s + "\n")
	}
	return b.String()
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	again, err := f.st.Migrate(context.Background())
	if err != nil || len(again) != 0 {
		t.Fatalf("second migrate applied %v, %v", again, err)
	}
	ms, _ := Migrations()
	if v, err := f.st.Version(context.Background()); err != nil || v != ms[len(ms)-1].Version {
		t.Fatalf("version %d %v", v, err)
	}
}

func TestReadDatasetMatchesLoader(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ds := f.importRows(t, ledger("E9,511002101204,2024-13-01,V9,cash,out,1.00,expense,,,,"))
	got, err := f.st.ReadDataset(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Release()
	if strings.Join(got.Missing, ",") != "kinship" {
		t.Errorf("missing %v", got.Missing)
	}
	for name, want := range ds.Tables {
		if !array.RecordEqual(want.Rec, got.Tables[name].Rec) {
			t.Errorf("table %s differs after the round trip:\nfile %v\ndb   %v", name, want.Rec, got.Tables[name].Rec)
		}
	}
	for _, s := range got.Stats {
		if s.Table == "ledger" && (s.Read != 5 || s.Loaded != 5 || s.Rejected != 0) {
			t.Errorf("ledger stats %+v", s)
		}
	}
	// Re-importing replaces: a smaller ledger leaves only its rows.
	f.importRows(t, ledger()[:2])
	got2, err := f.st.ReadDataset(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer got2.Release()
	if n := got2.Tables["ledger"].Len(); n != 2 {
		t.Errorf("after re-import ledger has %d rows, want 2", n)
	}
}

func TestReadDatasetChecksRows(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.importRows(t, ledger())
	// Another tool writes an empty required id: constraints allow '' but the
	// contract does not.
	if _, err := f.st.pool.Exec(context.Background(), "update "+f.st.D("ledger")+" set village_id = '' where entry_id = 'E3'"); err != nil {
		t.Fatal(err)
	}
	ds, err := f.st.ReadDataset(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Release()
	if len(ds.Rejects) != 1 || ds.Rejects[0].Line != 3 || ds.Rejects[0].Column != "village_id" {
		t.Fatalf("rejects %+v", ds.Rejects)
	}
	for _, s := range ds.Stats {
		if s.Read != s.Loaded+s.Rejected {
			t.Errorf("%s: read %d != loaded %d + rejected %d", s.Table, s.Read, s.Loaded, s.Rejected)
		}
	}
}

func TestSameRunTwiceThenFixedThenBack(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	f.importRows(t, ledger())
	for i := 1; i <= 2; i++ {
		rec, err := f.run(ctx, t, run.Scope{})
		if err != nil {
			t.Fatal(err)
		}
		if rec.Findings != 3 {
			t.Fatalf("run %d: %d findings, want 3 (E2, E4, E5)", i, rec.Findings)
		}
		if want := map[int]int{1: 3, 2: 0}[i]; rec.New != want {
			t.Errorf("run %d: new %d, want %d", i, rec.New, want)
		}
	}
	fs := f.findings(t)
	if len(fs) != 3 {
		t.Fatalf("%d finding rows after two runs, want 3: %v", len(fs), fs)
	}
	for s, r := range fs {
		if r.timesSeen != 2 || r.status != "open" {
			t.Errorf("%s: %+v, want open and seen twice", s, r)
		}
	}

	// The cause of E2 is fixed (the expense was split into small amounts
	// correctly booked); a campaign on 朝阳镇 only must not resolve 史家镇's.
	rows := ledger()
	rows[1] = "E2,511002101204,2024-01-05,V2,cash,out,200.00,expense,某五金店,购材料,P1,"
	f.importRows(t, rows)
	rec, err := f.run(ctx, t, run.Scope{Towns: []string{"511002103"}})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Resolved != 0 || f.findings(t)["entry:E2"].status != "open" {
		t.Errorf("a campaign outside the village resolved E2: %+v", rec)
	}
	rec, err = f.run(ctx, t, run.Scope{})
	if err != nil {
		t.Fatal(err)
	}
	fs = f.findings(t)
	if rec.Resolved != 1 || fs["entry:E2"].status != "resolved" || fs["entry:E4"].status != "open" {
		t.Errorf("after the fix: %+v %v", rec, fs)
	}
	// It comes back: reopened.
	f.importRows(t, ledger())
	rec, err = f.run(ctx, t, run.Scope{})
	if err != nil {
		t.Fatal(err)
	}
	fs = f.findings(t)
	if rec.Reopened != 1 || fs["entry:E2"].status != "open" || fs["entry:E2"].reopened != 1 || fs["entry:E2"].timesSeen != 3 {
		t.Errorf("after the relapse: %+v %v", rec, fs)
	}
	var events int
	f.st.pool.QueryRow(ctx, "select count(*) from "+f.st.T("finding_events")+" where finding_id = (select finding_id from "+f.st.T("findings")+" where subject = 'entry:E2')").Scan(&events)
	if events != 3 {
		t.Errorf("E2 has %d events, want opened, resolved, reopened", events)
	}
}

func TestRunKilledMidWriteLeavesTables(t *testing.T) {
	// Not parallel: the hook is global (parallel tests resume only after it).
	f := newFixture(t)
	f.importRows(t, ledger())
	if _, err := f.run(context.Background(), t, run.Scope{}); err != nil {
		t.Fatal(err)
	}
	rows := ledger()
	rows[1] = "E2,511002101204,2024-01-05,V2,cash,out,200.00,expense,某五金店,购材料,P1,"
	rows = append(rows, "E6,511002101204,2024-02-01,V6,cash,out,3000.00,expense,某店,购物,P1,")
	f.importRows(t, rows)
	before := f.snapshot(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	testHookStageRow = func(i int) {
		if i == 1 {
			cancel() // killed while the findings are being written
			time.Sleep(50 * time.Millisecond)
		}
	}
	defer func() { testHookStageRow = nil }()
	_, err := f.run(ctx, t, run.Scope{})
	if err == nil {
		t.Fatal("the killed run succeeded")
	}
	if after := f.snapshot(t); after != before {
		t.Errorf("a killed run changed the tables:\nbefore %s\nafter %s", before, after)
	}
	if !errors.Is(err, context.Canceled) && !strings.Contains(err.Error(), "cancel") {
		t.Logf("error: %v", err)
	}
}

func TestDuplicateSlotRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.importRows(t, ledger())
	slot := time.Date(2025, 7, 1, 2, 0, 0, 0, civil.Shanghai)
	ctx := context.Background()
	ds, err := f.st.ReadDataset(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Release()
	for i := 0; i < 2; i++ {
		o := run.Options{Scope: run.Scope{AsOf: civil.MustParse("2025-06-30")}}
		out := &run.Outcome{Dataset: ds, Summary: &run.Summary{}, Manifest: &run.Manifest{}}
		_, err := f.st.Record(ctx, RunMeta{RunID: NewRunID(time.Now()), Job: "nightly", ScheduledFor: slot, StartedAt: time.Now()}, &o, out)
		if i == 1 && !errors.Is(err, ErrDuplicateSlot) {
			t.Fatalf("second record of one slot: %v", err)
		} else if i == 0 && err != nil {
			t.Fatal(err)
		}
	}
	if done, err := f.st.SlotDone(ctx, "nightly", slot); !done || err != nil {
		t.Errorf("slot done %v %v", done, err)
	}
}

func TestRedact(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"url", "postgres://u:secret@h:5432/db", "postgres://u:xxxxx@h:5432/db"},
		{"query password", "postgres://h/db?password=secret&sslmode=x", "password=xxxxx"},
		{"key value", "host=h user=u password=secret dbname=d", "password=xxxxx dbname=d"},
		// URLs that do not parse are redacted by their shape
		{"bad escape", "postgres://u:se%zzcret@h:5432/db", "postgres://u:xxxxx@h:5432/db"},
		{"space in password", "postgres://u:se cret@h:5432/db", "postgres://u:xxxxx@h:5432/db"},
		{"slash in password", "postgres://u:se/cret@h/db", "postgres://u:xxxxx@h/db"},
		{"bad query escape", "postgres://h/db?sslmode=%zz&password=secret", "password=xxxxx"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := Redact(c.in)
			if strings.Contains(got, "secret") || strings.Contains(got, "cret") || !strings.Contains(got, c.want) {
				t.Errorf("Redact(%q) = %q, want it to contain %q", c.in, got, c.want)
			}
		})
	}
}

// TestBadURLErrorHidesPassword: a URL that does not parse is an error that
// names the problem but never the password, from Open and CheckURL alike.
func TestBadURLErrorHidesPassword(t *testing.T) {
	for _, c := range []struct{ name, url, want string }{
		{"bad escape", "postgres://u:se%zzcret@127.0.0.1:5432/db", "invalid percent-encoded token"},
		{"space", "postgres://u:se cret@127.0.0.1:5432/db", "unexpected spaces"},
		{"bad port", "postgres://u:se/cret@127.0.0.1/db", "invalid port"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Open(context.Background(), c.url, "")
			cerr := CheckURL(c.url)
			for _, e := range []error{err, cerr} {
				if e == nil {
					t.Fatal("accepted")
				}
				if strings.Contains(e.Error(), "cret") || !strings.Contains(e.Error(), c.want) {
					t.Errorf("error %q: want %q and no password", e, c.want)
				}
			}
		})
	}
}

func TestDispositions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	for _, d := range []Disposition{
		{ID: "L1", Kind: "lead", FindingIDs: []string{"f1", "f2"}, Status: "suppressed", Until: "2025-12-31", Reason: "已立案", DecidedBy: "王某"},
		{ID: "L1", Kind: "lead", FindingIDs: []string{"f1", "f2"}, Status: "confirmed", Reason: "核实属实", DecidedBy: "王某"},
	} {
		if err := f.st.AddDisposition(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := f.st.DispositionEvents(ctx)
	if err != nil || len(evs) != 2 || evs[0].Until != "2025-12-31" || evs[1].Status != "confirmed" || len(evs[1].FindingIDs) != 2 {
		t.Fatalf("events %+v %v", evs, err)
	}
	var status string
	f.st.pool.QueryRow(ctx, "select status from "+f.st.T("dispositions")+" where finding_or_lead_id = 'L1'").Scan(&status)
	if status != "confirmed" {
		t.Errorf("current disposition %s", status)
	}
	if _, err := f.st.pool.Exec(ctx, "delete from "+f.st.T("disposition_events")); err == nil {
		t.Error("disposition_events accepted a delete")
	}
}

// TestMoneyRangeRoundTrip: the loader's largest amount (999,999,999,999.99
// yuan) is what numeric(14,2) holds: it imports, reads back equal, and a
// finding of that amount records (findings.amount is numeric(19,2)).
func TestMoneyRangeRoundTrip(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ds := f.importRows(t, ledger("E9,511002101204,2024-02-01,V9,cash,out,999999999999.99,expense,某公司,工程款,P1,"))
	got, err := f.st.ReadDataset(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Release()
	if !array.RecordEqual(ds.Tables["ledger"].Rec, got.Tables["ledger"].Rec) {
		t.Errorf("ledger differs after the round trip")
	}
	if _, err := f.run(context.Background(), t, run.Scope{}); err != nil {
		t.Fatal(err)
	}
	var amount string
	if err := f.st.pool.QueryRow(context.Background(), "select amount::text from "+f.st.T("findings")+" where subject = 'entry:E9'").Scan(&amount); err != nil {
		t.Fatal(err)
	}
	if amount != "999999999999.99" {
		t.Errorf("stored amount %s", amount)
	}
	var precision int
	if err := f.st.pool.QueryRow(context.Background(), "select numeric_precision from information_schema.columns where table_schema = $1 and table_name = 'leads' and column_name = 'amount'", f.st.Schema).Scan(&precision); err != nil || precision != 19 {
		t.Errorf("leads.amount precision %d %v, want 19", precision, err)
	}
}
