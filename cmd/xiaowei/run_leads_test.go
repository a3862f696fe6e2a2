package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/neijiang/xiaowei/internal/dispose"
	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/fixturetest"
	"github.com/neijiang/xiaowei/internal/leads"
	"github.com/neijiang/xiaowei/internal/pgtest"
	"github.com/neijiang/xiaowei/internal/report"
)

const (
	vA    = "511002103201" // 朝阳镇 梅堂湾村
	vB    = "511002101204" // 史家镇 牛桥村
	pDep  = "511002197001010011"
	pCash = "511002197001010022"
	pDir  = "511002197001010033"
)

const leadRules = `rules:
  - id: T-COLLECT
    title: 代收现金未缴存
    family: cash
    severity: critical
    on: ledger
    when: account == "cash" && category == "collection"
    subject: "entry:{{entry_id}}"
    period: "{{date}}"
    amount: amount
    responsible: "{{handled_by}}"
    message: "{{date}}代收现金{{amount}}元未缴存。"
    verify: 核实{{handled_by}}代收款项的去向。
  - id: T-LARGE
    title: 大额现金支付
    family: cash
    severity: low
    on: ledger
    when: account == "cash" && direction == "out" && amount >= 1000
    subject: "entry:{{entry_id}}"
    period: "{{date}}"
    amount: amount
    message: "{{date}}以现金支付{{amount}}元。"
`

func leadSetup(t *testing.T) (data, rulesDir string) {
	dir := t.TempDir()
	data, rulesDir = filepath.Join(dir, "data"), filepath.Join(dir, "rules")
	os.MkdirAll(data, 0o755)
	os.MkdirAll(rulesDir, 0o755)
	fixturetest.WriteDataset(t, data, map[string][]string{
		"villages": {vA + ",梅堂湾村,511002103,朝阳镇,511002,市中区", vB + ",牛桥村,511002101,史家镇,511002,市中区"},
		"persons": {pDep + ",王建国,M,1970-01-01,H1,head," + vA + ",", pCash + ",李会,F,1970-01-01,H2,head," + vB + ",",
			pDir + ",赵强,M,1970-01-01,H3,head," + vB + ","},
		"cadres": {pDep + "," + vA + ",deputy_director,2016-01-01,", pCash + "," + vB + ",cashier,2016-01-01,", pDir + "," + vB + ",director,2016-01-01,"},
		"ledger": {
			"E1," + vA + ",2018-01-01,V1,cash,in,100.00,opening,,期初,,",
			"E2," + vA + ",2018-05-02,V2,cash,in,168000.00,collection,村民,代收医保," + pDep + ",",
			"E3," + vB + ",2024-01-01,V3,cash,in,3000.00,opening,,期初,,",
			"E4," + vB + ",2024-01-05,V4,cash,out,1200.00,expense,某店,购材料," + pCash + ",",
		},
	})
	os.WriteFile(filepath.Join(rulesDir, "cash.yaml"), []byte(leadRules), 0o644)
	return data, rulesDir
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := dispatch(context.Background(), args, &stdout, &stderr); code != exitOK {
		t.Fatalf("%v: exit %d: %s%s", args, code, stderr.String(), stdout.String())
	}
	return stdout.String()
}

func readLeads(t *testing.T, out string) []*leads.Lead {
	t.Helper()
	f, err := os.Open(filepath.Join(out, "leads.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ls, err := leads.ReadJSONL(f)
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

func readFindings(t *testing.T, out string) map[string]*findings.Finding {
	t.Helper()
	f, err := os.Open(filepath.Join(out, "findings.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fs, err := findings.ReadJSONL(f)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]*findings.Finding{}
	for _, x := range fs {
		m[x.RuleID] = x
	}
	return m
}

func TestLeadsAndDispositionsAcrossRuns(t *testing.T) {
	data, rulesDir := leadSetup(t)
	tmp := t.TempDir()
	out1, out1b, out2, out3 := filepath.Join(tmp, "1"), filepath.Join(tmp, "1b"), filepath.Join(tmp, "2"), filepath.Join(tmp, "3")
	base := []string{"run", "--data", data, "--rules", rulesDir, "--builtin-rules=false", "--as-of", "2025-06-30", "--quiet"}
	mustRun(t, append(base, "--out", out1)...)
	mustRun(t, append(base, "--out", out1b)...)
	for _, name := range []string{"leads.jsonl", "findings.jsonl", "dispositions.json", "places.json"} {
		a, _ := os.ReadFile(filepath.Join(out1, name))
		b, _ := os.ReadFile(filepath.Join(out1b, name))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s differs between identical runs (or is empty)", name)
		}
	}
	ls := readLeads(t, out1)
	if len(ls) != 2 || ls[0].Kind != "person" || ls[0].Person.Name != "王建国" || ls[0].VillageName != "梅堂湾村" || ls[0].Person.RoleLabel != "副主任" {
		t.Fatalf("leads: %+v", ls[0])
	}
	if ls[0].Verify[0] != "核实"+pDep+"代收款项的去向。" {
		t.Errorf("verify %q", ls[0].Verify)
	}
	village := ls[1]
	if village.Kind != "village" || len(village.Contacts) != 2 || village.Contacts[0].Name != "李会" || village.Contacts[1].Name != "赵强" {
		t.Fatalf("village lead: %+v", village)
	}

	// An inspector marks the person lead a false positive.
	disp := filepath.Join(data, "dispositions.jsonl")
	mustRun(t, "dispose", "--data", data, "--lead", ls[0].LeadID, "--run", out1, "--status", "false_positive", "--reason", "款项已于次日上缴镇财政所", "--by", "张科长")
	mustRun(t, append(base, "--out", out2)...)
	ls2 := readLeads(t, out2)
	for _, l := range ls2 {
		if l.LeadID == ls[0].LeadID {
			t.Fatal("false-positive lead still listed in the next run")
		}
	}
	f2 := readFindings(t, out2)
	if f2["T-COLLECT"] == nil || f2["T-COLLECT"].Disposition != dispose.FalsePositive {
		t.Fatalf("finding not recorded as false positive: %+v", f2["T-COLLECT"])
	}

	// Confirming the village finding keeps it on top; suppression of it
	// later hides it until the date passes.
	mustRun(t, "dispose", "--file", disp, "--finding", f2["T-LARGE"].FindingID, "--run", out2, "--status", "confirmed", "--reason", "属实", "--by", "李组长")
	mustRun(t, append(base, "--out", out3)...)
	ls3 := readLeads(t, out3)
	if len(ls3) != 1 || !ls3[0].Confirmed {
		t.Fatalf("confirmed lead: %+v", ls3)
	}
	mustRun(t, "dispose", "--file", disp, "--finding", f2["T-LARGE"].FindingID, "--status", "suppressed", "--until", "2025-07-31", "--reason", "镇纪委在办", "--by", "李组长")
	mustRun(t, append(base, "--out", out3)...)
	if n := len(readLeads(t, out3)); n != 0 {
		t.Fatalf("suppressed lead listed (%d leads)", n)
	}
	mustRun(t, "run", "--data", data, "--rules", rulesDir, "--builtin-rules=false", "--as-of", "2025-08-01", "--quiet", "--out", out3)
	if n := len(readLeads(t, out3)); n != 1 {
		t.Fatalf("expired suppression: %d leads, want 1", n)
	}

	// The trail keeps every decision.
	evs, err := dispose.ReadFile(disp)
	if err != nil || len(evs) != 3 {
		t.Fatalf("trail: %d events, %v", len(evs), err)
	}
	hist := mustRun(t, "dispose", "--file", disp, "--history", "--finding", f2["T-LARGE"].FindingID)
	if strings.Count(hist, "\n") != 2 || !strings.Contains(hist, "confirmed") || !strings.Contains(hist, "suppressed") {
		t.Errorf("history:\n%s", hist)
	}

	// The report lists the disposition, masked.
	mustRun(t, "report", "--run", out2, "--csv", filepath.Join(tmp, "exp"), "--xlsx", filepath.Join(tmp, "exp", "x.xlsx"))
	page, _ := os.ReadFile(filepath.Join(out2, "report.html"))
	if !strings.Contains(string(page), "误报") || strings.Contains(string(page), "王建国") || strings.Contains(string(page), pDep) {
		t.Error("report lacks the disposition or shows personal data")
	}
	for _, f := range []string{"leads.csv", "findings.csv"} {
		b, _ := os.ReadFile(filepath.Join(tmp, "exp", f))
		if strings.Contains(string(b), pDep) || strings.Contains(string(b), "王建国") {
			t.Errorf("%s shows personal data", f)
		}
	}
}

func TestDisposeUsage(t *testing.T) {
	data, _ := leadSetup(t)
	for _, args := range [][]string{
		{"dispose", "--data", data, "--finding", "x", "--status", "maybe", "--reason", "r", "--by", "b"},
		{"dispose", "--data", data, "--finding", "x", "--status", "suppressed", "--reason", "r", "--by", "b"},
		{"dispose", "--data", data, "--finding", "x", "--status", "confirmed", "--by", "b"},
		{"dispose", "--data", data, "--lead", "L1", "--status", "confirmed", "--reason", "r", "--by", "b"},
		{"dispose", "--finding", "x", "--status", "confirmed", "--reason", "r", "--by", "b"},
	} {
		var o, e bytes.Buffer
		if code := dispatch(context.Background(), args, &o, &e); code != exitBadInput {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if _, err := os.Stat(filepath.Join(data, "dispositions.jsonl")); err == nil {
		t.Error("a refused disposition was recorded")
	}
}

func TestCampaign(t *testing.T) {
	data, rulesDir := leadSetup(t)
	camp := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(camp, []byte("campaign:\n  id: shijia-cash\n  name: 史家镇现金管理专项督查\n  towns: [\"511002101\"]\n  from: 2024-01-01\n  to: 2025-06-30\n  rules: [T-LARGE]\n"), 0o644)
	out := filepath.Join(t.TempDir(), "out")
	mustRun(t, "run", "--data", data, "--rules", rulesDir, "--builtin-rules=false", "--as-of", "2025-06-30", "--quiet", "--out", out, "--campaign", camp)
	fs := readFindings(t, out)
	if len(fs) != 1 || fs["T-LARGE"] == nil || fs["T-LARGE"].VillageID != vB {
		t.Fatalf("campaign findings: %v", fs)
	}
	var c struct {
		Name    string   `json:"name"`
		RuleIDs []string `json:"rule_ids"`
	}
	b, _ := os.ReadFile(filepath.Join(out, "campaign.json"))
	if json.Unmarshal(b, &c); c.Name != "史家镇现金管理专项督查" || len(c.RuleIDs) != 1 {
		t.Fatalf("campaign.json: %s", b)
	}
	var places []leads.Place
	b, _ = os.ReadFile(filepath.Join(out, "places.json"))
	if json.Unmarshal(b, &places); len(places) != 1 || places[0].VillageID != vB {
		t.Fatalf("places: %s", b)
	}
	mustRun(t, "report", "--run", out)
	page, _ := os.ReadFile(filepath.Join(out, "report.html"))
	if !strings.Contains(string(page), "<title>史家镇现金管理专项督查</title>") || !strings.Contains(string(page), "专项督查报告") || !strings.Contains(string(page), `<span id="scope">史家镇</span>`) {
		t.Error("report not titled and scoped by the campaign")
	}
	os.WriteFile(camp, []byte("campaign:\n  name: x\n  rules: [NOPE-*]\n"), 0o644)
	var o, e bytes.Buffer
	if code := dispatch(context.Background(), []string{"run", "--data", data, "--rules", rulesDir, "--builtin-rules=false", "--as-of", "2025-06-30", "--out", out, "--campaign", camp}, &o, &e); code != exitBadInput {
		t.Errorf("campaign rule matching nothing: exit %d", code)
	}
}

// TestFixtureReport is the acceptance check on the shipped
// fixture: the report opens in Chromium with the Meitangwan lead at the
// top; a false-positive disposition of that lead removes it from the next
// run's leads while its findings stay recorded as false positives.
func TestFixtureReport(t *testing.T) {
	fixture, rulesDir := filepath.Join("..", "..", "fixtures", "shizhong"), filepath.Join("..", "..", "rules")
	if _, err := os.Stat(filepath.Join(fixture, "ledger.csv")); err != nil {
		t.Skip("fixture not generated")
	}
	tmp := t.TempDir()
	disp := filepath.Join(tmp, "dispositions.jsonl")
	out1, out2 := filepath.Join(tmp, "1"), filepath.Join(tmp, "2")
	base := []string{"run", "--data", fixture, "--rules", rulesDir, "--builtin-rules=false", "--as-of", "2025-06-30", "--quiet", "--dispositions", disp}
	mustRun(t, append(base, "--out", out1)...)
	ls := readLeads(t, out1)
	top := -1
	for i, l := range ls {
		if l.VillageName == "梅堂湾村" && l.Severity == "critical" {
			top = i
			break
		}
	}
	if top < 0 || top > 2 {
		t.Fatalf("Meitangwan lead at position %d", top)
	}
	mtw := ls[top]
	exp := filepath.Join(tmp, "exp")
	mustRun(t, "report", "--run", out1, "--csv", exp)
	page := filepath.Join(out1, "report.html")
	assertNoPersonalData(t, filepath.Join(fixture, "persons.csv"), page, filepath.Join(exp, "leads.csv"), filepath.Join(exp, "findings.csv"))
	if bin, err := report.FindChromium(); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		shot := filepath.Join(tmp, "fixture.png")
		dom, violations, err := report.Headless(ctx, bin, page, shot)
		if err != nil {
			t.Fatal(err)
		}
		if len(violations) > 0 {
			t.Errorf("requests attempted: %v", violations)
		}
		// The page lists leads in rank order; Meitangwan's article is among
		// the first three and names the village.
		m := regexp.MustCompile(`<article class="lead[^"]*" id="lead-` + mtw.LeadID + `" data-lead-id="` + mtw.LeadID + `" data-rank="(\d+)"`).FindStringSubmatchIndex(dom)
		if m == nil {
			t.Fatal("Meitangwan lead not in the rendered page")
		}
		if rank := dom[m[2]:m[3]]; rank > "3" || len(rank) > 1 {
			t.Errorf("Meitangwan lead rendered at rank %s", rank)
		}
		if !strings.Contains(dom[m[0]:min(len(dom), m[0]+1500)], "梅堂湾村") {
			t.Error("Meitangwan lead does not name the village")
		}
		if top == 0 && strings.Index(dom, `<article class="lead`) != m[0] {
			t.Error("Meitangwan lead is not the first article")
		}
		if os.Getenv("XIAOWEI_KEEP_SHOT") != "" {
			b, _ := os.ReadFile(shot)
			os.WriteFile(os.Getenv("XIAOWEI_KEEP_SHOT"), b, 0o644)
		}
	} else if os.Getenv("CI") == "true" {
		t.Fatalf("%v and CI=true", err)
	}

	mustRun(t, "dispose", "--file", disp, "--lead", mtw.LeadID, "--run", out1, "--status", "false_positive", "--reason", "测试：款项已上缴", "--by", "测试员")
	mustRun(t, append(base, "--out", out2)...)
	for _, l := range readLeads(t, out2) {
		if l.LeadID == mtw.LeadID {
			t.Fatal("Meitangwan lead still listed after its false-positive disposition")
		}
	}
	f, _ := os.Open(filepath.Join(out2, "findings.jsonl"))
	defer f.Close()
	fs, _ := findings.ReadJSONL(f)
	marked := 0
	for _, x := range fs {
		for _, id := range mtw.FindingIDs {
			if x.FindingID == id {
				if x.Disposition != dispose.FalsePositive {
					t.Errorf("finding %s: disposition %q", id, x.Disposition)
				}
				marked++
			}
		}
	}
	if marked != len(mtw.FindingIDs) {
		t.Errorf("%d of %d findings still recorded", marked, len(mtw.FindingIDs))
	}
}

// With the database: leads are stored with each run, dispositions are
// recorded in the audited tables and applied by the next run --db, and the
// report reads the run (with its trend) from the database.
func TestLeadsWithDatabase(t *testing.T) {
	url, schema := pgtest.Schema(t)
	data, rulesDir := leadSetup(t)
	ctx := context.Background()
	tmp := t.TempDir()
	mustRun(t, "import", "--data", data, "--db", url, "--schema", schema)
	base := []string{"run", "--db", url, "--schema", schema, "--rules", rulesDir, "--builtin-rules=false", "--as-of", "2025-06-30", "--quiet"}
	out1, out2 := filepath.Join(tmp, "1"), filepath.Join(tmp, "2")
	mustRun(t, append(base, "--out", out1)...)
	ls := readLeads(t, out1)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	T := func(n string) string { return pgx.Identifier{schema, n}.Sanitize() }
	var runID string
	var n int
	if err := conn.QueryRow(ctx, "select l.run_id, count(*) from "+T("leads")+" l group by l.run_id").Scan(&runID, &n); err != nil || n != len(ls) {
		t.Fatalf("leads stored: %d of %d (%v)", n, len(ls), err)
	}

	// Dispose the person lead in the database (its findings from the stored lead).
	mustRun(t, "dispose", "--db", url, "--schema", schema, "--lead", ls[0].LeadID, "--status", "false_positive", "--reason", "已上缴", "--by", "张科长")
	if _, err := conn.Exec(ctx, "delete from "+T("disposition_events")); err == nil {
		t.Error("disposition_events accepted a delete")
	}
	mustRun(t, append(base, "--out", out2)...)
	for _, l := range readLeads(t, out2) {
		if l.LeadID == ls[0].LeadID {
			t.Fatal("false-positive lead still listed after run --db")
		}
	}
	if f := readFindings(t, out2)["T-COLLECT"]; f == nil || f.Disposition != dispose.FalsePositive {
		t.Fatalf("finding not marked: %+v", f)
	}
	hist := mustRun(t, "dispose", "--db", url, "--schema", schema, "--history", "--lead", ls[0].LeadID)
	if !strings.Contains(hist, "false_positive") {
		t.Errorf("history: %s", hist)
	}

	var last string
	conn.QueryRow(ctx, "select run_id from "+T("runs")+" order by finished_at desc limit 1").Scan(&last)
	page := filepath.Join(tmp, "db.html")
	mustRun(t, "report", "--db", url, "--schema", schema, "--run-id", last, "--out", page)
	b, _ := os.ReadFile(page)
	h := string(b)
	if !strings.Contains(h, `id="trend"`) || !strings.Contains(h, "误报") || strings.Contains(h, "王建国") || !strings.Contains(h, `data-rank="1"`) {
		t.Error("database report lacks the trend, the disposition or the leads, or shows a name")
	}
}

// assertNoPersonalData checks that no name (of two or more characters) or
// ID number of the register appears in the files meant for reading.
func assertNoPersonalData(t *testing.T, persons string, files ...string) {
	t.Helper()
	f, err := os.Open(persons)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		for _, r := range recs[1:] {
			if strings.Contains(text, r[0]) || (len([]rune(r[1])) >= 2 && strings.Contains(text, r[1])) {
				t.Errorf("%s shows %s / %s unmasked", filepath.Base(path), r[0], r[1])
				break
			}
		}
	}
}
