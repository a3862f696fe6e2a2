package web

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/dispose"
	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/leads"
	"github.com/neijiang/xiaowei/internal/money"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/store"
)

const perPage = 50

// maxExport bounds one export; a larger selection is refused, not cut.
const maxExport = 100000

// filterOf reads the queue's filter from the URL; a malformed value is an
// error naming the field.
func filterOf(v url.Values) (store.QueueFilter, []string) {
	f := store.QueueFilter{Town: v.Get("town"), Village: v.Get("village"), Family: v.Get("family"), Rule: v.Get("rule"),
		Severity: v.Get("severity"), Status: v.Get("status"), Assignee: v.Get("assignee"), Campaign: v.Get("campaign"),
		Search: strings.TrimSpace(v.Get("q")), Sort: v.Get("sort"), Overdue: v.Get("overdue") == "1", PerPage: perPage}
	var bad []string
	for _, d := range []struct {
		key string
		dst *string
	}{{"from", &f.FirstFrom}, {"to", &f.FirstTo}} {
		if s := v.Get(d.key); s != "" {
			if _, err := civil.Parse(s); err != nil {
				bad = append(bad, fmt.Sprintf("首次发现日期 %s：应为 YYYY-MM-DD", s))
				continue
			}
			*d.dst = s
		}
	}
	for _, a := range []struct {
		key string
		dst *int64
		has *bool
	}{{"min", &f.AmountMin, &f.HasAmountMin}, {"max", &f.AmountMax, &f.HasAmountMax}} {
		if s := strings.TrimSpace(v.Get(a.key)); s != "" {
			fen, err := money.Parse(s)
			if err != nil {
				bad = append(bad, fmt.Sprintf("金额 %s：应为元，最多两位小数", s))
				continue
			}
			*a.dst, *a.has = int64(fen), true
		}
	}
	if p, err := strconv.Atoi(v.Get("page")); err == nil && p > 0 {
		f.Page = p
	}
	switch f.Sort {
	case "", "score", "amount", "age":
	default:
		bad = append(bad, "排序 "+f.Sort+"：应为 score、amount 或 age")
		f.Sort = ""
	}
	if f.Status != "" && dispose.WorkflowLabels[f.Status] == "" {
		bad = append(bad, "状态 "+f.Status+" 无效")
		f.Status = ""
	}
	return f, bad
}

func (s *Server) queue(w http.ResponseWriter, r *http.Request) {
	sc := scope(r)
	if !sc.SeesLeads() {
		http.Error(w, "无权查看线索", http.StatusForbidden)
		return
	}
	f, bad := filterOf(r.URL.Query())
	key, gen := countKey(sc, f), s.counts.generation()
	byStatus, cachedCounts := s.counts.get(key)
	f.NoCounts = cachedCounts
	rows, total, counted, err := s.st.Queue(r.Context(), sc, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if cachedCounts {
		total = byStatus[f.Status]
		if f.Status == "" {
			total = sumCounts(byStatus)
		}
	} else {
		byStatus = counted
		s.counts.put(key, counted, gen)
	}
	data := map[string]any{"Rows": rows, "Total": total, "ByStatus": byStatus, "Filter": f, "Bad": bad, "M": newMasker(false),
		"Statuses": dispose.WorkflowStatuses, "Q": r.URL.Query(), "Families": rules.FamilyLabels, "Severities": severitiesDesc()}
	if f.Page > 1 {
		data["Prev"] = query(r.URL.Query(), "page", itoa(f.Page-1))
	}
	if p := max(f.Page, 1); p*perPage < total {
		data["Next"] = query(r.URL.Query(), "page", itoa(p+1))
	}
	data["Export"] = query(r.URL.Query(), "page", "")
	for _, k := range []string{"score", "amount", "age"} {
		data["Sort_"+k] = query(r.URL.Query(), "sort", k, "page", "")
	}
	statusLinks := []map[string]any{{"Label": "全部", "N": sumCounts(byStatus), "Q": query(r.URL.Query(), "status", "", "page", ""), "On": f.Status == ""}}
	for _, st := range dispose.WorkflowStatuses {
		statusLinks = append(statusLinks, map[string]any{"Label": dispose.WorkflowLabels[st], "N": byStatus[st],
			"Q": query(r.URL.Query(), "status", st, "page", ""), "On": f.Status == st})
	}
	data["StatusLinks"] = statusLinks
	if sc.CanAssign() {
		as, err := s.pick.assignees(r.Context(), s.st)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		data["Assignees"] = as
	}
	vs, err := s.pick.villages(r.Context(), s.st, sc)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data["Villages"] = vs
	towns := map[string]string{}
	var townIDs []string
	for _, v := range vs {
		if _, ok := towns[v.TownID]; !ok {
			townIDs = append(townIDs, v.TownID)
		}
		towns[v.TownID] = v.TownName
	}
	data["Towns"], data["TownIDs"] = towns, townIDs
	s.render(w, r, "queue", data)
}

func sumCounts(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// bulkAssign assigns the checked leads (each at the version the queue
// showed) to one account; leads changed meanwhile are reported, not
// overwritten.
func (s *Server) bulkAssign(w http.ResponseWriter, r *http.Request) {
	sc := scope(r)
	to := r.PostForm.Get("assignee")
	var done int
	var problems []string
	for _, item := range r.PostForm["lead"] {
		id, ver, ok := strings.Cut(item, "@")
		v, err := strconv.Atoi(ver)
		if !ok || err != nil {
			problems = append(problems, item+"：格式无效")
			continue
		}
		if err := s.st.Assign(r.Context(), sc, id, v, to); err != nil {
			if errors.Is(err, store.ErrForbidden) {
				http.Error(w, "无权分派线索", http.StatusForbidden)
				return
			}
			problems = append(problems, id+"："+message(err))
			continue
		}
		done++
	}
	msg := fmt.Sprintf("已分派 %d 条线索给 %s", done, to)
	if len(problems) > 0 {
		msg += "；未分派：" + strings.Join(problems, "；")
	}
	back := r.PostForm.Get("back")
	if !strings.HasPrefix(back, "/leads") {
		back = "/leads"
	}
	sep := "?"
	if strings.Contains(back, "?") {
		sep = "&"
	}
	http.Redirect(w, r, back+sep+"msg="+url.QueryEscape(msg), http.StatusSeeOther)
}

// message turns a store error into what the inspector reads.
func message(err error) string {
	var ce *store.ConflictError
	switch {
	case errors.As(err, &ce):
		by := ce.By
		if by == "" {
			by = "他人"
		}
		return fmt.Sprintf("保存冲突：该线索已被 %s 于 %s 修改。您的输入未丢失，已保留在下方表单中；请核对最新内容后再次提交。", by, ce.At.In(civil.Shanghai).Format("15:04:05"))
	case errors.Is(err, store.ErrNotFound):
		return "未找到该线索"
	case errors.Is(err, store.ErrForbidden):
		return "无权执行此操作"
	}
	return "无法保存：" + err.Error()
}

func (s *Server) leadPage(w http.ResponseWriter, r *http.Request) {
	s.showLead(w, r, r.PathValue("id"), nil, false)
}

// showLead renders a lead; form keeps what the user submitted when saving
// failed, so nothing typed is lost.
func (s *Server) showLead(w http.ResponseWriter, r *http.Request, id string, form map[string]any, reveal bool) {
	sc := scope(r)
	if !sc.SeesLeads() {
		s.notFound(w, r)
		return
	}
	d, err := s.st.Lead(r.Context(), sc, id, civil.Today())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var l leads.Lead
	if len(d.Payload) > 2 {
		if err := json.Unmarshal(d.Payload, &l); err != nil {
			s.fail(w, r, fmt.Errorf("lead %s payload: %w", id, err))
			return
		}
	}
	m := newMasker(reveal)
	// Names in the evidence and messages are masked wherever they appear.
	if d.PersonName != "" {
		m.m.Learn(d.PersonName)
	}
	if l.Person != nil {
		m.m.Learn(l.Person.Name)
	}
	for _, c := range l.Contacts {
		m.m.Learn(c.Name)
	}
	for i := range d.Findings {
		m.m.LearnEvidence(d.Findings[i].Evidence)
	}
	type shownFinding struct {
		store.FindingRow
		Shown map[string]any
	}
	var fs []shownFinding
	for _, f := range d.Findings {
		fs = append(fs, shownFinding{f, m.m.Evidence(f.Evidence)})
	}
	verify := l.Verify
	data := map[string]any{"L": d, "Lead": &l, "Findings": fs, "M": m, "Revealed": reveal, "Verify": verify, "Form": form,
		"Conclusions": dispose.Conclusions, "Forms": dispose.Forms, "Today": civil.Today().String()}
	if sc.CanAssign() {
		as, err := s.pick.assignees(r.Context(), s.st)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		data["Assignees"] = as
	}
	if form != nil {
		w.WriteHeader(http.StatusConflict)
	}
	s.render(w, r, "lead", data)
}

// leadAction handles the lead page's forms.
func (s *Server) leadAction(w http.ResponseWriter, r *http.Request) {
	sc := scope(r)
	id, action := r.PathValue("id"), r.PathValue("action")
	f := r.PostForm
	version, _ := strconv.Atoi(f.Get("version"))
	var err error
	switch action {
	case "assign":
		err = s.st.Assign(r.Context(), sc, id, version, f.Get("assignee"))
	case "status":
		err = s.st.Move(r.Context(), sc, id, version, f.Get("to"), f.Get("note"))
	case "due":
		var d civil.Date
		if d, err = civil.Parse(f.Get("due")); err == nil {
			err = s.st.SetDue(r.Context(), sc, id, version, d)
		}
	case "conclude":
		var outs []store.Outcome
		if outs, err = outcomesOf(f); err == nil {
			err = s.st.Conclude(r.Context(), sc, id, version, f.Get("conclusion"), f.Get("defer_until"), f.Get("reason"), outs)
		}
	case "outcome":
		var outs []store.Outcome
		if outs, err = outcomesOf(f); err == nil {
			if len(outs) == 0 {
				err = errors.New("请填写问责对象、方式和日期")
			} else {
				err = s.st.AddOutcome(r.Context(), sc, id, version, outs[0])
			}
		}
	case "comment":
		err = s.st.Comment(r.Context(), sc, id, f.Get("text"))
	case "reveal":
		if !sc.CanReveal() {
			err = store.ErrForbidden
			break
		}
		var reason string
		if reason, err = revealReason(f); err != nil {
			break
		}
		if err = s.st.LeadAudit(r.Context(), sc, id, "reveal", reason); err == nil {
			s.showLead(w, r, id, nil, true) // lasts for this page only
			return
		}
	default:
		s.notFound(w, r)
		return
	}
	if err != nil {
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrForbidden) {
			s.fail(w, r, err)
			return
		}
		form := map[string]any{"Action": action, "Error": message(err)}
		for k := range f {
			if k != "csrf" {
				form[k] = f.Get(k)
			}
		}
		s.showLead(w, r, id, form, false)
		return
	}
	http.Redirect(w, r, "/leads/"+url.PathEscape(id), http.StatusSeeOther)
}

// outcomesOf reads the outcome rows of a form (person_N, form_N, …); rows
// left wholly empty are skipped, half-filled ones are errors.
func outcomesOf(f url.Values) ([]store.Outcome, error) {
	var out []store.Outcome
	for i := 0; i < 5; i++ {
		k := func(n string) string { return strings.TrimSpace(f.Get(n + "_" + itoa(i))) }
		person, form, on, doc, rec := k("person"), k("form"), k("decided_on"), k("doc_no"), k("recovered")
		if person == "" && form == "" && on == "" && doc == "" && rec == "" {
			continue
		}
		o := store.Outcome{Person: person, Form: form, DecidedOn: on, DocNo: doc}
		if rec != "" {
			fen, err := money.Parse(rec)
			if err != nil {
				return nil, fmt.Errorf("第 %d 行追缴/退赔金额 %q：应为元，最多两位小数", i+1, rec)
			}
			o.RecoveredFen = int64(fen)
		}
		out = append(out, o)
	}
	return out, nil
}

// revealReason is the reason a user gives for seeing unmasked personal
// data (on a lead page or in an export): required, so every reveal in the
// audit log says why.
func revealReason(f url.Values) (string, error) {
	reason := strings.TrimSpace(f.Get("reason"))
	if reason == "" {
		return "", errors.New("查看未脱敏信息须说明理由")
	}
	return reason, nil
}

// exportRows reads the whole filtered queue (up to 100,000 leads). A GET
// is the masked export anyone who sees leads may take; a POST (CSRF-checked,
// with a reason) is the unmasked export, only for the roles that may reveal
// on a lead page, and it is logged as export_unmasked with its reason.
func (s *Server) exportRows(w http.ResponseWriter, r *http.Request, format string) ([]store.QueueRow, masker, bool) {
	sc := scope(r)
	reveal := r.Method == http.MethodPost
	if !sc.SeesLeads() || (reveal && !sc.CanReveal()) {
		http.Error(w, "无权导出", http.StatusForbidden)
		return nil, masker{}, false
	}
	var reason string
	if reveal {
		var err error
		if reason, err = revealReason(r.PostForm); err != nil {
			http.Error(w, "导出未脱敏数据失败："+err.Error(), http.StatusBadRequest)
			return nil, masker{}, false
		}
	}
	f, bad := filterOf(r.URL.Query())
	if len(bad) > 0 {
		http.Error(w, strings.Join(bad, "；"), http.StatusBadRequest)
		return nil, masker{}, false
	}
	f.Page, f.PerPage = 1, maxExport
	rows, total, _, err := s.st.Queue(r.Context(), sc, f)
	if err != nil {
		s.fail(w, r, err)
		return nil, masker{}, false
	}
	if total > len(rows) { // never a silently cut export
		http.Error(w, fmt.Sprintf("当前筛选共 %d 条线索，超过导出上限 %d 条，请缩小筛选范围后再导出", total, maxExport), http.StatusRequestEntityTooLarge)
		return nil, masker{}, false
	}
	if !reveal {
		_ = s.st.Audit(r.Context(), store.AuditEntry{Actor: sc.User, Action: "export", Note: fmt.Sprintf("%s, %d leads, filter %s", format, len(rows), r.URL.RawQuery)})
		return rows, newMasker(false), true
	}
	// Unmasked data leaves only once its audit entry is written.
	if err := s.st.Audit(r.Context(), store.AuditEntry{Actor: sc.User, Action: "export_unmasked", Note: reason,
		After: map[string]any{"format": format, "rows": len(rows), "filter": r.URL.RawQuery, "reason": reason}}); err != nil {
		s.fail(w, r, err)
		return nil, masker{}, false
	}
	return rows, newMasker(true), true
}

var exportHeader = []string{"线索编号", "来源", "镇街", "村", "涉及人员", "严重程度", "评分", "涉及金额（元）", "问题类别", "规则", "发现数", "状态", "承办人", "结论", "办理期限", "超期", "首次发现", "摘要"}

// exportRecord is one lead as exported: masked unless m reveals, and with
// every cell that a spreadsheet would read as a formula made inert (also
// unmasked: a revealed name can be a formula as well).
func exportRecord(q store.QueueRow, m masker) []string {
	amount := ""
	if q.HasAmount {
		amount = money.Format(money.Fen(q.AmountFen))
	}
	source := "系统发现"
	if q.Source == "informant" {
		source = "信息员报告"
	}
	overdue := ""
	if q.Overdue {
		overdue = "是"
	}
	fams := make([]string, len(q.Families))
	for i, f := range q.Families {
		fams[i] = or(rules.FamilyLabels[f], f)
	}
	rec := []string{q.LeadID, source, q.TownName, q.VillageNm, m.Name(q.PersonName), or(findings.Severity(q.Severity).Label(), q.Severity),
		strconv.FormatFloat(q.Score, 'f', 1, 64), amount, strings.Join(fams, "、"), strings.Join(q.Rules, "、"), itoa(len(q.FindingIDs)),
		dispose.WorkflowLabels[q.Status], q.Assignee, dispose.ConclusionLabels[q.Conclusion], q.DueOn, overdue,
		q.FirstSeen.In(civil.Shanghai).Format("2006-01-02"), m.Text(q.Summary)}
	for i := range rec {
		rec[i] = inert(rec[i])
	}
	return rec
}

// inert prefixes a cell that starts like a formula (= + - @, tab, CR)
// with an apostrophe, so Excel and WPS show it as text (CSV injection).
func inert(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func (s *Server) exportCSV(w http.ResponseWriter, r *http.Request) {
	rows, m, ok := s.exportRows(w, r, "csv")
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="leads.csv"`)
	w.Write([]byte("\ufeff")) // a BOM, so Excel reads UTF-8
	cw := csv.NewWriter(w)
	cw.Write(exportHeader)
	for _, q := range rows {
		cw.Write(exportRecord(q, m))
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		s.log.Warn("csv export", "err", err)
	}
}

func (s *Server) exportXLSX(w http.ResponseWriter, r *http.Request) {
	rows, m, ok := s.exportRows(w, r, "xlsx")
	if !ok {
		return
	}
	x := excelize.NewFile()
	defer x.Close()
	sheet := "线索"
	x.SetSheetName("Sheet1", sheet)
	sw, err := x.NewStreamWriter(sheet)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	row := make([]any, len(exportHeader))
	put := func(n int, rec []string) error {
		for i, v := range rec {
			row[i] = v // strings are written as text cells, never formulas
		}
		cell, _ := excelize.CoordinatesToCellName(1, n)
		return sw.SetRow(cell, row)
	}
	if err := put(1, exportHeader); err != nil {
		s.fail(w, r, err)
		return
	}
	for i, q := range rows {
		if err := put(i+2, exportRecord(q, m)); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if err := sw.Flush(); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="leads.xlsx"`)
	if err := x.Write(w); err != nil {
		s.log.Error("xlsx export", "err", err)
	}
}

// severitiesDesc are the severity names for the queue's filter, most
// severe first.
func severitiesDesc() []string {
	var out []string
	for _, s := range slices.Backward(findings.Severities) {
		out = append(out, string(s))
	}
	return out
}
