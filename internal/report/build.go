package report

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/neijiang/xiaowei/internal/dispose"
	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/mask"
	"github.com/neijiang/xiaowei/internal/money"
)

// pageBuilder turns a run's data into the page the template renders, one
// method per section of the report, in page order.
type pageBuilder struct {
	d    *Data
	o    Options
	m    *mask.Masker
	byID map[string]*findings.Finding // findings by id, for leads and dispositions
	p    *page
}

func build(d *Data, o Options) *page {
	if o.MaxRejects == 0 {
		o.MaxRejects = 200
	}
	b := &pageBuilder{d: d, o: o, m: NewMasker(d, o.Unmasked), byID: map[string]*findings.Finding{}}
	for _, f := range d.Findings {
		b.byID[f.FindingID] = f
	}
	b.header()
	b.overview()
	b.leads()
	b.villages()
	b.dispositions()
	b.dataQuality()
	return b.p
}

// header: title, campaign or routine, window and scope.
func (b *pageBuilder) header() {
	d, o, s := b.d, b.o, b.d.Summary
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
	b.p = p
}

// findingView is one finding as inspectors read it: masked text, its
// place, its disposition and its evidence with Chinese labels.
func (b *pageBuilder) findingView(f *findings.Finding) findingView {
	d, m := b.d, b.m
	v := findingView{ID: f.FindingID, RuleID: f.RuleID, Title: f.Title, Family: famLabel(f.Family), Severity: string(f.Severity), SevLabel: sevLabel(f.Severity),
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
	for _, k := range slices.Sorted(maps.Keys(ev)) {
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

// overview: the cards, the charts and the trend.
func (b *pageBuilder) overview() {
	d, p := b.d, b.p
	var amount money.Sum // checked: each lead's amount fits, their total may not
	confirmed := 0
	for _, l := range d.Leads {
		if l.Amount != nil {
			amount.Add(l.Amount.Fen)
		}
		if l.Confirmed {
			confirmed++
		}
	}
	amountText := money.Grouped(amount.Total)
	if amount.Err != nil {
		amountText = "超出可计算范围"
	}
	disposed, villages := 0, map[string]bool{}
	bySev := map[findings.Severity]int{}
	for _, f := range d.Findings {
		if f.Disposition != "" {
			disposed++
		}
		villages[f.VillageID] = true
		bySev[f.Severity]++
	}
	p.Cards = []card{
		{"问题线索", fmt.Sprint(len(d.Leads)), fmt.Sprintf("其中已核实 %d 条", confirmed)},
		{"发现问题", fmt.Sprint(len(d.Findings)), severityCounts(bySev)},
		{"涉及金额（元）", amountText, "线索所涉金额合计，同一事项只计一次"},
		{"涉及村（社区）", fmt.Sprint(len(villages)), fmt.Sprintf("覆盖 %d 个村（社区）", len(d.Places))},
		{"已处置", fmt.Sprint(disposed), "误报、暂缓或已核实的发现"},
	}
	p.Charts = charts(d)
	if len(d.Trend) > 1 {
		p.Trend = &chart{Title: "历次运行趋势", Caption: "每次运行的发现数（新增 / 已整改）", SVG: trendSVG(d.Trend)}
	}
}

// leads: one card per lead, in rank order, with its findings.
func (b *pageBuilder) leads() {
	m := b.m
	for _, l := range b.d.Leads {
		lv := leadView{Rank: l.Rank, ID: l.LeadID, Kind: l.Kind, Place: l.VillageName, Town: l.TownName, Severity: string(l.Severity), SevLabel: sevLabel(l.Severity),
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
			lv.Rules = append(lv.Rules, ruleView{RuleID: r.RuleID, Title: r.Title, Family: famLabel(r.Family), Severity: string(r.Severity), SevLabel: sevLabel(r.Severity),
				Amount: yuan(r.Amount), Findings: r.Findings, Score: fmt.Sprintf("%.1f", r.Score)})
		}
		for _, v := range l.Verify {
			lv.Verify = append(lv.Verify, m.Text(v))
		}
		for _, id := range l.FindingIDs {
			if f := b.byID[id]; f != nil {
				lv.Findings = append(lv.Findings, b.findingView(f))
			}
		}
		lv.Search = strings.Join([]string{lv.Who, lv.Role, lv.Place, lv.Town, lv.Families, lv.Contacts}, " ")
		b.p.Leads = append(b.p.Leads, lv)
	}
}

// villages: each village with findings, by town then code, its findings
// most severe first.
func (b *pageBuilder) villages() {
	d := b.d
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
		subj := map[string]int64{} // an amount counts once per subject
		for _, f := range fs {
			fams[f.Family]++
			if f.Amount != nil && f.Amount.Fen > subj[f.Subject] {
				subj[f.Subject] = f.Amount.Fen
			}
			vv.Findings = append(vv.Findings, b.findingView(f))
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
			return findings.Severity(vv.Findings[i].Severity).Rank() > findings.Severity(vv.Findings[j].Severity).Rank()
		})
		b.p.Villages = append(b.p.Villages, vv)
	}
}

// dispositions: every inspector's decision on a finding, active or not.
func (b *pageBuilder) dispositions() {
	d, m := b.d, b.m
	if d.Dispositions == nil {
		return
	}
	for _, id := range dispose.SortedIDs(d.Dispositions.Findings) {
		st := d.Dispositions.Findings[id]
		dv := dispView{Target: "发现 " + short(id), Status: st.Status, Label: dispose.Labels[st.Status], Until: st.Until, Reason: m.Text(st.Reason), By: st.By, At: st.At, Active: "生效"}
		if !st.Active {
			dv.Active = "已过期"
		}
		if f := b.byID[id]; f != nil {
			dv.Title, dv.Village = f.Title, d.placeName(f.VillageID)
		}
		b.p.Disposed = append(b.p.Disposed, dv)
	}
}

// dataQuality: tables read, rejected rows (masked, capped), missing tables,
// skipped and bad rules, and the score formula.
func (b *pageBuilder) dataQuality() {
	d, o, m, p, s := b.d, b.o, b.m, b.p, b.d.Summary
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
	p.Score = scoreFormula()
}
