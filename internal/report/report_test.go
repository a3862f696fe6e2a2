package report

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/neijiang/xiaowei/internal/dispose"
	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/leads"
	"github.com/neijiang/xiaowei/internal/run"
)

const (
	pid     = "51100219700101123X"
	name    = "王建国"
	account = "6217000011112222"
)

// sample is a run with one person lead holding a critical cash finding
// whose evidence carries an ID number, a name and an account, one
// false-positive finding and a rejected row with an ID number.
func sample() *Data {
	f1 := &findings.Finding{FindingID: "f1", RuleID: "CASH-UNBANKED", Family: "cash", Severity: "critical", VillageID: "511002103201",
		Subject: "entry:E1", Period: "2018-05", Amount: &findings.Amount{Fen: 16800000}, Title: "代收现金未及时缴存",
		Message: "王建国（51100219700101123X）代收保费168,000.00元未缴存，转入6217000011112222。", Responsible: pid,
		Evidence: map[string]any{"handled_by": pid, "name": name, "account_no": account, "amount": 168000.0}}
	f2 := &findings.Finding{FindingID: "f2", RuleID: "REL-KIN", Family: "relative", Severity: "high", VillageID: "511002103201",
		Subject: "person:511002198001011234", Period: "2024-01", Title: "村干部近亲属享受低保", Message: "李四享受低保。", Disposition: dispose.FalsePositive,
		Evidence: map[string]any{"cadre_name": "李四"}}
	return &Data{
		Summary: &run.Summary{AsOf: "2025-06-30", Tables: []run.TableSummary{{Table: "persons", Read: 3, Loaded: 2, Rejected: 1}},
			SkippedRules: []run.SkippedRule{{RuleID: "REL-KIN", Reason: "table kinship absent"}}},
		Findings: []*findings.Finding{f1, f2},
		Leads: []*leads.Lead{{LeadID: "Labc", Rank: 1, Kind: "person", Key: "person:" + pid,
			Person:    &leads.Person{PersonID: pid, Name: name, Role: "deputy_director", RoleLabel: "副主任"},
			VillageID: "511002103201", VillageName: "梅堂湾村", TownID: "511002103", TownName: "朝阳镇", Severity: "critical", Score: 135,
			Amount: &findings.Amount{Fen: 16800000}, Families: []string{"cash"}, FindingIDs: []string{"f1"},
			Rules:  []leads.RuleHit{{RuleID: "CASH-UNBANKED", Title: "代收现金未及时缴存", Family: "cash", Severity: "critical", Findings: 1, Score: 135}},
			Verify: []string{"当面盘点王建国保管的现金。"}}},
		Places:       map[string]leads.Place{"511002103201": {VillageID: "511002103201", VillageName: "梅堂湾村", TownID: "511002103", TownName: "朝阳镇"}},
		Dispositions: &dispose.Applied{Findings: map[string]dispose.State{"f2": {Status: dispose.FalsePositive, Reason: "李四已分户", By: "张科长", At: "2025-07-01T10:00:00+08:00", Active: true}}},
		Rejects:      []Reject{{Table: "persons", File: "persons.csv", Line: 3, Column: "person_id", Value: "511002199001011111", Reason: "duplicate key"}},
	}
}

var personal = []string{pid, name, account, "511002198001011234", "511002199001011111", "李四"}

func assertMasked(t *testing.T, what, s string) {
	t.Helper()
	for _, p := range personal {
		if strings.Contains(s, p) {
			t.Errorf("%s shows %q unmasked", what, p)
		}
	}
	if !strings.Contains(s, "511002********123X") {
		t.Errorf("%s: masked ID missing", what)
	}
}

func TestHTMLMaskedAndSelfContained(t *testing.T) {
	var buf bytes.Buffer
	if err := RenderHTML(&buf, sample(), Options{}); err != nil {
		t.Fatal(err)
	}
	h := buf.String()
	assertMasked(t, "html", h)
	for _, want := range []string{"王*国", "6217****2222", `id="lead-Labc"`, "梅堂湾村", "误报", "李*已分户", "REL-KIN", "duplicate key", CSP} {
		if !strings.Contains(h, want) && !strings.Contains(h, strings.ReplaceAll(want, "'", "&#39;")) {
			t.Errorf("html lacks %q", want)
		}
	}
	assertOffline(t, h)
	buf.Reset()
	RenderHTML(&buf, sample(), Options{Unmasked: true})
	if !strings.Contains(buf.String(), pid) || !strings.Contains(buf.String(), name) {
		t.Error("--unmasked hides data")
	}
}

// assertOffline checks the page can make no request: a strict CSP and no
// external URL in any src/href/url().
func assertOffline(t *testing.T, h string) {
	t.Helper()
	if !strings.Contains(h, `http-equiv="Content-Security-Policy"`) {
		t.Error("no CSP meta tag")
	}
	if m := regexp.MustCompile(`(?i)(src|href|action)\s*=\s*["']?\s*(https?:)?//`).FindString(h); m != "" {
		t.Errorf("external reference: %s", m)
	}
	if strings.Contains(h, "http://") || strings.Contains(h, "https://") || strings.Contains(h, "url(") || strings.Contains(h, "@import") {
		t.Error("page mentions a URL")
	}
}

func TestExportsMasked(t *testing.T) {
	d := sample()
	m := NewMasker(d, false)
	lr, fr := Rows(d, m)
	lc, fc := CSV(LeadHeader, lr), CSV(FindingHeader, fr)
	if !bytes.HasPrefix(lc, []byte("\ufeff排名,线索编号")) {
		t.Errorf("leads.csv header: %q", lc[:40])
	}
	assertMasked(t, "leads.csv", string(lc))
	assertMasked(t, "findings.csv", string(fc))
	b, err := XLSX(d, m)
	if err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	var all strings.Builder
	for _, sh := range []string{"问题线索", "发现明细"} {
		rows, err := x.GetRows(sh)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) < 2 {
			t.Fatalf("%s: %d rows", sh, len(rows))
		}
		for _, r := range rows {
			all.WriteString(strings.Join(r, "|") + "\n")
		}
	}
	assertMasked(t, "xlsx", all.String())
	if !strings.Contains(all.String(), "发现编号") || !strings.Contains(all.String(), "误报") {
		t.Error("xlsx lacks headers or dispositions")
	}
	// every cell of the CSV export goes through csvguard, the header too
	guarded := string(CSV([]string{"@h"}, [][]string{{"=HYPERLINK(\"x\")", "-1+cmd|' /C calc'!A0", "-12.50"}}))
	for _, want := range []string{"'@h", `"'=HYPERLINK(""x"")"`, `'-1+cmd|' /C calc'!A0`, ",-12.50"} {
		if !strings.Contains(guarded, want) {
			t.Errorf("CSV export lacks %q:\n%s", want, guarded)
		}
	}
}

// Chromium finds Debian's chromium; without it the test skips, except
// under CI=true where it fails.
func Chromium(t *testing.T) string {
	t.Helper()
	p, err := FindChromium()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v and CI=true", err)
		}
		t.Skip(err)
	}
	return p
}

// Browse renders a file in headless Chromium, saves a screenshot (when
// shot is set) and returns the DOM; it fails the test when the page
// attempted any request.
func Browse(t *testing.T, bin, file, shot string) string {
	t.Helper()
	dom, v := browse(t, bin, file, shot)
	if len(v) > 0 {
		t.Errorf("the page attempted requests:\n%s", strings.Join(v, "\n"))
	}
	return dom
}

func browse(t *testing.T, bin, file, shot string) (string, []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	dom, v, err := Headless(ctx, bin, file, shot)
	if err != nil {
		t.Fatal(err)
	}
	if shot != "" {
		if st, err := os.Stat(shot); err != nil || st.Size() < 10000 {
			t.Fatalf("screenshot %s missing or blank: %v", shot, err)
		}
	}
	return dom, v
}

// TestBrowseSeesRequests is the negative control: a page that tries to
// load an image and fetch is caught.
func TestBrowseSeesRequests(t *testing.T) {
	bin := Chromium(t)
	page := filepath.Join(t.TempDir(), "bad.html")
	os.WriteFile(page, []byte(`<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="`+CSP+`"></head><body><img src="http://127.0.0.1:9/x.png"><script>fetch("http://127.0.0.1:9/y").catch(function(){})</script></body></html>`), 0o644)
	if _, v := browse(t, bin, page, ""); len(v) == 0 {
		t.Fatal("requests not detected")
	}
}

func TestHTMLInChromium(t *testing.T) {
	bin := Chromium(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	var buf bytes.Buffer
	if err := RenderHTML(&buf, sample(), Options{}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(page, buf.Bytes(), 0o644)
	dom := Browse(t, bin, page, filepath.Join(dir, "shot.png"))
	for _, want := range []string{`id="title"`, `id="overview"`, `id="leads"`, `data-rank="1"`, "梅堂湾村", `id="data-quality"`, `id="dispositions"`, "<svg"} {
		if !strings.Contains(dom, want) {
			t.Errorf("DOM lacks %s", want)
		}
	}
	assertMasked(t, "dom", dom)
}
