package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/neijiang/xiaowei/internal/auth"
)

var totalRe = regexp.MustCompile(`id="total">(\d+)<`)

func total(t *testing.T, page string) string {
	t.Helper()
	m := totalRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no total on the queue page:\n%s", page)
	}
	return m[1]
}

// A town officer sees only their town: through the queue, a lead id, the
// search, the exports and the dashboard; another town's lead is a 404 for
// reading and for every action.
func TestTownScope(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	l1, l2 := leadOf(P1), leadOf(P2)
	qu, z2 := e.signIn("qu"), e.signIn("zhen2")
	if _, page := qu.get("/leads"); total(t, page) != "2" {
		t.Fatalf("district sees %s leads, want 2", total(t, page))
	}
	for _, tc := range []struct {
		name, path string
		code       int
		want       []string
		notWant    []string
	}{
		{"queue", "/leads", 200, []string{l2}, []string{l1, "史家镇"}},
		{"queue filtered by the other town", "/leads?town=" + T1, 200, []string{`id="total">0<`}, []string{l1}},
		{"search by the other lead's id", "/leads?q=" + l1, 200, []string{`id="total">0<`}, []string{`href="/leads/` + l1}},
		{"other town's lead by id", "/leads/" + l1, 404, nil, []string{l1}},
		{"own lead", "/leads/" + l2, 200, []string{l2, "梅堂湾村"}, []string{l1}},
		{"csv export", "/leads/export.csv", 200, []string{l2}, []string{l1}},
		{"csv export filtered by the other town", "/leads/export.csv?town=" + T1, 200, nil, []string{l1}},
		{"dashboard", "/dashboard", 200, []string{`id="n-leads">1<`, `id="involved">8,000.00<`, `id="n-findings">1<`}, []string{"史家镇"}},
		{"audit log", "/admin/audit", 404, nil, []string{l1}},
		{"runs of every town", "/campaigns", 200, nil, []string{l1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := z2.get(tc.path)
			if code != tc.code {
				t.Fatalf("GET %s: %d, want %d", tc.path, code, tc.code)
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("GET %s lacks %q", tc.path, w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(body, w) {
					t.Errorf("GET %s shows %q", tc.path, w)
				}
			}
		})
	}
	t.Run("actions on the other town's lead", func(t *testing.T) {
		for _, a := range []string{"comment", "status", "reveal", "conclude", "due"} {
			code, _, _ := z2.post("/leads/"+l1+"/"+a, "version", "1", "text", "x", "to", "verifying", "reason", "x", "due", "2030-01-01")
			if code != http.StatusNotFound {
				t.Errorf("POST %s on another town's lead: %d, want 404", a, code)
			}
		}
	})
	t.Run("xlsx export", func(t *testing.T) {
		code, body, _ := z2.do("GET", "/leads/export.xlsx", nil)
		if code != 200 {
			t.Fatalf("xlsx: %d", code)
		}
		cells := xlsxCells(t, body)
		if !strings.Contains(cells, l2) || strings.Contains(cells, l1) {
			t.Fatalf("xlsx cells %q: want %s only", cells, l2)
		}
	})
	t.Run("leader reads everything, changes nothing", func(t *testing.T) {
		ld := e.signIn("ld")
		if _, page := ld.get("/leads/" + l1); !strings.Contains(page, "只读") || strings.Contains(page, `id="assign"`) {
			t.Fatal("leader's lead page offers actions")
		}
		if code, _, _ := ld.post("/leads/"+l1+"/comment", "text", "x"); code != http.StatusForbidden {
			t.Fatalf("leader comment: %d, want 403", code)
		}
	})
	t.Run("informant sees only what they filed", func(t *testing.T) {
		xx := e.signIn("xx1")
		if _, page := xx.get("/leads"); total(t, page) != "0" {
			t.Fatalf("informant sees %s leads before filing", total(t, page))
		}
		code, fb, h := xx.post("/file", "village", V1, "who", "王某", "what", "夜里用公车拉私人货物", "where", "村委会院内", "when", "2025-06-01")
		if code != http.StatusSeeOther {
			t.Fatalf("filing: %d %s", code, regexp.MustCompile(`id="form-error">[^<]*`).FindString(fb))
		}
		id := strings.TrimPrefix(h.Get("Location"), "/leads/")
		if _, page := xx.get("/leads"); total(t, page) != "1" || !strings.Contains(page, id) || !strings.Contains(page, "信息员报告") {
			t.Fatalf("informant's queue lacks the lead filed")
		}
		if code, _ := xx.get("/leads/" + l1); code != 404 {
			t.Fatalf("informant reads a run lead: %d", code)
		}
		if code, _, _ := xx.post("/file", "village", V2, "who", "李某", "what", "x"); code != http.StatusUnprocessableEntity {
			t.Fatalf("informant filed in another town: %d", code)
		}
		// The filed lead enters the town's queue and the district's.
		z1 := e.signIn("zhen1")
		if _, page := z1.get("/leads"); !strings.Contains(page, id) {
			t.Fatal("the town does not see the informant's lead")
		}
		// Same village: related to the run's lead there, for the town only.
		if _, page := z1.get("/leads/" + l1); !strings.Contains(page, `id="related"`) || !strings.Contains(page, id) {
			t.Fatal("the informant's lead is not among the related leads of its village")
		}
		if _, page := z2.get("/leads"); strings.Contains(page, id) {
			t.Fatal("another town sees the informant's lead")
		}
	})
}

func xlsxCells(t *testing.T, body string) string {
	t.Helper()
	x, err := excelize.OpenReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows("线索")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, "|") + "\n")
	}
	return b.String()
}

// A state change without the CSRF token, or with another session's, is
// refused and changes nothing; sign-in itself needs the form's token.
func TestCSRF(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	qu, other := e.signIn("qu"), e.signIn("qu2")
	l1 := leadOf(P1)
	for _, tc := range []struct {
		name, token string
	}{{"no token", ""}, {"another session's token", other.csrf}, {"garbage", "x"}} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, _ := qu.do("POST", "/leads/"+l1+"/comment", map[string][]string{"csrf": {tc.token}, "text": {"无令牌"}})
			if code != http.StatusForbidden {
				t.Fatalf("POST: %d, want 403", code)
			}
		})
	}
	if code, _, _ := qu.post("/leads/"+l1+"/comment", "text", "有令牌"); code != http.StatusSeeOther {
		t.Fatalf("POST with the token: %d", code)
	}
	d, err := e.st.Lead(context.Background(), mustScope(t, e, "qu"), l1, 0)
	if err != nil {
		t.Fatal(err)
	}
	var comments []string
	for _, h := range d.History {
		if h.Action == "comment" {
			comments = append(comments, h.Note)
		}
	}
	if strings.Join(comments, ",") != "有令牌" {
		t.Fatalf("comments %v: want only the one with the token", comments)
	}
	c := e.client()
	if code, _, _ := c.do("POST", "/login", map[string][]string{"username": {"qu"}, "password": {Password}}); code != http.StatusForbidden {
		t.Fatalf("sign-in without the form token: %d, want 403", code)
	}
}

func mustScope(t *testing.T, e *env, user string) auth.Scope {
	a, err := e.st.GetAccount(context.Background(), user)
	if err != nil || a == nil {
		t.Fatal(user, err)
	}
	return a.Scope()
}

// The session id changes at sign-in and the old one stops working;
// sign-out ends the session; cookies are HttpOnly and SameSite.
func TestSessionRotation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.signIn("qu")
	first := c.cookie(sessionCookie)
	code, _ := c.login("qu", Password)
	second := c.cookie(sessionCookie)
	if code != http.StatusSeeOther || first == "" || second == "" || first == second {
		t.Fatalf("session ids %q then %q: want two different ones", first, second)
	}
	old := e.client()
	u := e.srv.URL
	req, _ := http.NewRequest("GET", u+"/leads", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: first})
	resp, err := old.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("the pre-sign-in session still works: %d", resp.StatusCode)
	}
	// Cookie attributes.
	c2 := e.client()
	c2.get("/login")
	_, _, h := c2.do("POST", "/login", map[string][]string{"csrf": {c2.csrf}, "username": {"qu"}, "password": {Password}})
	sc := strings.Join(h.Values("Set-Cookie"), "\n")
	if !strings.Contains(sc, sessionCookie+"=") || !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Strict") {
		t.Fatalf("Set-Cookie %q: want an HttpOnly SameSite=Strict session cookie", sc)
	}
	if code, _, _ := c.post("/logout"); code != http.StatusSeeOther {
		t.Fatalf("logout: %d", code)
	}
	if code, _ := c.get("/leads"); code != http.StatusSeeOther {
		t.Fatalf("after sign-out /leads answers %d, want a redirect to sign in", code)
	}
	if code, _ := e.client().get("/dashboard"); code != http.StatusSeeOther {
		t.Fatal("the dashboard answers without a session")
	}
}

// A wrong user and a wrong password get the same answer; repeated failures
// lock the account (even the right password is refused) and throttle the
// address.
func TestSignInThrottling(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client()
	_, wrongUser := c.login("nobody", Password)
	_, wrongPW := c.login("zhen1", "wrong-password-1")
	if !strings.Contains(wrongUser, wrongCredentials) || !strings.Contains(wrongPW, wrongCredentials) {
		t.Fatal("wrong user and wrong password do not get the same message")
	}
	// Two more wrong passwords: three in a row lock zhen1 (MaxFailures 3).
	c.login("zhen1", "wrong-password-2")
	c.login("zhen1", "wrong-password-3")
	if code, body := c.login("zhen1", Password); code != http.StatusUnauthorized || !strings.Contains(body, wrongCredentials) {
		t.Fatalf("locked account signed in: %d", code)
	}
	// The address fails 6 times (2 × MaxFailures); the 7th attempt is throttled
	// whatever the account.
	c.login("nobody", "x") // the 6th failure
	if code, body := c.login("qu", Password); code != http.StatusTooManyRequests || !strings.Contains(body, "尝试次数过多") {
		t.Fatalf("6th attempt from one address: %d, want 429", code)
	}
	a, _ := e.st.GetAccount(context.Background(), "zhen1")
	if a.LockedUntil.IsZero() {
		t.Fatal("zhen1 not locked in the store")
	}
}

// Hostile names, village names and summaries render inert in every page
// and in the exports; personal data is masked and logs carry neither
// passwords nor ID numbers.
func TestHostileInputInert(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	qu := e.signIn("qu")
	xx := e.signIn("xx1")
	code, _, h := xx.post("/file", "village", V1, "who", hostileName2, "what", hostileSummary+` " onmouseover="alert(2)`, "when", "2025-06-01")
	if code != http.StatusSeeOther {
		t.Fatalf("filing: %d %s", code, h)
	}
	filed := strings.TrimPrefix(h.Get("Location"), "/leads/")
	qu.post("/leads/"+leadOf(P1)+"/comment", "text", hostileSummary)
	raw := []string{"<script>", `" onmouseover="`, P1, P2}
	for _, path := range []string{"/leads", "/leads/" + leadOf(P1), "/leads/" + leadOf(P2), "/leads/" + filed, "/dashboard", "/admin/audit", "/campaigns"} {
		t.Run(path, func(t *testing.T) {
			code, body := qu.get(path)
			if code != 200 {
				t.Fatalf("GET %s: %d", path, code)
			}
			for _, r := range raw {
				if strings.Contains(body, r) {
					t.Errorf("GET %s contains %q raw", path, r)
				}
			}
		})
	}
	_, lead := qu.get("/leads/" + leadOf(P1))
	if !strings.Contains(lead, "511002********1234") || !strings.Contains(lead, "&lt;script&gt;") {
		t.Error("the lead page lacks the masked ID or the escaped summary")
	}
	t.Run("csv", func(t *testing.T) {
		_, body := qu.get("/leads/export.csv")
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		checkCells(t, recs)
	})
	t.Run("xlsx", func(t *testing.T) {
		_, body, _ := qu.do("GET", "/leads/export.xlsx", nil)
		x, err := excelize.OpenReader(bytes.NewReader([]byte(body)))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := x.GetRows("线索")
		for r := range rows {
			for c := range rows[r] {
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if f, _ := x.GetCellFormula("线索", cell); f != "" {
					t.Errorf("cell %s holds a formula %q", cell, f)
				}
			}
		}
		checkCells(t, rows)
	})
	t.Run("reveal needs a reason and is logged", func(t *testing.T) {
		if code, body, _ := qu.post("/leads/"+leadOf(P1)+"/reveal", "reason", ""); code != http.StatusConflict || strings.Contains(body, P1) {
			t.Fatalf("reveal without a reason: %d", code)
		}
		code, body, _ := qu.post("/leads/"+leadOf(P1)+"/reveal", "reason", "核对身份")
		if code != 200 || !strings.Contains(body, P1) || strings.Contains(body, "<script>") {
			t.Fatalf("reveal: %d, ID shown %v", code, strings.Contains(body, P1))
		}
		if _, again := qu.get("/leads/" + leadOf(P1)); strings.Contains(again, P1) {
			t.Fatal("the reveal outlived its page")
		}
		es, _ := e.st.AuditLog(context.Background(), mustScope(t, e, "adm"), "reveal", 10)
		if len(es) != 1 || es[0].Actor != "qu" || es[0].Note != "核对身份" {
			t.Fatalf("reveal audit %+v", es)
		}
	})
	logs := e.logs.String()
	for _, secret := range []string{Password, "wrong-password", P1, P2} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log contains %q", secret)
		}
	}
}

// checkCells: no cell of an export starts like a formula, none holds an
// unmasked ID number.
func checkCells(t *testing.T, rows [][]string) {
	t.Helper()
	if len(rows) < 3 {
		t.Fatalf("export has %d rows", len(rows))
	}
	for _, r := range rows {
		for _, c := range r {
			if c != "" && strings.ContainsRune("=+-@", rune(c[0])) {
				t.Errorf("cell %q starts like a formula", c)
			}
			if strings.Contains(c, P1) || strings.Contains(c, P2) {
				t.Errorf("cell %q holds an unmasked ID", c)
			}
		}
	}
	all := ""
	for _, r := range rows {
		all += strings.Join(r, "|")
	}
	if !strings.Contains(all, "'=") {
		t.Error("the hostile formula name is not in the export, guarded")
	}
}

// Cookies are Secure under TLS, or behind a trusted proxy that says the
// client used HTTPS; an untrusted peer's X-Forwarded-Proto is ignored. The
// security headers are on every page.
func TestSecureCookiesAndHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	lo := netip.MustParsePrefix("127.0.0.1/32")
	for _, tc := range []struct {
		name   string
		cfg    Config
		remote string
		proto  string
		secure bool
	}{
		{"plain HTTP", Config{}, "127.0.0.1:5000", "", false},
		{"TLS configured", Config{TLS: true}, "127.0.0.1:5000", "", true},
		{"trusted proxy says https", Config{TrustedProxies: []netip.Prefix{lo}}, "127.0.0.1:5000", "https", true},
		{"untrusted peer says https", Config{TrustedProxies: []netip.Prefix{lo}}, "192.0.2.7:5000", "https", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(e.st, tc.cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest("GET", "/login", nil)
			req.RemoteAddr = tc.remote
			if tc.proto != "" {
				req.Header.Set("X-Forwarded-Proto", tc.proto)
			}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			ck := rec.Header().Get("Set-Cookie")
			if strings.Contains(ck, "; Secure") != tc.secure || !strings.Contains(ck, "HttpOnly") {
				t.Fatalf("Set-Cookie %q: want Secure=%v, HttpOnly", ck, tc.secure)
			}
			csp := rec.Header().Get("Content-Security-Policy")
			if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Fatalf("security headers: %v", rec.Header())
			}
		})
	}
}
