package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/dispose"
	"github.com/neijiang/xiaowei/internal/leads"
	"github.com/neijiang/xiaowei/internal/money"
	"github.com/neijiang/xiaowei/internal/store"
)

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
		form := keptForm(f)
		form["Action"], form["Error"] = action, message(err)
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

// keptForm is what a user submitted (but the CSRF token), to show again
// when saving failed, so nothing typed is lost.
func keptForm(f url.Values) map[string]any {
	form := map[string]any{}
	for k := range f {
		if k != "csrf" {
			form[k] = f.Get(k)
		}
	}
	return form
}
