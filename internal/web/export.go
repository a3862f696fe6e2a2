package web

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/dispose"
	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/money"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/store"
	"github.com/xuri/excelize/v2"
)

// maxExport bounds one export; a larger selection is refused, not cut.
const maxExport = 100000

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
