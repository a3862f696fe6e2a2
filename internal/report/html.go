package report

import (
	"encoding/json"
	"fmt"
	"html"
	"html/template"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/neijiang/xiaowei/internal/findings"
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

var sevColor = map[findings.Severity]string{findings.Critical: "#8b1a1a", findings.High: "#d9480f", findings.Medium: "#d4a017", findings.Low: "#6c757d"}

var familyColor = map[string]string{"disclosure": "#1f6feb", "cash": "#b35900", "relative": "#8250df", "major": "#1a7f37", "data_quality": "#57606a"}

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

func sevLabel(s findings.Severity) string { return s.Label() }

func famLabel(f string) string {
	if l := rules.FamilyLabels[f]; l != "" {
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
	sev := map[findings.Severity]int{}
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
	for _, s := range slices.Backward(findings.Severities) {
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
