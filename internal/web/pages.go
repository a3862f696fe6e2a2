package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/neijiang/xiaowei/internal/auth"
	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/dispose"
	"github.com/neijiang/xiaowei/internal/money"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/store"
)

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	sc := scope(r)
	if !sc.SeesLeads() {
		http.Error(w, "无权查看", http.StatusForbidden)
		return
	}
	d, err := s.st.Dashboard(r.Context(), sc, civil.Today())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	chart := func(cs []store.Count, label func(store.Count) string, money bool) []Bar {
		ls, ns, vs := make([]string, len(cs)), make([]int, len(cs)), make([]string, len(cs))
		for i, c := range cs {
			ls[i], ns[i], vs[i] = label(c), c.N, itoa(c.N)
			if money {
				vs[i] += "（" + yuan(c.Fen) + " 元）"
			}
		}
		return bars(ls, ns, vs, 360)
	}
	tl, tn, tr := make([]string, len(d.Trend)), make([]int, len(d.Trend)), make([]int, len(d.Trend))
	for i, t := range d.Trend {
		tl[i], tn[i], tr[i] = t.AsOf, t.New, t.Resolved
	}
	data := map[string]any{"D": d,
		"ByStatus":         chart(d.ByStatus, func(c store.Count) string { return dispose.WorkflowLabels[c.Key] }, false),
		"ByConclusion":     chart(d.ByConclusion, func(c store.Count) string { return dispose.ConclusionLabels[c.Key] }, false),
		"ByTown":           chart(d.ByTown, func(c store.Count) string { return or(c.Label, c.Key) }, true),
		"ByFamily":         chart(d.ByFamily, func(c store.Count) string { return or(rules.FamilyLabels[c.Key], c.Key) }, true),
		"ByForm":           chart(d.ByForm, func(c store.Count) string { return c.Key }, false),
		"FindingsByTown":   chart(d.FindingsByTown, func(c store.Count) string { return or(c.Label, c.Key) }, true),
		"FindingsByFamily": chart(d.FindingsByFamily, func(c store.Count) string { return or(rules.FamilyLabels[c.Key], c.Key) }, true),
		"Trend":            trend(tl, tn, tr, 600, 120),
	}
	s.render(w, r, "dashboard", data)
}

func yuan(fen int64) string { return money.Grouped(money.Fen(fen)) }

func (s *Server) campaigns(w http.ResponseWriter, r *http.Request) {
	sc := scope(r)
	if !sc.SeesLeads() {
		http.Error(w, "无权查看", http.StatusForbidden)
		return
	}
	cs, err := s.st.Campaigns(r.Context(), sc)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	type row struct {
		store.CampaignRow
		Q string
	}
	var out []row
	for _, c := range cs {
		out = append(out, row{c, url.Values{"campaign": {c.Name}}.Encode()})
	}
	s.render(w, r, "campaigns", map[string]any{"Campaigns": out})
}

func (s *Server) fileForm(w http.ResponseWriter, r *http.Request) {
	s.renderFile(w, r, nil, http.StatusOK)
}

func (s *Server) renderFile(w http.ResponseWriter, r *http.Request, form map[string]any, code int) {
	sc := scope(r)
	if !sc.CanFile() {
		http.Error(w, "无权报告线索", http.StatusForbidden)
		return
	}
	vs, err := s.pick.villages(r.Context(), s.st, sc)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(code)
	s.render(w, r, "file", map[string]any{"Villages": vs, "Form": form, "Today": civil.Today().String()})
}

func (s *Server) fileLead(w http.ResponseWriter, r *http.Request) {
	sc := scope(r)
	f := r.PostForm
	id, err := s.st.FileLead(r.Context(), sc, store.FiledLead{VillageID: f.Get("village"), Who: strings.TrimSpace(f.Get("who")),
		What: strings.TrimSpace(f.Get("what")), Where: strings.TrimSpace(f.Get("where")), When: f.Get("when")}, s.cfg.DueDays)
	if errors.Is(err, store.ErrForbidden) {
		http.Error(w, "无权报告线索", http.StatusForbidden)
		return
	}
	if err != nil {
		form := keptForm(f)
		form["Error"] = "未能提交：" + err.Error()
		s.renderFile(w, r, form, http.StatusUnprocessableEntity)
		return
	}
	http.Redirect(w, r, "/leads/"+url.PathEscape(id), http.StatusSeeOther)
}

func (s *Server) users(w http.ResponseWriter, r *http.Request) {
	s.renderUsers(w, r, "", http.StatusOK)
}

func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, msg string, code int) {
	if !scope(r).IsAdmin() {
		s.notFound(w, r)
		return
	}
	as, err := s.st.Accounts(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(code)
	s.render(w, r, "users", map[string]any{"Accounts": as, "Roles": auth.Roles, "Msg": msg})
}

func (s *Server) userAdd(w http.ResponseWriter, r *http.Request) {
	sc := scope(r)
	if !sc.IsAdmin() {
		s.notFound(w, r)
		return
	}
	f := r.PostForm
	a, err := NewAccount(f.Get("username"), f.Get("display_name"), f.Get("role"), f.Get("towns"), f.Get("village"), f.Get("password"))
	if err == nil {
		err = s.st.AddAccount(r.Context(), *a, sc.User)
	}
	if err != nil {
		s.renderUsers(w, r, "未能新增账户："+err.Error(), http.StatusUnprocessableEntity)
		return
	}
	s.pick.forget()
	http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
}

// NewAccount checks and builds an account with a hashed password (the web
// form and `xiaowei user add` share it).
// An informant may be given a village instead of towns: the store derives
// its town from the villages table and refuses an unknown village.
func NewAccount(user, display, role, towns, village, password string) (*store.Account, error) {
	user = strings.TrimSpace(user)
	var problems []string
	if user == "" || strings.ContainsAny(user, " \t\r\n/") || len(user) > 64 {
		problems = append(problems, "user name: 1-64 characters, no spaces or /")
	}
	if err := auth.ValidRole(role); err != nil {
		problems = append(problems, err.Error())
	}
	var ts []string
	for _, t := range strings.Split(towns, ",") {
		if t = strings.TrimSpace(t); t != "" {
			ts = append(ts, t)
		}
	}
	village = strings.TrimSpace(village)
	switch {
	case village != "" && role != auth.Informant:
		problems = append(problems, "--village is for informants only (a town officer's scope is whole towns)")
	case role == auth.Town && len(ts) == 0:
		problems = append(problems, "a town officer needs --town (town ids, comma-separated)")
	case role == auth.Informant && len(ts) == 0 && village == "":
		problems = append(problems, "an informant needs --village (its village id) or --town")
	}
	if err := auth.CheckPassword(password); err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	h, err := auth.HashPassword(password)
	if err != nil {
		return nil, err
	}
	return &store.Account{Username: user, DisplayName: strings.TrimSpace(display), Role: role, Towns: ts, Village: village, PasswordHash: h}, nil
}

func (s *Server) userChange(w http.ResponseWriter, r *http.Request) {
	sc := scope(r)
	if !sc.IsAdmin() {
		s.notFound(w, r)
		return
	}
	name := r.PathValue("name")
	var err error
	switch r.PathValue("action") {
	case "disable":
		if name == sc.User {
			err = errors.New("不能停用自己的账户")
		} else {
			err = s.st.SetDisabled(r.Context(), name, true, sc.User)
		}
	case "enable":
		err = s.st.SetDisabled(r.Context(), name, false, sc.User)
	case "passwd":
		pw := r.PostForm.Get("password")
		if err = auth.CheckPassword(pw); err == nil {
			var h string
			if h, err = auth.HashPassword(pw); err == nil {
				err = s.st.SetPassword(r.Context(), name, h, sc.User)
			}
		}
	default:
		s.notFound(w, r)
		return
	}
	if err != nil {
		s.renderUsers(w, r, "操作失败："+err.Error(), http.StatusUnprocessableEntity)
		return
	}
	s.pick.forget()
	http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
}

func (s *Server) audit(w http.ResponseWriter, r *http.Request) {
	sc := scope(r)
	if !sc.IsAdmin() && sc.Role != auth.District {
		s.notFound(w, r)
		return
	}
	es, err := s.st.AuditLog(r.Context(), sc, r.URL.Query().Get("action"), 500)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, "audit", map[string]any{"Entries": es, "M": newMasker(false)})
}
