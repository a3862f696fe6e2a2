// Package web is the inspectors' workbench (纪检监察线索工作台): server
// rendered pages over the store for the lead queue, a lead's page and its
// workflow, the dashboard, exports, campaigns, informants' reports and
// account administration. Every store call takes the signed-in account's
// auth.Scope; templates are html/template (contextual escaping) and assets
// are embedded; there is no script at all, so the Content-Security-Policy
// forbids every script.
package web

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/neijiang/xiaowei/internal/auth"
	"github.com/neijiang/xiaowei/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config is the workbench's part of the serve configuration.
type Config struct {
	IdleTimeout     time.Duration // a session unused this long ends (default 30m)
	AbsoluteTimeout time.Duration // a session ends this long after sign-in (default 12h)
	DueDays         int           // new leads are due this many days after they first appear
	// TLS says the server itself serves HTTPS: cookies are Secure.
	TLS bool
	// TrustedProxies are the reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto are believed (client address for throttling, https
	// for Secure cookies). Others' headers are ignored.
	TrustedProxies []netip.Prefix
	// MaxFailures failed sign-ins in a row lock an account for Lockout;
	// the same number from one address within Lockout throttles it.
	MaxFailures int
	Lockout     time.Duration
}

func (c *Config) defaults() {
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 30 * time.Minute
	}
	if c.AbsoluteTimeout <= 0 {
		c.AbsoluteTimeout = 12 * time.Hour
	}
	if c.DueDays <= 0 {
		c.DueDays = store.DefaultDueDays
	}
	if c.MaxFailures <= 0 {
		c.MaxFailures = 5
	}
	if c.Lockout <= 0 {
		c.Lockout = 15 * time.Minute
	}
}

// Server is the workbench.
type Server struct {
	st       *store.Store
	cfg      Config
	log      *slog.Logger
	pages    map[string]*template.Template
	throttle *auth.Throttle
	mux      *http.ServeMux
	pick     pickers
	counts   counts
}

const (
	sessionCookie = "xw_session"
	preCookie     = "xw_pre" // the sign-in form's CSRF token (no session yet)
)

// New builds the workbench handler.
func New(st *store.Store, cfg Config, log *slog.Logger) (*Server, error) {
	auth.Prepare() // before the first sign-in, so unknown users cost what wrong passwords do
	cfg.defaults()
	if log == nil {
		log = slog.Default()
	}
	s := &Server{st: st, cfg: cfg, log: log, throttle: auth.NewThrottle(cfg.MaxFailures*2, cfg.Lockout), mux: http.NewServeMux(),
		pick: pickers{ttl: 30 * time.Second}, counts: counts{ttl: 15 * time.Second}}
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	static, _ := fs.Sub(staticFS, "static")
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	s.mux.HandleFunc("GET /login", s.loginForm)
	s.mux.HandleFunc("POST /login", s.login)
	s.mux.Handle("POST /logout", s.signedIn(s.logout))
	s.mux.Handle("GET /{$}", s.signedIn(s.home))
	s.mux.Handle("GET /leads", s.signedIn(s.queue))
	s.mux.Handle("POST /leads/assign", s.signedIn(s.bulkAssign))
	s.mux.Handle("GET /leads/export.csv", s.signedIn(s.exportCSV))
	s.mux.Handle("GET /leads/export.xlsx", s.signedIn(s.exportXLSX))
	s.mux.Handle("POST /leads/export.csv", s.signedIn(s.exportCSV))   // unmasked, with a reason
	s.mux.Handle("POST /leads/export.xlsx", s.signedIn(s.exportXLSX)) // unmasked, with a reason
	s.mux.Handle("GET /leads/{id}", s.signedIn(s.leadPage))
	s.mux.Handle("POST /leads/{id}/{action}", s.signedIn(s.leadAction))
	s.mux.Handle("GET /dashboard", s.signedIn(s.dashboard))
	s.mux.Handle("GET /campaigns", s.signedIn(s.campaigns))
	s.mux.Handle("GET /file", s.signedIn(s.fileForm))
	s.mux.Handle("POST /file", s.signedIn(s.fileLead))
	s.mux.Handle("GET /admin/users", s.signedIn(s.users))
	s.mux.Handle("POST /admin/users", s.signedIn(s.userAdd))
	s.mux.Handle("POST /admin/users/{name}/{action}", s.signedIn(s.userChange))
	s.mux.Handle("GET /admin/audit", s.signedIn(s.audit))
	return s, nil
}

// ServeHTTP adds the security headers to every answer.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	if s.secure(r) {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	s.mux.ServeHTTP(w, r)
}

// fromProxy says whether the request came through a trusted proxy.
func (s *Server) fromProxy(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(ip.Unmap()) {
			return true
		}
	}
	return false
}

// secure says whether the client reached us over HTTPS.
func (s *Server) secure(r *http.Request) bool {
	return r.TLS != nil || s.cfg.TLS || (s.fromProxy(r) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"))
}

// clientIP is the address throttling counts: the proxy's X-Forwarded-For
// (its last hop, the one the proxy itself added) only from a trusted proxy.
func (s *Server) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if s.fromProxy(r) {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			parts := strings.Split(xff, ",")
			return strings.TrimSpace(parts[len(parts)-1])
		}
	}
	return host
}

type ctxKey struct{}

// sess is the request's signed-in session.
func sess(r *http.Request) *store.Session { return r.Context().Value(ctxKey{}).(*store.Session) }

func scope(r *http.Request) auth.Scope { return sess(r).Account.Scope() }

// signedIn requires a live session; state-changing requests also need the
// session's CSRF token.
func (s *Server) signedIn(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		var ss *store.Session
		if err == nil && c.Value != "" {
			ss, err = s.st.GetSession(r.Context(), auth.TokenHash(c.Value), s.cfg.IdleTimeout, s.cfg.AbsoluteTimeout)
			if err != nil {
				s.fail(w, r, err)
				return
			}
		}
		if ss == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/login", http.StatusSeeOther)
				return
			}
			http.Error(w, "未登录或会话已过期", http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
			if err := r.ParseForm(); err != nil || !auth.SameToken(r.PostForm.Get("csrf"), ss.CSRF) {
				http.Error(w, "请求无效（缺少或错误的 CSRF 令牌），请刷新页面后重试", http.StatusForbidden)
				return
			}
			// Whatever a form changed, the cached queue counts are stale;
			// forget them before and after (a count read meanwhile is
			// dropped by its generation).
			s.counts.changed()
			defer s.counts.changed()
		}
		h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, ss)))
	})
}

func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, Secure: s.secure(r),
		SameSite: http.SameSiteStrictMode, MaxAge: maxAge})
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	s.renderLogin(w, r, "", http.StatusOK)
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, msg string, code int) {
	pre := auth.NewToken()
	s.setCookie(w, r, preCookie, pre, 600)
	w.WriteHeader(code)
	s.render(w, r, "login", map[string]any{"CSRF": pre, "Error": msg})
}

// wrongCredentials is the one answer for an unknown user, a wrong password,
// a disabled and a locked account: nothing tells which.
const wrongCredentials = "用户名或密码错误，或账户已暂时锁定"

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "表单无效", http.StatusBadRequest)
		return
	}
	pre, err := r.Cookie(preCookie)
	if err != nil || !auth.SameToken(pre.Value, r.PostForm.Get("csrf")) {
		http.Error(w, "请求无效（缺少或错误的 CSRF 令牌），请刷新页面后重试", http.StatusForbidden)
		return
	}
	ip := s.clientIP(r)
	if ok, wait := s.throttle.Allowed(ip); !ok {
		s.log.Warn("sign-in throttled", "client", ip, "wait", wait.Round(time.Second).String())
		w.Header().Set("Retry-After", itoa(int(wait.Seconds())+1))
		s.renderLogin(w, r, "尝试次数过多，请稍后再试", http.StatusTooManyRequests)
		return
	}
	user := strings.TrimSpace(r.PostForm.Get("username"))
	pw := r.PostForm.Get("password")
	a, err := s.st.GetAccount(r.Context(), user)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	hash := ""
	if a != nil {
		hash = a.PasswordHash
	}
	good := auth.VerifyPassword(hash, pw) // always hashes: an unknown user takes as long
	if a == nil || !good || a.Disabled || a.LockedUntil.After(time.Now()) {
		s.throttle.Fail(ip)
		if a != nil && !good {
			if err := s.st.LoginFailed(r.Context(), a.Username, s.cfg.MaxFailures, s.cfg.Lockout); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		s.log.Info("sign-in failed", "client", ip)
		_ = s.st.Audit(r.Context(), store.AuditEntry{Actor: "-", Action: "login_failed", Note: "来自 " + ip})
		s.renderLogin(w, r, wrongCredentials, http.StatusUnauthorized)
		return
	}
	// A fresh session id at every sign-in; an old one presented is ended.
	if old, err := r.Cookie(sessionCookie); err == nil {
		_ = s.st.DeleteSession(r.Context(), auth.TokenHash(old.Value))
	}
	tok := auth.NewToken()
	if err := s.st.CreateSession(r.Context(), auth.TokenHash(tok), a.Username, auth.NewToken()); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.st.LoginSucceeded(r.Context(), a.Username); err != nil {
		s.fail(w, r, err)
		return
	}
	s.throttle.Succeed(ip)
	_ = s.st.Audit(r.Context(), store.AuditEntry{Actor: a.Username, Action: "login", Note: "来自 " + ip})
	s.setCookie(w, r, preCookie, "", -1)
	s.setCookie(w, r, sessionCookie, tok, int(s.cfg.AbsoluteTimeout.Seconds()))
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	ss := sess(r)
	if err := s.st.DeleteSession(r.Context(), ss.TokenHash); err != nil {
		s.fail(w, r, err)
		return
	}
	_ = s.st.Audit(r.Context(), store.AuditEntry{Actor: ss.Account.Username, Action: "logout"})
	s.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	switch scope(r).Role {
	case auth.Admin:
		http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
	case auth.Leader:
		http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
	default:
		http.Redirect(w, r, "/leads", http.StatusSeeOther)
	}
}

// fail answers a server error without details (they go to the log).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, store.ErrNotFound) {
		s.notFound(w, r)
		return
	}
	if errors.Is(err, store.ErrForbidden) {
		http.Error(w, "无权执行此操作", http.StatusForbidden)
		return
	}
	s.log.Error("workbench", "path", r.URL.Path, "err", err)
	http.Error(w, "服务器内部错误", http.StatusInternalServerError)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "未找到", http.StatusNotFound)
}

// Protect puts another handler (the service's /runs) behind a session of a
// district inspector, a leader or an admin: it lists every town's runs.
func (s *Server) Protect(h http.Handler) http.Handler {
	return s.signedIn(func(w http.ResponseWriter, r *http.Request) {
		sc := scope(r)
		if !sc.AllLeads() && !sc.IsAdmin() {
			http.Error(w, "无权查看", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}
