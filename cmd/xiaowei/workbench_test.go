package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/neijiang/xiaowei/internal/pgtest"
)

// docsCommands reads the first sh block of docs/workbench.md: the steps a
// newcomer types.
func docsCommands(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("../../docs/workbench.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case !in && line == "```sh":
			in = true
		case in && line == "```":
			return out
		case in && line != "":
			out = append(out, line)
		}
	}
	t.Fatal("no sh block in docs/workbench.md")
	return nil
}

// The start-up steps of docs/workbench.md, run as written against a
// private schema of the test database: migrate, import the shipped
// fixture, run, add a user, serve; then sign in and open a lead page.
func TestWorkbenchDocsWalkthrough(t *testing.T) {
	dbURL, schema := pgtest.Schema(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	var addr, password string
	served := make(chan int, 1)
	for _, line := range docsCommands(t) {
		if strings.HasPrefix(line, "export ") || strings.HasPrefix(line, "go build ") {
			continue
		}
		var pw string
		if m := regexp.MustCompile(`^echo '([^']+)' \| (.*)$`).FindStringSubmatch(line); m != nil {
			pw, line = m[1], m[2]
		}
		args := strings.Fields(strings.ReplaceAll(line, "$DATABASE_URL", dbURL))
		if args[0] != "./xiaowei" {
			t.Fatalf("docs step %q: want ./xiaowei …", line)
		}
		args = args[1:]
		for i, a := range args {
			switch {
			case a == "fixtures/shizhong" || a == "rules":
				args[i] = "../../" + a
			case strings.HasPrefix(a, "runs/"):
				args[i] = filepath.Join(dir, a)
			}
		}
		if pw != "" {
			password = pw
			f := filepath.Join(dir, "pw")
			os.WriteFile(f, []byte(pw+"\n"), 0o600) // what the pipe gives on standard input
			args = append(args, "--password-file", f)
		}
		if args[0] == "serve" {
			// The docs' config, with this test's schema and a free port.
			b, err := os.ReadFile("../../" + args[2])
			if err != nil {
				t.Fatal(err)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr = ln.Addr().String()
			ln.Close()
			cfg := strings.NewReplacer("schema: xw", "schema: "+schema, "listen: 127.0.0.1:9464", "listen: "+addr,
				"out_dir: runs", "out_dir: "+filepath.Join(dir, "runs"), "rules: [rules]", "rules: [../../rules]").Replace(string(b))
			cf := filepath.Join(dir, "serve.yaml")
			os.WriteFile(cf, []byte("database: "+dbURL+"\n"+cfg), 0o644)
			go func() { served <- dispatch(ctx, []string{"serve", "--config", cf}, io.Discard, io.Discard) }()
			continue
		}
		if args[0] == "user" { // user add NAME …: the sub-command comes first
			args = append([]string{"user", args[1], "--schema", schema}, args[2:]...)
		} else {
			args = append([]string{args[0], "--schema", schema}, args[1:]...)
		}
		stderr.Reset()
		if code := dispatch(ctx, args, &stdout, &stderr); code != exitOK {
			t.Fatalf("%s: exit %d: %s", line, code, stderr.String())
		}
	}
	if addr == "" || password == "" {
		t.Fatal("the docs start no server or add no user")
	}
	base := "http://" + addr
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	var body string
	for deadline := time.Now().Add(20 * time.Second); ; {
		resp, err := hc.Get(base + "/login")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server does not answer: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if csrf == nil {
		t.Fatalf("no sign-in form at /login:\n%s", body)
	}
	resp, err := hc.PostForm(base+"/login", url.Values{"csrf": {csrf[1]}, "username": {"qu"}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	lead := regexp.MustCompile(`href="/leads/(L[0-9a-f]+)"`).FindStringSubmatch(string(b))
	if resp.Request.URL.Path != "/leads" || lead == nil {
		t.Fatalf("after sign-in: %s, no lead in the queue", resp.Request.URL)
	}
	resp, err = hc.Get(base + "/leads/" + lead[1])
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `id="lead-id">`+lead[1]) || !strings.Contains(string(b), "核查要点") {
		t.Fatalf("lead page %s: %d", lead[1], resp.StatusCode)
	}
	// /healthz stays public; /runs needs a session.
	for path, want := range map[string]int{"/healthz": 200, "/metrics": 200} {
		r, err := http.Get(base + path)
		if err != nil || r.StatusCode != want {
			t.Fatalf("GET %s without a session: %v %v", path, r, err)
		}
		r.Body.Close()
	}
	noJar := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if r, err := noJar.Get(base + "/runs"); err != nil || r.StatusCode != http.StatusSeeOther {
		t.Fatalf("GET /runs without a session: %v %v", r, err)
	}
	cancel()
	select {
	case code := <-served:
		if code != exitOK {
			t.Errorf("serve exit %d", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// xiaowei user add|list|disable|enable|passwd, with bad input refused
// (exit 2) and the audit log written.
func TestUserCommand(t *testing.T) {
	dbURL, schema := pgtest.Schema(t)
	ctx := context.Background()
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	os.WriteFile(pw, []byte("a-good-long-password\n"), 0o600)
	short := filepath.Join(dir, "short")
	os.WriteFile(short, []byte("short\n"), 0o600)
	db := []string{"--db", dbURL, "--schema", schema}
	// Villages for informants' --village: the shipped fixture's.
	if code := dispatch(ctx, append([]string{"import", "--data", filepath.Join("..", "..", "fixtures", "shizhong")}, db...), io.Discard, io.Discard); code != exitOK {
		t.Fatalf("import: exit %d", code)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"add a town officer", []string{"add", "zhen1", "--role", "town", "--town", "511002101", "--password-file", pw}, exitOK, "account zhen1 added (town)"},
		{"add again", []string{"add", "zhen1", "--role", "town", "--town", "511002101", "--password-file", pw}, exitBadInput, "already exists"},
		{"town officer without a town", []string{"add", "zhen2", "--role", "town", "--password-file", pw}, exitBadInput, "needs --town"},
		{"informant of a village", []string{"add", "xxy1", "--role", "informant", "--village", "511002101204", "--password-file", pw}, exitOK, "account xxy1 added (informant)"},
		{"informant of an unknown village", []string{"add", "xxy2", "--role", "informant", "--village", "511002999999", "--password-file", pw}, exitBadInput, `village "511002999999": unknown village`},
		{"village of another town", []string{"add", "xxy3", "--role", "informant", "--village", "511002101204", "--town", "511002103", "--password-file", pw}, exitBadInput, "is in town 511002101"},
		{"town officer with a village", []string{"add", "zhen3", "--role", "town", "--town", "511002101", "--village", "511002101204", "--password-file", pw}, exitBadInput, "for informants only"},
		{"informant without village or town", []string{"add", "xxy4", "--role", "informant", "--password-file", pw}, exitBadInput, "needs --village"},
		{"unknown role", []string{"add", "x", "--role", "boss", "--password-file", pw}, exitBadInput, `role "boss"`},
		{"short password", []string{"add", "x", "--role", "leader", "--password-file", short}, exitBadInput, "password too short"},
		{"list", []string{"list"}, exitOK, "zhen1  town       511002101  -             active"},
		{"list the informant's village", []string{"list"}, exitOK, "xxy1   informant  511002101  511002101204  active"},
		{"disable", []string{"disable", "zhen1"}, exitOK, "account zhen1 disabled"},
		{"list disabled", []string{"list"}, exitOK, "disabled"},
		{"passwd", []string{"passwd", "zhen1", "--password-file", pw}, exitOK, "password of zhen1 changed"},
		{"passwd of nobody", []string{"passwd", "nobody", "--password-file", pw}, exitBadInput, "not found"},
		{"no name", []string{"disable"}, exitBadInput, "account name is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			args := append(append([]string{"user", tc.args[0]}, db...), tc.args[1:]...)
			code := dispatch(ctx, args, &out, &errb)
			if code != tc.code || !strings.Contains(out.String()+errb.String(), tc.out) {
				t.Fatalf("exit %d (want %d): %s%s; want %q", code, tc.code, out.String(), errb.String(), tc.out)
			}
		})
	}
}
