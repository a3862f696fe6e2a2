package web

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/neijiang/xiaowei/internal/auth"
	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/dispose"
	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/mask"
	"github.com/neijiang/xiaowei/internal/money"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/store"
)

func itoa(n int) string { return strconv.Itoa(n) }

var funcs = template.FuncMap{
	"yuan": func(fen int64) string { return money.Grouped(money.Fen(fen)) },
	"day": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(civil.Shanghai).Format("2006-01-02")
	},
	"clock":      func(t time.Time) string { return t.In(civil.Shanghai).Format("2006-01-02 15:04:05") },
	"status":     func(s string) string { return or(dispose.WorkflowLabels[s], s) },
	"conclusion": func(s string) string { return or(dispose.ConclusionLabels[s], s) },
	"severity":   func(s string) string { return or(findings.Severity(s).Label(), s) },
	"family":     func(s string) string { return or(rules.FamilyLabels[s], s) },
	"role":       func(s string) string { return or(auth.RoleLabels[s], s) },
	"action":     func(s string) string { return or(actionLabels[s], s) },
	"join":       strings.Join,
	"score":      func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) },
	"add":        func(a, b int) int { return a + b },
	"barsHeight": func(n int) int { return n*26 + 4 },
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	},
	"kv": func(m map[string]any) string {
		if len(m) == 0 {
			return ""
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for i, k := range keys {
			if i > 0 {
				b.WriteString("，")
			}
			fmt.Fprintf(&b, "%s=%v", k, m[k])
		}
		return b.String()
	},
}

var actionLabels = map[string]string{
	"first_seen": "首次发现", "opened": "首次发现", "reopened": "再次出现（重新打开）", "resolved": "问题消失（已整改）", "assign": "分派", "status": "状态变更",
	"conclude": "办结", "outcome": "问责结果", "outcome_added": "补录问责结果", "comment": "批注", "due": "办理期限", "reveal": "查看未脱敏信息",
	"filed": "信息员报告", "export": "导出", "export_unmasked": "导出未脱敏数据", "login": "登录", "login_failed": "登录失败", "logout": "退出",
	"user_add": "新增账户", "user_passwd": "重置密码", "user_disable": "停用账户", "user_enable": "启用账户",
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (s *Server) parseTemplates() error {
	s.pages = map[string]*template.Template{}
	for _, p := range []string{"login", "queue", "lead", "dashboard", "campaigns", "file", "users", "audit"} {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+p+".html")
		if err != nil {
			return fmt.Errorf("template %s: %w", p, err)
		}
		s.pages[p] = t
	}
	return nil
}

// render executes a page into a buffer first, so a template error never
// sends half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, page string, data map[string]any) {
	if data == nil {
		data = map[string]any{}
	}
	if se, ok := r.Context().Value(ctxKey{}).(*store.Session); ok {
		data["Me"] = se.Account
		data["Scope"] = se.Account.Scope()
		data["CSRF"] = se.CSRF
	}
	data["Page"] = page
	var buf bytes.Buffer
	if err := s.pages[page].Execute(&buf, data); err != nil {
		s.log.Error("template", "page", page, "err", err)
		http.Error(w, "服务器内部错误", http.StatusInternalServerError)
		return
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
	}
	w.Write(buf.Bytes())
}

// masker is how a page shows people: masked unless revealed.
type masker struct {
	m *mask.Masker
}

func newMasker(reveal bool) masker { return masker{mask.New(reveal)} }

func (m masker) Name(s string) string { return m.m.Name(s) }
func (m masker) ID(s string) string   { return m.m.ID(s) }
func (m masker) Text(s string) string { return m.m.Text(s) }

// Bar is one bar of an inline SVG chart.
type Bar struct {
	Label string
	N     int
	Value string // the printed figure
	W     int    // width in px
	Y     int
}

// bars lays counts out as horizontal bars of at most max px.
func bars(labels []string, ns []int, values []string, max int) []Bar {
	top := 0
	for _, n := range ns {
		top = int(math.Max(float64(top), float64(n)))
	}
	out := make([]Bar, len(ns))
	for i, n := range ns {
		w := 0
		if top > 0 {
			w = n * max / top
		}
		if n > 0 && w < 2 {
			w = 2
		}
		out[i] = Bar{Label: labels[i], N: n, Value: values[i], W: w, Y: i * 26}
	}
	return out
}

// Point is one point of the trend chart.
type Point struct {
	X, YNew, YRes int
	Label         string
	New, Resolved int
}

func trend(labels []string, news, resolved []int, width, height int) []Point {
	top := 1
	for i := range news {
		top = max(top, news[i], resolved[i])
	}
	out := make([]Point, len(news))
	step := 0
	if len(news) > 1 {
		step = width / (len(news) - 1)
	}
	for i := range news {
		out[i] = Point{X: 10 + i*step, YNew: height - news[i]*height/top + 10, YRes: height - resolved[i]*height/top + 10,
			Label: labels[i], New: news[i], Resolved: resolved[i]}
	}
	return out
}

// query keeps the queue's filter in links (paging, exports, sorting).
func query(v url.Values, set ...string) string {
	c := url.Values{}
	for k, vs := range v {
		if k != "csrf" {
			c[k] = vs
		}
	}
	for i := 0; i+1 < len(set); i += 2 {
		if set[i+1] == "" {
			c.Del(set[i])
		} else {
			c.Set(set[i], set[i+1])
		}
	}
	return c.Encode()
}
