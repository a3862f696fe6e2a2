package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/dispose"
	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/money"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/store"
)

const perPage = 50

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
	q := r.URL.Query()
	f, bad := filterOf(q)
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
		"Statuses": dispose.WorkflowStatuses, "Q": q, "Families": rules.FamilyLabels, "Severities": severitiesDesc()}
	if f.Page > 1 {
		data["Prev"] = query(q, "page", itoa(f.Page-1))
	}
	if p := max(f.Page, 1); p*perPage < total {
		data["Next"] = query(q, "page", itoa(p+1))
	}
	data["Export"] = query(q, "page", "")
	for _, k := range []string{"score", "amount", "age"} {
		data["Sort_"+k] = query(q, "sort", k, "page", "")
	}
	statusLinks := []map[string]any{{"Label": "全部", "N": sumCounts(byStatus), "Q": query(q, "status", "", "page", ""), "On": f.Status == ""}}
	for _, st := range dispose.WorkflowStatuses {
		statusLinks = append(statusLinks, map[string]any{"Label": dispose.WorkflowLabels[st], "N": byStatus[st],
			"Q": query(q, "status", st, "page", ""), "On": f.Status == st})
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

// severitiesDesc are the severity names for the queue's filter, most
// severe first.
func severitiesDesc() []string {
	var out []string
	for _, s := range slices.Backward(findings.Severities) {
		out = append(out, string(s))
	}
	return out
}
