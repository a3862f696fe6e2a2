package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/neijiang/xiaowei/internal/dispose"
	"github.com/neijiang/xiaowei/internal/leads"
	"github.com/neijiang/xiaowei/internal/store"
)

// The whole workflow through the forms: assign → 核查中 → 属实 with an
// outcome; the dashboard's figures and the audit trail follow.
func TestWorkflow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	qu := e.signIn("qu")
	l1 := leadOf(P1)
	_, page := qu.get("/leads/" + l1)
	steps := []struct {
		name   string
		action string
		kv     []string
	}{
		{"assign to the town", "assign", []string{"assignee", "zhen1"}},
		{"start verifying", "status", []string{"to", "verifying"}},
		{"conclude substantiated with an outcome", "conclude", []string{"conclusion", "substantiated", "reason", "经核查属实",
			"person_0", "张某", "form_0", "诫勉", "decided_on_0", "2025-07-10", "doc_no_0", "市中纪〔2025〕12号", "recovered_0", "7000.50"}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			code, body, _ := qu.post("/leads/"+l1+"/"+s.action, append([]string{"version", version(t, page)}, s.kv...)...)
			if code != http.StatusSeeOther {
				t.Fatalf("%s: %d %s", s.action, code, body)
			}
			_, page = qu.get("/leads/" + l1)
		})
	}
	if !strings.Contains(page, `id="status">办结（属实）`) || !strings.Contains(page, "诫勉") || !strings.Contains(page, "7,000.50") {
		t.Fatal("the lead page does not show the conclusion and the outcome")
	}
	// The queue's counts per status (cached between changes) follow.
	if _, q := qu.get("/leads"); !strings.Contains(q, "待分派 <b>1</b>") || !strings.Contains(q, "办结 <b>1</b>") {
		t.Error("the queue's counts per status did not follow the changes")
	}
	_, dash := qu.get("/dashboard")
	for _, want := range []string{`id="n-closed">1<`, `id="n-people">1<`, `id="recovered">7,000.50<`, `id="n-leads">2<`} {
		if !strings.Contains(dash, want) {
			t.Errorf("dashboard lacks %s", want)
		}
	}
	// The town sees the figures of its own lead; the other town does not.
	if _, d := e.signIn("zhen2").get("/dashboard"); !strings.Contains(d, `id="n-people">0<`) || !strings.Contains(d, `id="recovered">0.00<`) {
		t.Error("town 2's dashboard counts town 1's outcome")
	}
	es, err := e.st.AuditLog(context.Background(), mustScope(t, e, "adm"), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := len(es) - 1; i >= 0; i-- {
		if es[i].LeadID == l1 && es[i].Actor == "qu" {
			got = append(got, es[i].Action+":"+fmt.Sprint(es[i].After["status"]))
		}
	}
	if want := "assign:assigned,status:verifying,conclude:closed,outcome:<nil>"; strings.Join(got, ",") != want {
		t.Fatalf("audit %s, want %s", strings.Join(got, ","), want)
	}
	// The conclusion is a disposition of the lead's findings: one model.
	evs, err := e.st.DispositionEvents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].ID != l1 || evs[0].Status != dispose.Confirmed || len(evs[0].FindingIDs) != 2 || evs[0].DecidedBy != "qu" {
		t.Fatalf("disposition events %+v", evs)
	}
	t.Run("outcomes only on 属实/部分属实, conclusions only from 核查中", func(t *testing.T) {
		l2 := leadOf(P2)
		_, p := qu.get("/leads/" + l2)
		code, body, _ := qu.post("/leads/"+l2+"/conclude", "version", version(t, p), "conclusion", "substantiated", "reason", "x")
		if code != http.StatusConflict || !strings.Contains(body, "核查中") {
			t.Fatalf("concluding a 待分派 lead: %d", code)
		}
	})
}

// 不属实 in the browser suppresses the findings exactly as `xiaowei
// dispose --status false_positive` does: the next run makes no lead of
// them; and a dispose on the command line closes the lead in the workbench.
func TestUnfoundedSuppresses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	qu := e.signIn("qu")
	l1, l2 := leadOf(P1), leadOf(P2)
	_, page := qu.get("/leads/" + l1)
	qu.post("/leads/"+l1+"/status", "version", version(t, page), "to", "verifying")
	_, page = qu.get("/leads/" + l1)
	if code, body, _ := qu.post("/leads/"+l1+"/conclude", "version", version(t, page), "conclusion", "unfounded", "reason", "系正常报账"); code != http.StatusSeeOther {
		t.Fatalf("conclude: %d %s", code, body)
	}
	e.runOnce()
	ctx := context.Background()
	latest, err := e.st.RecentRuns(ctx, 1)
	if err != nil || len(latest) != 1 {
		t.Fatalf("latest run: %v %v", latest, err)
	}
	ls, err := e.st.RunLeads(ctx, latest[0].RunID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) == 0 {
		t.Fatal("the next run stored no leads at all, so the check below would prove nothing")
	}
	if slices.ContainsFunc(ls, func(l *leads.Lead) bool { return l.LeadID == l1 }) {
		t.Fatal("the next run still makes a lead of findings concluded 不属实")
	}
	// The CLI's disposition of a lead closes it in the workbench.
	if err := e.st.AddDisposition(ctx, store.Disposition{ID: l2, Kind: "lead", FindingIDs: []string{"x"}, Status: dispose.Suppressed,
		Until: "2030-01-01", Reason: "镇里正在处理", DecidedBy: "cli"}); err != nil {
		t.Fatal(err)
	}
	_, p2 := qu.get("/leads/" + l2)
	if !strings.Contains(p2, "办结（暂缓）") || !strings.Contains(p2, "暂缓至 2030-01-01") || !strings.Contains(p2, "命令行 dispose") {
		t.Fatal("a dispose on the command line did not close the lead in the workbench")
	}
}

// Two inspectors save the same lead: the second gets a conflict message,
// keeps what they typed, and nothing of the first is lost.
func TestSaveConflict(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b := e.signIn("qu"), e.signIn("qu2")
	l1 := leadOf(P1)
	_, pa := a.get("/leads/" + l1)
	_, pb := b.get("/leads/" + l1)
	if code, _, _ := a.post("/leads/"+l1+"/assign", "version", version(t, pa), "assignee", "zhen1"); code != http.StatusSeeOther {
		t.Fatalf("first save: %d", code)
	}
	code, body, _ := b.post("/leads/"+l1+"/due", "version", version(t, pb), "due", "2031-03-03")
	if code != http.StatusConflict || !strings.Contains(body, "保存冲突：该线索已被 qu 于") || !strings.Contains(body, `value="2031-03-03"`) {
		t.Fatalf("second save: %d; conflict message or typed value missing", code)
	}
	_, now := a.get("/leads/" + l1)
	if !strings.Contains(now, `id="assignee">zhen1<`) || strings.Contains(now, "2031-03-03") {
		t.Fatal("the second save overwrote the first or was half applied")
	}
	// Many concurrent saves at one version: exactly one wins.
	_, p := a.get("/leads/" + l1)
	v := version(t, p)
	var wg sync.WaitGroup
	codes := make(chan int, 8)
	for i := 0; i < 8; i++ {
		c := a
		if i%2 == 1 {
			c = b
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			code, _, _ := c.post("/leads/"+l1+"/due", "version", v, "due", fmt.Sprintf("2030-01-%02d", i+1))
			codes <- code
		}(i)
	}
	wg.Wait()
	close(codes)
	won := 0
	for c := range codes {
		if c == http.StatusSeeOther {
			won++
		} else if c != http.StatusConflict {
			t.Errorf("concurrent save answered %d", c)
		}
	}
	if won != 1 {
		t.Fatalf("%d concurrent saves at one version won, want 1", won)
	}
}

// Nightly runs while people work: a run never overwrites assignments,
// decisions, comments or outcomes; a finding that is resolved and comes
// back reopens its lead, and the history shows both.
func TestRunWhileWorking(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	l1, l2 := leadOf(P1), leadOf(P2)
	qu := e.signIn("qu")
	_, p := qu.get("/leads/" + l1)
	qu.post("/leads/"+l1+"/assign", "version", version(t, p), "assignee", "zhen1")

	// While the town works lead 1 (status changes, comments), runs record.
	z1 := e.signIn("zhen1")
	var wg sync.WaitGroup
	wg.Add(1)
	errs := make(chan string, 100)
	go func() {
		defer wg.Done()
		for i := 0; i < 10; i++ {
			_, p := z1.get("/leads/" + l1)
			to := "verifying"
			if i%2 == 1 {
				to = "assigned"
			}
			if code, _, _ := z1.post("/leads/"+l1+"/status", "version", version(t, p), "to", to); code != http.StatusSeeOther {
				errs <- fmt.Sprintf("status %d: %d", i, code)
			}
			if code, _, _ := z1.post("/leads/"+l1+"/comment", "text", fmt.Sprintf("批注%d", i)); code != http.StatusSeeOther {
				errs <- fmt.Sprintf("comment %d: %d", i, code)
			}
		}
	}()
	for i := 0; i < 3; i++ {
		e.runOnce()
	}
	wg.Wait()
	close(errs)
	for m := range errs {
		t.Error(m)
	}
	d, err := e.st.Lead(ctx, mustScope(t, e, "qu"), l1, 0)
	if err != nil {
		t.Fatal(err)
	}
	comments := 0
	for _, h := range d.History {
		if h.Action == "comment" {
			comments++
		}
	}
	if d.Assignee != "zhen1" || d.Status != "assigned" || comments != 10 || d.TimesSeen != 4 {
		t.Fatalf("after runs: assignee %q status %q comments %d times_seen %d; want zhen1, assigned, 10, 4", d.Assignee, d.Status, comments, d.TimesSeen)
	}
	// P2's payment goes away (corrected): its finding and lead resolve;
	// then it comes back: the lead reopens, its workflow intact.
	_, p2 := qu.get("/leads/" + l2)
	qu.post("/leads/"+l2+"/assign", "version", version(t, p2), "assignee", "zhen2")
	e.importData(baseLedger[:4])
	e.runOnce()
	if d, _ := e.st.Lead(ctx, mustScope(t, e, "qu"), l2, 0); !d.Resolved {
		t.Fatal("lead 2 not resolved when its finding went away")
	}
	e.importData(baseLedger)
	e.runOnce()
	d2, err := e.st.Lead(ctx, mustScope(t, e, "qu"), l2, 0)
	if err != nil {
		t.Fatal(err)
	}
	var hist []string
	for _, h := range d2.History {
		hist = append(hist, h.Action)
	}
	if d2.Resolved || d2.Reopened != 1 || d2.Assignee != "zhen2" || strings.Join(hist, ",") != "first_seen,assign,resolved,reopened" {
		t.Fatalf("lead 2: resolved %v reopened %d assignee %q history %v", d2.Resolved, d2.Reopened, d2.Assignee, hist)
	}
	if len(d2.Findings) != 1 || d2.Findings[0].Reopened != 1 {
		t.Fatalf("finding history: %+v", d2.Findings)
	}
	_, page := qu.get("/leads/" + l2)
	if !strings.Contains(page, "重新出现 1 次") || !strings.Contains(page, "再次出现（重新打开）") {
		t.Error("the lead page does not show the reopening")
	}
}
