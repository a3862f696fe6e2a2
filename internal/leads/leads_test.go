package leads

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/dispose"
	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/table"
)

const (
	vMTW   = "511002103201"       // 梅堂湾村
	vNQ    = "511002101204"       // 牛桥村
	pDep   = "511002197001010011" // deputy director of 梅堂湾村
	pCash  = "511002197001010022"
	pDir   = "511002197001010033"
	pClerk = "511002197001010044"
)

func loadTable(t *testing.T, name, body string) *table.Table {
	t.Helper()
	spec, _ := contract.Lookup(name)
	tb, _, rej, err := load.Table(context.Background(), spec, name+".csv", strings.NewReader(spec.Header()+"\n"+body), load.Options{})
	if err != nil || len(rej) > 0 {
		t.Fatalf("%s: %v %v", name, err, rej)
	}
	t.Cleanup(tb.Release)
	return tb
}

func tables(t *testing.T) map[string]*table.Table {
	return map[string]*table.Table{
		"villages": loadTable(t, "villages", vMTW+",梅堂湾村,511002103,朝阳镇,511002,市中区\n"+vNQ+",牛桥村,511002101,史家镇,511002,市中区\n"),
		"persons": loadTable(t, "persons", pDep+",王建国,M,1970-01-01,H1,head,"+vMTW+",\n"+
			pCash+",李会,F,1970-01-01,H2,head,"+vMTW+",\n"+
			pDir+",赵主任,M,1970-01-01,H3,head,"+vMTW+",\n"+
			pClerk+",孙协理,F,1970-01-01,H4,head,"+vNQ+",\n"),
		"cadres": loadTable(t, "cadres", pDep+","+vMTW+",deputy_director,2016-01-01,\n"+
			pCash+","+vMTW+",cashier,2010-01-01,2019-12-31\n"+ // left office
			pDir+","+vMTW+",director,2016-01-01,\n"+
			pClerk+","+vNQ+",subsidy_clerk,2016-01-01,\n"),
	}
}

func fnd(rule, family, sev, village, subject, resp string, fen int64) *findings.Finding {
	f := &findings.Finding{RuleID: rule, Family: family, Severity: findings.Severity(sev), VillageID: village, Subject: subject, Period: "2018-05",
		Responsible: resp, Title: rule}
	f.FindingID = findings.ID(rule, subject, f.Period)
	if fen > 0 {
		f.Amount = &findings.Amount{Fen: fen}
	}
	return f
}

func known() []*findings.Finding {
	fs := []*findings.Finding{
		// Meitangwan: unbanked premiums and the wrong handler, on the same entry.
		fnd("CASH-UNBANKED", "cash", "critical", vMTW, "entry:E1", pDep, 16800000),
		fnd("CASH-HANDLER", "cash", "medium", vMTW, "entry:E1", pDep, 16800000),
		// no person: the village's
		fnd("CASH-OVER-LIMIT", "cash", "medium", vMTW, "village-day:"+vMTW+"/2018-05-03", "", 16800000),
		fnd("DIS-MISSING", "disclosure", "high", vMTW, "obligation:"+vMTW+"/finance/2018-Q2", "", 0),
		// 牛桥村: one clerk with a repeated low rule
	}
	for i := 0; i < 30; i++ {
		fs = append(fs, fnd("CASH-LARGE", "cash", "low", vNQ, "entry:L"+string(rune('A'+i)), pClerk, 120000))
	}
	// and one with two families, medium
	fs = append(fs, fnd("REL-KIN", "relative", "medium", vNQ, "person:X1", pCash, 0),
		fnd("DIS-NOTICE-SHORT", "disclosure", "medium", vNQ, "case:C1", pCash, 0))
	findings.Sort(fs)
	return fs
}

func TestGroupingAndScoring(t *testing.T) {
	in := Input{Tables: tables(t), AsOf: civil.MustParse("2025-06-30"),
		Rules: map[string]RuleInfo{"CASH-UNBANKED": {Verify: "调取收款收据和银行流水，核实代收保费去向。"}}}
	ls, err := Build(known(), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 4 {
		t.Fatalf("%d leads, want 4", len(ls))
	}
	top := ls[0]
	if top.Kind != "person" || top.Person.PersonID != pDep || top.Person.Name != "王建国" || top.Person.RoleLabel != "副主任" {
		t.Fatalf("top lead: %+v %+v", top, top.Person)
	}
	if top.VillageName != "梅堂湾村" || top.TownName != "朝阳镇" || top.Severity != "critical" {
		t.Fatalf("top place: %+v", top)
	}
	// the same entry counted once
	if top.Amount.String() != "168000.00" {
		t.Fatalf("amount %s", top.Amount)
	}
	// 40 × (1+log10(17.8)) + 8 × (1+log10(17.8)) + 15 = 123.0
	if top.Score != 123 {
		t.Fatalf("score %v", top.Score)
	}
	if top.Verify[0] != "调取收款收据和银行流水，核实代收保费去向。" || len(top.Verify) != 2 {
		t.Fatalf("verify %v", top.Verify)
	}
	byKey := map[string]*Lead{}
	for _, l := range ls {
		byKey[l.Key] = l
	}
	v := byKey["village:"+vMTW]
	if v == nil || len(v.Contacts) != 2 || v.Contacts[0].Name != "李会" || v.Contacts[1].Name != "赵主任" {
		t.Fatalf("village lead contacts: %+v", v)
	}
	multi, rep := byKey["person:"+pCash], byKey["person:"+pClerk]
	if multi.Score <= rep.Score {
		t.Fatalf("two families (%v) should outrank 30 repeats of one low rule (%v)", multi.Score, rep.Score)
	}
	if rep.Amount.String() != "36000.00" || rep.Rules[0].Findings != 30 {
		t.Fatalf("repeats: %+v", rep.Rules)
	}
	for i, l := range ls {
		if l.Rank != i+1 {
			t.Fatal("ranks")
		}
	}
	// stable ids and byte-identical output
	var a, b bytes.Buffer
	WriteJSONL(&a, ls)
	ls2, err := Build(known(), in)
	if err != nil {
		t.Fatal(err)
	}
	WriteJSONL(&b, ls2)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("rebuild differs")
	}
	if top.LeadID != ID("person:"+pDep) {
		t.Fatal("lead id not the hash of its key")
	}
	back, err := ReadJSONL(&a)
	if err != nil || len(back) != 4 || back[0].Amount.Fen != 16800000 {
		t.Fatalf("read back: %v", err)
	}
}

func TestDispositions(t *testing.T) {
	in := Input{Tables: tables(t), AsOf: civil.MustParse("2025-06-30")}
	fs := known()
	var unbanked, handler, large string
	for _, f := range fs {
		switch f.RuleID {
		case "CASH-UNBANKED":
			unbanked = f.FindingID
		case "CASH-HANDLER":
			handler = f.FindingID
		case "CASH-LARGE":
			large = f.FindingID
		}
	}
	at := "2025-07-01T10:00:00+08:00"
	evs := []dispose.Event{
		{At: at, FindingID: unbanked, Status: dispose.FalsePositive, Reason: "已上缴", By: "甲"},
		{At: at, FindingID: handler, Status: dispose.FalsePositive, Reason: "已上缴", By: "甲"},
		{At: at, FindingID: large, Status: dispose.Suppressed, Until: "2025-06-30", Reason: "镇纪委在办", By: "乙"},
		{At: at, LeadID: ID("village:" + vNQ), FindingIDs: []string{"x"}, Status: dispose.Confirmed, Reason: "r", By: "b"},
		{At: at, LeadID: ID("person:" + pCash), FindingIDs: []string{"x"}, Status: dispose.Confirmed, Reason: "r", By: "b"},
	}
	in.Dispositions = dispose.Apply(fs, evs, in.AsOf, "test")
	ls, err := Build(fs, in)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if l.Key == "person:"+pDep {
			t.Fatal("false-positive lead still listed")
		}
	}
	if ls[0].Key != "person:"+pCash || !ls[0].Confirmed {
		t.Fatalf("confirmed lead not first: %+v", ls[0])
	}
	for _, l := range ls {
		if l.Key == "person:"+pClerk && len(l.FindingIDs) != 29 {
			t.Fatalf("suppressed finding still in lead: %d", len(l.FindingIDs))
		}
	}
	// the suppression expires the day after until
	fs = known()
	in.AsOf = civil.MustParse("2025-07-01")
	in.Dispositions = dispose.Apply(fs, evs, in.AsOf, "test")
	for _, f := range fs {
		if f.FindingID == large && f.Disposition != "" {
			t.Fatal("expired suppression still applied")
		}
		if f.FindingID == unbanked && f.Disposition != dispose.FalsePositive {
			t.Fatal("false positive not marked")
		}
	}
}

func TestFillVerify(t *testing.T) {
	ev := map[string]any{"cadre_name": "赵主任", "params": map[string]any{"days": 3}}
	if got := fillVerify("核实{{cadre_name}}是否在{{ params.days }}日内缴存，{{missing}}。", ev); got != "核实赵主任是否在3日内缴存，相关人员/事项。" {
		t.Fatal(got)
	}
}

// TestAmountOverflow: a lead whose findings' amounts add up beyond int64
// fen is an error naming the lead, not a wrapped amount or a NaN score.
func TestAmountOverflow(t *testing.T) {
	in := Input{Tables: tables(t), AsOf: civil.MustParse("2025-06-30")}
	var fs []*findings.Finding
	for i, fen := range []int64{1<<62 + 1, 1 << 62, 1 << 62} {
		fs = append(fs, &findings.Finding{FindingID: fmt.Sprintf("f%d", i), RuleID: "R", Family: "cash", Severity: "high",
			VillageID: vNQ, Subject: fmt.Sprintf("entry:E%d", i), Amount: &findings.Amount{Fen: fen}})
	}
	_, err := Build(fs, in)
	if err == nil || !strings.Contains(err.Error(), "overflows int64 fen") || !strings.Contains(err.Error(), "lead "+ID("village:"+vNQ)) {
		t.Errorf("err = %v, want an overflow naming the lead", err)
	}
	ls, err := Build(fs[:1], in)
	if err != nil || ls[0].Amount.Fen != 1<<62+1 {
		t.Errorf("one finding: %v %v", ls, err)
	}
}
