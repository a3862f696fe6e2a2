package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/pgtest"
)

// The binary, with a schedule a few seconds away: it runs once, serves
// /metrics with the run counted, and exits 0 on SIGTERM.
func TestServeSubprocess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	url, schema := pgtest.Schema(t)
	data, rulesDir := setup(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var stdout, stderr strings.Builder
	if code := dispatch(ctx, []string{"import", "--data", data, "--db", url, "--schema", schema, "--rejects", filepath.Join(dir, "rej.csv")}, io.Discard, &stderr); code != exitOK {
		t.Fatalf("import: %s", stderr.String())
	}
	bin := binary(t)
	at := time.Now().Add(4 * time.Second).In(civil.Shanghai)
	cfg := fmt.Sprintf(`schema: %s
listen: 127.0.0.1:0
out_dir: %s
rules: [%s]
builtin_rules: false
nightly:
  schedule: "%d %d %d %d %d *"
`, schema, filepath.Join(dir, "out"), rulesDir, at.Second(), at.Minute(), at.Hour(), at.Day(), int(at.Month()))
	cfgPath := filepath.Join(dir, "serve.yaml")
	os.WriteFile(cfgPath, []byte(cfg), 0o644)

	cmd := exec.CommandContext(ctx, bin, "serve", "--config", cfgPath)
	// A password the trust-auth test server ignores, so the logs can be
	// checked for it.
	withPw := url
	if u, err := neturl.Parse(url); err == nil && u.User != nil {
		u.User = neturl.UserPassword(u.User.Username(), "s3cret-pw")
		withPw = u.String()
	}
	cmd.Env = append(os.Environ(), "DATABASE_URL="+withPw)
	cmd.Stdout = &stdout
	logs, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	var all strings.Builder
	go func() {
		sc := bufio.NewScanner(logs)
		for sc.Scan() {
			all.WriteString(sc.Text() + "\n")
			lines <- sc.Text()
		}
		close(lines)
	}()
	addrRe := regexp.MustCompile(`"msg":"http listening","addr":"([^"]+)"`)
	var addr string
	finished := false
	deadline := time.After(30 * time.Second)
	for addr == "" || !finished {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("serve exited early: %v\n%s", cmd.Wait(), all.String())
			}
			if m := addrRe.FindStringSubmatch(l); m != nil {
				addr = m[1]
			}
			if strings.Contains(l, `"msg":"job finished"`) {
				finished = true
				if !strings.Contains(l, `"outcome":"completed"`) {
					t.Fatalf("job did not complete: %s", l)
				}
			}
		case <-deadline:
			cmd.Process.Kill()
			t.Fatalf("no run within 30s:\n%s", all.String())
		}
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `xiaowei_runs_total{job="nightly",outcome="completed"} 1`) {
		t.Errorf("/metrics:\n%s", body)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		for range lines {
		}
		done <- cmd.Wait()
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after SIGTERM: %v\n%s", err, all.String())
		}
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		t.Fatal("serve did not exit within 15s of SIGTERM")
	}
	if strings.Contains(all.String(), "s3cret-pw") {
		t.Errorf("the database password was logged:\n%s", all.String())
	}
	if !strings.Contains(all.String(), `"msg":"stopped"`) {
		t.Errorf("no clean stop in the logs:\n%s", all.String())
	}
	// The scheduled run went through the same leads step as `run`: its
	// output folder has leads.jsonl and the leads table has its rows.
	leadFiles, _ := filepath.Glob(filepath.Join(dir, "out", "nightly", "*", "leads.jsonl"))
	if len(leadFiles) != 1 {
		t.Fatalf("scheduled run wrote %d leads.jsonl files, want 1", len(leadFiles))
	}
	if b, _ := os.ReadFile(leadFiles[0]); len(b) == 0 {
		t.Error("scheduled run's leads.jsonl is empty")
	}
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), "select count(*) from "+pgx.Identifier{schema, "leads"}.Sanitize()).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Error("scheduled run stored no leads")
	}
}
