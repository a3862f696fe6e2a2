package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/neijiang/xiaowei/detectors/all"
	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/dispose"
	"github.com/neijiang/xiaowei/internal/fixturetest"
	"github.com/neijiang/xiaowei/internal/leads"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/pgtest"
	"github.com/neijiang/xiaowei/internal/report"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/run"
	"github.com/neijiang/xiaowei/internal/store"
)

// The test district: town T1 史家镇 (village V1 with a hostile name) and
// town T2 朝阳镇. Cash payments of 1,000 yuan or more are findings,
// attributed to whoever handled them, so each handler is a person lead.
const (
	T1, T2   = "511002101", "511002103"
	V1, V2   = "511002101204", "511002103201"
	V3       = "511002101205"                             // a second village of T1, without people: informant xv1 watches V1 only
	P1, P2   = "511002198001011234", "511002197505052345" // resident ID numbers: never shown unmasked
	Password = "correct-horse-battery"
)

// Hostile values planted in names and summaries: they must render inert.
const (
	hostileVillage = `牛桥村" onmouseover="alert(1)`
	hostileName    = `<script>alert('p1')</script>`
	hostileName2   = `=HYPERLINK("http://x","y")`
	hostileSummary = `<script>alert('summary')</script>购材料`
)

const personRule = `rules:
  - id: TEST-CASH-PERSON
    title: 大额现金支付
    family: cash
    severity: medium
    on: ledger
    when: account == "cash" && direction == "out" && amount >= 1000
    subject: "entry:{{entry_id}}"
    period: "{{date}}"
    amount: amount
    responsible: "{{handled_by}}"
    message: "{{date}}以现金支付{{amount}}元：{{summary}}"
`

// env is one private store with the fixture imported, a rule folder and a
// running workbench.
type env struct {
	t    *testing.T
	st   *store.Store
	srv  *httptest.Server
	web  *Server
	dir  string
	rule string
	logs *syncBuf
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// ledger rows: E1, E3 by P1 in V1; E2 by P2 in V2.
var baseLedger = []string{
	"E0," + V1 + ",2025-01-01,V0,cash,in,90000.00,opening,,期初,,",
	"E9," + V2 + ",2025-01-01,V9,cash,in,90000.00,opening,,期初,,",
	"E1," + V1 + ",2025-01-05,V1,cash,out,5000.00,expense,某五金店," + csvQuote(hostileSummary) + "," + P1 + ",",
	"E3," + V1 + ",2025-02-05,V3,cash,out,2000.00,expense,某五金店,购水泥," + P1 + ",",
	"E2," + V2 + ",2025-01-08,V2,cash,out,8000.00,expense,某公司,工程款," + P2 + ",",
}

func newEnv(t *testing.T) *env {
	t.Helper()
	url, schema := pgtest.Schema(t)
	ctx := context.Background()
	st, err := store.Open(ctx, url, schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, st: st, dir: t.TempDir(), logs: &syncBuf{}}
	e.rule = filepath.Join(e.dir, "rules")
	os.MkdirAll(e.rule, 0o755)
	os.WriteFile(filepath.Join(e.rule, "cash.yaml"), []byte(personRule), 0o644)
	e.importData(baseLedger)
	e.runOnce()
	for _, a := range []struct{ user, role, towns, village string }{
		{"qu", "district", "", ""}, {"qu2", "district", "", ""}, {"zhen1", "town", T1, ""}, {"zhen2", "town", T2, ""},
		{"ld", "leader", "", ""}, {"xx1", "informant", T1, ""}, {"xv1", "informant", "", V1}, {"adm", "admin", "", ""},
	} {
		acc, err := NewAccount(a.user, "", a.role, a.towns, a.village, Password)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.AddAccount(ctx, *acc, "test"); err != nil {
			t.Fatal(err)
		}
	}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.web, err = New(st, Config{MaxFailures: 3, Lockout: time.Minute}, log)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(e.web)
	t.Cleanup(e.srv.Close)
	return e
}

func (e *env) importData(ledger []string) {
	e.t.Helper()
	data := filepath.Join(e.dir, "data")
	os.RemoveAll(data)
	fixturetest.WriteDataset(e.t, data, map[string][]string{
		"villages": {V1 + "," + csvQuote(hostileVillage) + "," + T1 + ",史家镇,511002,市中区",
			V2 + ",梅堂湾村," + T2 + ",朝阳镇,511002,市中区",
			V3 + ",观音村," + T1 + ",史家镇,511002,市中区"},
		"persons": {P1 + "," + hostileName + ",M,1980-01-01,H1,head," + V1 + ",",
			P2 + "," + csvQuote(hostileName2) + ",M,1975-05-05,H2,head," + V2 + ","},
		"ledger": ledger,
	})
	ctx := context.Background()
	ds, err := load.Load(ctx, data, load.Options{})
	if err != nil {
		e.t.Fatal(err)
	}
	defer ds.Release()
	if _, err := e.st.Import(ctx, ds, store.ImportOptions{}); err != nil {
		e.t.Fatal(err)
	}
}

// runOnce is `xiaowei run --db` in small: the stored dataset, the stored
// dispositions applied, leads built and recorded with the run.
func (e *env) runOnce() *store.Recorded {
	e.t.Helper()
	ctx := context.Background()
	var rec *store.Recorded
	meta := store.RunMeta{RunID: store.NewRunID(time.Now()), Job: "nightly", StartedAt: time.Now(), Version: "test"}
	var applied *dispose.Applied
	o := run.Options{OutDir: filepath.Join(e.dir, "out", meta.RunID), RuleDirs: []string{e.rule},
		Scope:  run.Scope{AsOf: civil.MustParse("2025-06-30")},
		Source: func(ctx context.Context) (*load.Dataset, error) { return e.st.ReadDataset(ctx, nil) },
		Post: []run.Step{{Name: "dispositions", Fn: func(ctx context.Context, o *run.Options, out *run.Outcome) error {
			evs, err := report.DispositionsDB(ctx, e.st)
			applied = dispose.Apply(out.Findings, evs, o.Scope.AsOf, "db")
			return err
		}}, {Name: "leads", Fn: func(ctx context.Context, o *run.Options, out *run.Outcome) error {
			var rs []*rules.Rule
			for _, c := range out.Eval.Plan.Rules {
				rs = append(rs, c.Rule)
			}
			ls, err := leads.Build(out.Findings, leads.Input{Tables: out.Dataset.Tables, Rules: leads.RulesOf(rs), AsOf: o.Scope.AsOf, Dispositions: applied})
			if err != nil {
				return err
			}
			var b bytes.Buffer
			if err := leads.WriteJSONL(&b, ls); err != nil {
				return err
			}
			out.Extra["leads.jsonl"] = b.Bytes()
			return nil
		}}},
	}
	o.Record = []run.Step{{Name: "record", Fn: func(ctx context.Context, o *run.Options, out *run.Outcome) error {
		var err error
		rec, err = e.st.Record(ctx, meta, o, out, e.st.LeadsWriter(out, store.DefaultDueDays))
		return err
	}}}
	out, err := run.Run(ctx, o)
	if err != nil {
		e.t.Fatal(err)
	}
	out.Dataset.Release()
	return rec
}

// leadOf is the id of the lead of a person.
func leadOf(pid string) string { return leads.ID("person:" + pid) }

// client is one browser: a cookie jar, no redirects followed.
type client struct {
	e    *env
	hc   *http.Client
	csrf string
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (c *client) do(method, path string, form url.Values) (int, string, http.Header) {
	c.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.e.srv.URL+path, body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := csrfRe.FindStringSubmatch(string(b)); m != nil {
		c.csrf = m[1]
	}
	return resp.StatusCode, string(b), resp.Header
}

func (c *client) get(path string) (int, string) {
	code, body, _ := c.do("GET", path, nil)
	return code, body
}

// post sends a form with the client's CSRF token.
func (c *client) post(path string, kv ...string) (int, string, http.Header) {
	f := url.Values{"csrf": {c.csrf}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Add(kv[i], kv[i+1])
	}
	return c.do("POST", path, f)
}

func (c *client) login(user, pw string) (int, string) {
	c.e.t.Helper()
	c.get("/login")
	code, body, _ := c.do("POST", "/login", url.Values{"csrf": {c.csrf}, "username": {user}, "password": {pw}})
	if code == http.StatusSeeOther {
		c.get("/leads") // picks up the session's CSRF token
	}
	return code, body
}

func (e *env) signIn(user string) *client {
	e.t.Helper()
	c := e.client()
	if code, body := c.login(user, Password); code != http.StatusSeeOther {
		e.t.Fatalf("sign-in %s: %d %s", user, code, body)
	}
	return c
}

func (c *client) cookie(name string) string {
	u, _ := url.Parse(c.e.srv.URL)
	for _, ck := range c.hc.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

var versionRe = regexp.MustCompile(`name="version" value="(\d+)"`)

func version(t *testing.T, page string) string {
	t.Helper()
	m := versionRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no version on the page")
	}
	return m[1]
}

func csvQuote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
