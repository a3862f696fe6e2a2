package report

import (
	"encoding/json"
	"fmt"
	"html"
	"html/template"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/neijiang/xiaowei/internal/dispose"
	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/leads"
	"github.com/neijiang/xiaowei/internal/mask"
	"github.com/neijiang/xiaowei/internal/money"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/run"
)

// CSP forbids every request: the page is one file and must work offline
// and leak nothing.
const CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"

// Options tune the rendering.
type Options struct {
	Unmasked    bool   // --unmasked: for the authorised only
	GeneratedAt string // shown in the header
	MaxRejects  int    // rejected rows listed (default 200)
}

var sevOrder = []string{"critical", "high", "medium", "low"}

var sevColor = map[string]string{"critical": "#8b1a1a", "high": "#d9480f", "medium": "#d4a017", "low": "#6c757d"}

var familyColor = map[string]string{"disclosure": "#1f6feb", "cash": "#b35900", "relative": "#8250df", "data_quality": "#57606a"}

// evidenceLabels translate common evidence keys for inspectors.
var evidenceLabels = map[string]string{
	"amount": "金额", "date": "日期", "entry_id": "分录号", "voucher_no": "凭证号", "handled_by": "经手人", "approved_by": "审批人",
	"person_id": "身份证号", "name": "姓名", "case_id": "案件号", "payment_id": "支付号", "account_no": "账号", "account_holder_id": "账户持有人",
	"village_id": "村代码", "period": "期间", "days_late": "逾期天数", "due": "应公开日期", "posted_on": "公开日期", "removed_on": "撤下日期",
	"limit": "限额", "peak": "最高余额", "peak_day": "最高日", "days": "天数", "first_day": "起始日", "last_day": "结束日", "params": "参数",
	"relation": "关系", "role": "职务", "cadre_id": "干部身份证号", "cadre_name": "干部姓名", "program": "救助类别", "unbanked": "未缴存金额",
	"deadline": "缴存期限", "summary": "摘要", "counterparty": "对方", "category": "类别", "also": "同一事项的其他记录", "item": "公开事项",
}

type kv struct{ K, V string }

type findingView struct {
	ID, RuleID, Title, Family, Severity, SevLabel string
	Subject, Period, Amount, Message, Village     string
	Disposition, DispLabel, DispNote              string
	Evidence                                      []kv
}

type ruleView struct {
	RuleID, Title, Family, Severity, SevLabel, Amount string
	Findings                                          int
	Score                                             string
}

type leadView struct {
	Rank                              int
	ID, Kind, Who, Role, Place, Town  string
	Severity, SevLabel, Score, Amount string
	Confirmed                         bool
	Families, Contacts, Search        string
	Rules                             []ruleView
	Verify                            []string
	Findings                          []findingView
}

type villageView struct {
	ID, Name, Town, Amount, Families string
	Count, Leads                     int
	Findings                         []findingView
}

type dispView struct {
	Target, Status, Label, Until, Reason, By, At, Active, Title, Village string
}

type card struct{ Label, Value, Note string }

type chart struct {
	Title, Caption string
	SVG            template.HTML
}

type page struct {
	CSP, Title, Subtitle, AsOf, Window, Scope, Generated, Description string
	Campaign                                                          bool
	Masked                                                            bool
	Cards                                                             []card
	Charts                                                            []chart
	Trend                                                             *chart
	Leads                                                             []leadView
	Villages                                                          []villageView
	Disposed                                                          []dispView
	Tables                                                            []run.TableSummary
	Rejects                                                           []Reject
	RejectsMore, RejectsTotal                                         int
	Missing                                                           []string
	Skipped                                                           []run.SkippedRule
	BadRules                                                          []string
	Score                                                             string
}

// RenderHTML writes the report page.
func RenderHTML(w io.Writer, d *Data, o Options) error {
	p := build(d, o)
	return pageTmpl.Execute(w, p)
}

// NewMasker returns a masker that knows every name of the register and
// in the run's leads and evidence, so they are masked in free text too.
func NewMasker(d *Data, unmasked bool) *mask.Masker {
	m := mask.New(unmasked)
	if unmasked {
		return m
	}
	m.LearnAll(d.Names)
	for _, l := range d.Leads {
		if l.Person != nil {
			m.Learn(l.Person.Name)
		}
		for _, c := range l.Contacts {
			m.Learn(c.Name)
		}
	}
	for _, f := range d.Findings {
		m.LearnEvidence(f.Evidence)
	}
	return m
}

func sevLabel(s string) string { return leads.SeverityLabels[s] }

func famLabel(f string) string {
	if l := leads.FamilyLabels[f]; l != "" {
		return l
	}
	return f
}

func yuan(a *findings.Amount) string {
	if a == nil {
		return ""
	}
	return money.Grouped(a.Fen)
}

func build(d *Data, o Options) *page {
	m := NewMasker(d, o.Unmasked)
	if o.MaxRejects == 0 {
		o.MaxRejects = 200
	}
	s := d.Summary
	p := &page{CSP: CSP, Masked: !o.Unmasked, Generated: o.GeneratedAt, AsOf: s.AsOf, Title: "村级小微权力监督问题线索报告"}
	if d.Campaign != nil {
		p.Campaign = true
		p.Title = d.Campaign.Name
		p.Description = d.Campaign.Description
		p.Subtitle = "专项督查报告"
	} else {
		p.Subtitle = "例行监督报告"
	}
	switch {
	case s.From != "" || s.To != "":
		p.Window = fmt.Sprintf("%s 至 %s", orDash(s.From, "开始"), orDash(s.To, s.AsOf))
	default:
		p.Window = "全部期间"
	}
	p.Scope = scopeText(d)

	// Findings by id, with their place.
	byID := map[string]*findings.Finding{}
	for _, f := range d.Findings {
		byID[f.FindingID] = f
	}
	fv := func(f *findings.Finding) findingView {
		v := findingView{ID: f.FindingID, RuleID: f.RuleID, Title: f.Title, Family: famLabel(f.Family), Severity: f.Severity, SevLabel: sevLabel(f.Severity),
			Subject: m.Text(f.Subject), Period: m.Text(f.Period), Amount: yuan(f.Amount), Message: m.Text(f.Message), Village: d.placeName(f.VillageID)}
		if f.Disposition != "" {
			v.Disposition, v.DispLabel = f.Disposition, dispose.Labels[f.Disposition]
			if d.Dispositions != nil {
				if st, ok := d.Dispositions.Findings[f.FindingID]; ok {
					v.DispNote = fmt.Sprintf("%s（%s，%s）", m.Text(st.Reason), st.By, st.At[:min(10, len(st.At))])
				}
			}
		}
		ev := m.Evidence(f.Evidence)
		keys := make([]string, 0, len(ev))
		for k := range ev {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			label := evidenceLabels[k]
			if label == "" {
				label = k
			} else {
				label += "（" + k + "）"
			}
			v.Evidence = append(v.Evidence, kv{label, evidenceString(ev[k])})
		}
		return v
	}

	// Overview.
	var amount money.Sum // checked: each lead's amount fits, their total may not
	for _, l := range d.Leads {
		if l.Amount != nil {
			amount.Add(l.Amount.Fen)
		}
	}
	amountText := money.Grouped(amount.Total)
	if amount.Err != nil {
		amountText = "超出可计算范围"
	}
	disposed, villages := 0, map[string]bool{}
	bySev := map[string]int{}
	for _, f := range d.Findings {
		if f.Disposition != "" {
			disposed++
		}
		villages[f.VillageID] = true
		bySev[f.Severity]++
	}
	confirmed := 0
	for _, l := range d.Leads {
		if l.Confirmed {
			confirmed++
		}
	}
	p.Cards = []card{
		{"问题线索", fmt.Sprint(len(d.Leads)), fmt.Sprintf("其中已核实 %d 条", confirmed)},
		{"发现问题", fmt.Sprint(len(d.Findings)), fmt.Sprintf("严重 %d · 高 %d · 中 %d · 低 %d", bySev["critical"], bySev["high"], bySev["medium"], bySev["low"])},
		{"涉及金额（元）", amountText, "线索所涉金额合计，同一事项只计一次"},
		{"涉及村（社区）", fmt.Sprint(len(villages)), fmt.Sprintf("覆盖 %d 个村（社区）", len(d.Places))},
		{"已处置", fmt.Sprint(disposed), "误报、暂缓或已核实的发现"},
	}
	p.Charts = charts(d)
	if len(d.Trend) > 1 {
		p.Trend = &chart{Title: "历次运行趋势", Caption: "每次运行的发现数（新增 / 已整改）", SVG: trendSVG(d.Trend)}
	}

	// Leads.
	for _, l := range d.Leads {
		lv := leadView{Rank: l.Rank, ID: l.LeadID, Kind: l.Kind, Place: l.VillageName, Town: l.TownName, Severity: l.Severity, SevLabel: sevLabel(l.Severity),
			Score: fmt.Sprintf("%.1f", l.Score), Amount: yuan(l.Amount), Confirmed: l.Confirmed}
		if l.Person != nil {
			lv.Who = m.Name(l.Person.Name)
			if lv.Who == "" {
				lv.Who = m.ID(l.Person.PersonID)
			}
			lv.Role = l.Person.RoleLabel
			if lv.Role == "" {
				lv.Role = "非村干部"
			}
		} else {
			lv.Who = l.VillageName + "（村账务与公开）"
			lv.Role = "村级责任"
			var cs []string
			for _, c := range l.Contacts {
				cs = append(cs, c.RoleLabel+" "+m.Name(c.Name))
			}
			lv.Contacts = strings.Join(cs, "、")
		}
		var fams []string
		for _, f := range l.Families {
			fams = append(fams, famLabel(f))
		}
		lv.Families = strings.Join(fams, "、")
		for _, r := range l.Rules {
			lv.Rules = append(lv.Rules, ruleView{RuleID: r.RuleID, Title: r.Title, Family: famLabel(r.Family), Severity: r.Severity, SevLabel: sevLabel(r.Severity),
				Amount: yuan(r.Amount), Findings: r.Findings, Score: fmt.Sprintf("%.1f", r.Score)})
		}
		for _, v := range l.Verify {
			lv.Verify = append(lv.Verify, m.Text(v))
		}
		for _, id := range l.FindingIDs {
			if f := byID[id]; f != nil {
				lv.Findings = append(lv.Findings, fv(f))
			}
		}
		lv.Search = strings.Join([]string{lv.Who, lv.Role, lv.Place, lv.Town, lv.Families, lv.Contacts}, " ")
		p.Leads = append(p.Leads, lv)
	}

	// Villages.
	leadsPer := map[string]int{}
	for _, l := range d.Leads {
		leadsPer[l.VillageID]++
	}
	perV := map[string][]*findings.Finding{}
	var vids []string
	for _, f := range d.Findings {
		if perV[f.VillageID] == nil {
			vids = append(vids, f.VillageID)
		}
		perV[f.VillageID] = append(perV[f.VillageID], f)
	}
	sort.Slice(vids, func(i, j int) bool {
		ti, tj := d.Places[vids[i]].TownID, d.Places[vids[j]].TownID
		if ti != tj {
			return ti < tj
		}
		return vids[i] < vids[j]
	})
	for _, vid := range vids {
		fs := perV[vid]
		pl := d.Places[vid]
		vv := villageView{ID: vid, Name: orDash(pl.VillageName, vid), Town: pl.TownName, Count: len(fs), Leads: leadsPer[vid]}
		fams := map[string]int{}
		subj := map[string]int64{}
		for _, f := range fs {
			fams[f.Family]++
			if f.Amount != nil && f.Amount.Fen > subj[f.Subject] {
				subj[f.Subject] = f.Amount.Fen
			}
			vv.Findings = append(vv.Findings, fv(f))
		}
		var tot int64
		for _, a := range subj {
			tot += a
		}
		vv.Amount = money.Grouped(tot)
		var fl []string
		for _, fam := range slices.Sorted(maps.Keys(fams)) {
			fl = append(fl, fmt.Sprintf("%s %d", famLabel(fam), fams[fam]))
		}
		vv.Families = strings.Join(fl, " · ")
		sort.SliceStable(vv.Findings, func(i, j int) bool {
			return rules.SeverityRank(vv.Findings[i].Severity) > rules.SeverityRank(vv.Findings[j].Severity)
		})
		p.Villages = append(p.Villages, vv)
	}

	// Dispositions.
	if d.Dispositions != nil {
		for _, id := range dispose.SortedIDs(d.Dispositions.Findings) {
			st := d.Dispositions.Findings[id]
			dv := dispView{Target: "发现 " + short(id), Status: st.Status, Label: dispose.Labels[st.Status], Until: st.Until, Reason: m.Text(st.Reason), By: st.By, At: st.At, Active: "生效"}
			if !st.Active {
				dv.Active = "已过期"
			}
			if f := byID[id]; f != nil {
				dv.Title, dv.Village = f.Title, d.placeName(f.VillageID)
			}
			p.Disposed = append(p.Disposed, dv)
		}
	}

	// Data quality.
	p.Tables = s.Tables
	p.RejectsTotal = len(d.Rejects)
	for i, r := range d.Rejects {
		if i >= o.MaxRejects {
			p.RejectsMore = len(d.Rejects) - o.MaxRejects
			break
		}
		r.Value = m.Field(r.Column, r.Value)
		r.Reason = m.Text(r.Reason)
		p.Rejects = append(p.Rejects, r)
	}
	p.Missing, p.Skipped, p.BadRules = s.MissingTables, s.SkippedRules, s.BadRules
	p.Score = "得分 = Σ各规则 严重程度权重 ×（1 + log10(1 + 金额/10000)）×（1 + 0.25 × log2(该规则发现数)）＋ 15 ×（规则数 − 1）＋ 25 ×（问题类别数 − 1）；权重：严重 40、高 20、中 8、低 2。已核实的线索排在最前。"
	return p
}

func (d *Data) placeName(vid string) string {
	pl, ok := d.Places[vid]
	if !ok {
		return vid
	}
	if pl.TownName != "" {
		return pl.TownName + " " + pl.VillageName
	}
	return pl.VillageName
}

func scopeText(d *Data) string {
	towns, vills := map[string]string{}, map[string]string{}
	for _, p := range d.Places {
		towns[p.TownID] = p.TownName
		vills[p.VillageID] = p.TownName + p.VillageName
	}
	if d.Campaign != nil && (len(d.Campaign.Towns) > 0 || len(d.Campaign.Villages) > 0) {
		var parts []string
		for _, t := range d.Campaign.Towns {
			parts = append(parts, orDash(towns[t], t))
		}
		for _, v := range d.Campaign.Villages {
			parts = append(parts, orDash(vills[v], v))
		}
		return strings.Join(parts, "、")
	}
	return fmt.Sprintf("全部 %d 个镇（街道）、%d 个村（社区）", len(towns), len(vills))
}

func evidenceString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case nil:
		return "—"
	case bool:
		if x {
			return "是"
		}
		return "否"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func orDash(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// ---- charts (inline SVG) ----

type bar struct {
	Label string
	Value float64
	Text  string
	Color string
}

// hbars draws a horizontal bar chart.
func hbars(bars []bar, title string) template.HTML {
	const w, labelW, row, pad = 640, 150, 26, 8
	h := pad*2 + row*len(bars)
	maxV := 0.0
	for _, b := range bars {
		maxV = max(maxV, b.Value)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg viewBox="0 0 %d %d" width="100%%" role="img" aria-label="%s">`, w, h, html.EscapeString(title))
	for i, b := range bars {
		y := pad + i*row
		bw := 0.0
		if maxV > 0 {
			bw = (w - labelW - 110) * b.Value / maxV
		}
		color := b.Color
		if color == "" {
			color = "#1f6feb"
		}
		fmt.Fprintf(&sb, `<text x="%d" y="%d" text-anchor="end" font-size="13" fill="#24292f">%s</text>`, labelW-8, y+17, html.EscapeString(b.Label))
		fmt.Fprintf(&sb, `<rect x="%d" y="%d" width="%.1f" height="%d" rx="3" fill="%s"/>`, labelW, y+4, max(bw, 1), row-8, color)
		fmt.Fprintf(&sb, `<text x="%.1f" y="%d" font-size="12" fill="#24292f">%s</text>`, float64(labelW)+max(bw, 1)+6, y+17, html.EscapeString(b.Text))
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String())
}

func charts(d *Data) []chart {
	var out []chart
	fam := map[string]int{}
	famLeads := map[string]int{}
	sev := map[string]int{}
	type townAgg struct {
		name  string
		n     int
		subj  map[string]int64
		leads int
	}
	towns := map[string]*townAgg{}
	for _, f := range d.Findings {
		fam[f.Family]++
		sev[f.Severity]++
		pl := d.Places[f.VillageID]
		t := towns[pl.TownID]
		if t == nil {
			t = &townAgg{name: orDash(pl.TownName, orDash(pl.TownID, "未知")), subj: map[string]int64{}}
			towns[pl.TownID] = t
		}
		t.n++
		if f.Amount != nil && f.Amount.Fen > t.subj[f.Subject] {
			t.subj[f.Subject] = f.Amount.Fen
		}
	}
	for _, l := range d.Leads {
		for _, f := range l.Families {
			famLeads[f]++
		}
		if t := towns[l.TownID]; t != nil {
			t.leads++
		}
	}
	var fb []bar
	for _, f := range slices.Sorted(maps.Keys(fam)) {
		fb = append(fb, bar{Label: famLabel(f), Value: float64(fam[f]), Text: fmt.Sprintf("%d 项发现 · %d 条线索", fam[f], famLeads[f]), Color: familyColor[f]})
	}
	out = append(out, chart{Title: "按问题类别", Caption: "各类别的发现数与涉及线索数", SVG: hbars(fb, "按问题类别")})
	var sb []bar
	for _, s := range sevOrder {
		sb = append(sb, bar{Label: sevLabel(s), Value: float64(sev[s]), Text: fmt.Sprintf("%d", sev[s]), Color: sevColor[s]})
	}
	out = append(out, chart{Title: "按严重程度", Caption: "发现数", SVG: hbars(sb, "按严重程度")})
	ids := slices.Sorted(maps.Keys(towns))
	var tb, ab []bar
	for _, id := range ids {
		t := towns[id]
		var amt int64
		for _, a := range t.subj {
			amt += a
		}
		tb = append(tb, bar{Label: t.name, Value: float64(t.n), Text: fmt.Sprintf("%d 项 · %d 条线索", t.n, t.leads), Color: "#1f6feb"})
		ab = append(ab, bar{Label: t.name, Value: float64(amt), Text: money.Grouped(amt) + " 元", Color: "#b35900"})
	}
	out = append(out, chart{Title: "按镇（街道）", Caption: "发现数与线索数", SVG: hbars(tb, "按镇（街道）")})
	out = append(out, chart{Title: "涉及金额（按镇）", Caption: "同一事项只计一次", SVG: hbars(ab, "涉及金额")})
	return out
}

func trendSVG(ps []TrendPoint) template.HTML {
	const w, h, padL, padB = 640, 220, 40, 40
	maxV := 1
	for _, p := range ps {
		maxV = max(maxV, p.Findings)
	}
	step := float64(w-padL-20) / float64(max(len(ps)-1, 1))
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg viewBox="0 0 %d %d" width="100%%" role="img" aria-label="趋势">`, w, h)
	fmt.Fprintf(&sb, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#999"/>`, padL, h-padB, w-10, h-padB)
	var pts []string
	for i, p := range ps {
		x := float64(padL) + step*float64(i)
		y := float64(h-padB) - float64(h-padB-20)*float64(p.Findings)/float64(maxV)
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
		fmt.Fprintf(&sb, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="#1f6feb"/><text x="%.1f" y="%.1f" font-size="11" text-anchor="middle">%d</text>`, x, y, x, y-8, p.Findings)
		fmt.Fprintf(&sb, `<text x="%.1f" y="%d" font-size="11" text-anchor="middle">%s</text>`, x, h-padB+16, html.EscapeString(p.AsOf))
		fmt.Fprintf(&sb, `<text x="%.1f" y="%d" font-size="10" fill="#57606a" text-anchor="middle">+%d −%d</text>`, x, h-padB+30, p.New, p.Resolved)
	}
	fmt.Fprintf(&sb, `<polyline fill="none" stroke="#1f6feb" stroke-width="2" points="%s"/>`, strings.Join(pts, " "))
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String())
}
