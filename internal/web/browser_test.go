package web

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/chromedp"

	"github.com/neijiang/xiaowei/internal/report"
)

// browser starts headless Chromium (Debian's /usr/bin/chromium) with a
// fresh profile and background networking off. Without Chromium the test
// skips, except under CI=true, where it fails.
func browser(t *testing.T) (context.Context, *[]string) {
	t.Helper()
	bin, err := report.FindChromium()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and %v", err)
		}
		t.Skip(err)
	}
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1366, 900)}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	var mu sync.Mutex
	var console []string
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*log.EventEntryAdded); ok && e.Entry != nil {
			mu.Lock()
			console = append(console, string(e.Entry.Level)+": "+e.Entry.Text)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	return ctx, &console
}

// shotDir is where screenshots go: $XIAOWEI_SHOTS when set (to look at
// them), else a temporary folder.
func shotDir(t *testing.T) string {
	if d := os.Getenv("XIAOWEI_SHOTS"); d != "" {
		os.MkdirAll(d, 0o755)
		return d
	}
	return t.TempDir()
}

// End to end in real Chromium: sign in → filter by town → open a lead →
// assign → 核查中 → conclude 属实 with an outcome → the dashboard figures
// change → the audit log shows each event → sign out.
func TestBrowserEndToEnd(t *testing.T) {
	e := newEnv(t)
	ctx, console := browser(t)
	u := e.srv.URL
	shots := shotDir(t)
	l1 := leadOf(P1)
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	do := func(step string, as ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, as...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	shot := func(name string) {
		t.Helper()
		b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	wait := func(sel, want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			// A click that submits a form navigates: until the new page is
			// there, a query may fail or read the old one.
			got, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
			if err == nil && strings.Contains(got, want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %q, want %q", sel, got, want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	do("sign in", chromedp.Navigate(u+"/leads"), chromedp.WaitVisible(chromedp.CSS("#signin")),
		chromedp.SendKeys(chromedp.CSS("#username"), "qu"), chromedp.SendKeys(chromedp.CSS("#password"), Password),
		chromedp.Click(chromedp.CSS("#signin")), chromedp.WaitVisible(chromedp.CSS("#queue")))
	if got := text("#total"); got != "2" {
		t.Fatalf("queue total %s, want 2", got)
	}
	_, dash0 := e.signIn("ld").get("/dashboard")
	if !strings.Contains(dash0, `id="n-people">0<`) {
		t.Fatal("people held accountable is not 0 at the start")
	}
	do("filter by town", chromedp.SetValue(chromedp.CSS("#f-town"), T1), chromedp.Click(chromedp.CSS("#apply")))
	wait("#total", "1")
	rows, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS("tr.lead-row"), chromedp.AtLeast(0)))
	if err != nil || len(rows) != 1 || rows[0].AttributeValue("data-town") != T1 {
		t.Fatalf("filtered queue rows: %d (%v)", len(rows), err)
	}
	if q := text("#queue"); !strings.Contains(q, l1) || strings.Contains(q, leadOf(P2)) || strings.Contains(q, P1) {
		t.Fatalf("filtered queue %q: want %s only, ID masked", q, l1)
	}
	shot("queue.png")

	do("open the lead", chromedp.Click(chromedp.CSS("a.lead-link")), chromedp.WaitVisible(chromedp.CSS("#lead-id")))
	if got := text("#lead-id"); got != l1 {
		t.Fatalf("lead page %s, want %s", got, l1)
	}
	if p := text("#person"); !strings.Contains(p, "511002********1234") || strings.Contains(p, P1) {
		t.Fatalf("person %q: want the ID masked", p)
	}
	shot("lead.png")
	do("assign", chromedp.SetValue(chromedp.CSS("#assignee-select"), "zhen1"), chromedp.Click(chromedp.CSS("#assign")))
	wait("#assignee", "zhen1")
	wait("#status", "已分派")
	do("start verifying", chromedp.Click(chromedp.CSS("#start-verify")), chromedp.WaitVisible(chromedp.CSS("#conclude-form")))
	wait("#status", "核查中")
	do("conclude", chromedp.SetValue(chromedp.CSS("#conclusion"), "substantiated"),
		chromedp.SendKeys(chromedp.CSS("#reason"), "经核查，现金支付属实"),
		chromedp.SendKeys(chromedp.CSS("#person_0"), "张某"), chromedp.SetValue(chromedp.CSS("#form_0"), "诫勉"),
		chromedp.SendKeys(chromedp.CSS("#decided_on_0"), "2025-07-10"), chromedp.SendKeys(chromedp.CSS("#doc_no_0"), "市中纪〔2025〕12号"),
		chromedp.SendKeys(chromedp.CSS("#recovered_0"), "7000"), chromedp.Click(chromedp.CSS("#conclude")))
	wait("#status", "办结（属实）")
	if o := text("#outcomes"); !strings.Contains(o, "诫勉") || !strings.Contains(o, "7,000.00") {
		t.Fatalf("outcomes %q", o)
	}

	do("dashboard", chromedp.Navigate(u+"/dashboard"), chromedp.WaitVisible(chromedp.CSS("#figures")))
	for sel, want := range map[string]string{"#n-people": "1", "#n-closed": "1", "#recovered": "7,000.00", "#n-leads": "2"} {
		if got := text(sel); got != want {
			t.Errorf("dashboard %s = %q, want %q", sel, got, want)
		}
	}
	if bars, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS("#by-form rect"), chromedp.AtLeast(0))); err != nil || len(bars) != 1 {
		t.Errorf("accountability chart bars: %d (%v)", len(bars), err)
	}
	shot("dashboard.png")

	do("audit log", chromedp.Navigate(u+"/admin/audit"), chromedp.WaitVisible(chromedp.CSS("#audit")))
	audit := text("#audit")
	for _, want := range []string{"登录", "分派", "状态变更", "办结", "问责结果"} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit log lacks %s", want)
		}
	}
	do("sign out", chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#signin")),
		chromedp.Navigate(u+"/leads"), chromedp.WaitVisible(chromedp.CSS("#signin")))
	for _, line := range *console {
		if strings.Contains(line, "Content Security Policy") || strings.Contains(line, "error") {
			t.Errorf("browser console: %s", line)
		}
	}
	t.Logf("screenshots in %s", shots)
}
