// Package service is `xiaowei serve`: the nightly supervision and the
// inspection campaigns on a cron schedule (Asia/Shanghai) over the data kept
// in PostgreSQL, one run per job and slot across instances, with catch-up of
// missed nightly runs, Prometheus metrics and a small HTTP API.
package service

import (
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/run"
	"github.com/neijiang/xiaowei/internal/store"
	"github.com/neijiang/xiaowei/internal/yamlpos"
)

// Config is the serve configuration file (see docs/serve.example.yaml).
type Config struct {
	// Database is the PostgreSQL URL; empty = $DATABASE_URL.
	Database string `yaml:"database"`
	Schema   string `yaml:"schema"`
	// Listen is the HTTP address for /healthz, /metrics and /runs.
	Listen string `yaml:"listen"`
	// OutDir receives each run's files under <job>/<run_id>/.
	OutDir string `yaml:"out_dir"`
	// Rules are rule and override folders or files added to the shipped
	// rules (or, with BuiltinRules false, used instead of them).
	Rules []string `yaml:"rules"`
	// BuiltinRules uses the rule set compiled into the binary; default true.
	BuiltinRules *bool `yaml:"builtin_rules"`
	// Workers for evaluation (0 = all cores).
	Workers   int         `yaml:"workers"`
	Nightly   Nightly     `yaml:"nightly"`
	Campaigns []*Campaign `yaml:"campaigns"`
	// Retention prunes old run folders and stored runs.
	Retention Retention `yaml:"retention"`
	// ShutdownTimeout bounds the wait for a cancelled job at SIGTERM.
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`
	// Web is the inspectors' workbench served beside /healthz and /metrics.
	Web Web `yaml:"web"`
	// TLS: serve HTTPS with this certificate and key (both or neither).
	TLS TLS `yaml:"tls"`
}

// Web configures the workbench (docs/workbench.md).
type Web struct {
	Enabled *bool `yaml:"enabled"` // default true
	// Public are the paths answered without a session (default /healthz
	// and /metrics); every other path needs one.
	Public          []string `yaml:"public"`
	IdleTimeout     Duration `yaml:"idle_timeout"`     // default 30m
	AbsoluteTimeout Duration `yaml:"absolute_timeout"` // default 12h
	DueDays         int      `yaml:"due_days"`         // a new lead is due this many days after it first appears; default 30
	MaxFailures     int      `yaml:"max_failures"`     // failed sign-ins before a lockout; default 5
	Lockout         Duration `yaml:"lockout"`          // default 15m
	// TrustedProxies are the reverse proxies (addresses or CIDRs) whose
	// X-Forwarded-For and X-Forwarded-Proto headers are believed.
	TrustedProxies []string `yaml:"trusted_proxies"`

	proxies []netip.Prefix
}

// TLS names a certificate and key (PEM files).
type TLS struct {
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// Nightly is the nightly supervision over every village.
type Nightly struct {
	Enabled *bool `yaml:"enabled"` // default true
	// Schedule is a cron spec, 5 fields (minute first) or 6 (seconds
	// first), in Asia/Shanghai; default "0 2 * * *".
	Schedule string `yaml:"schedule"`
	// CatchUpLimit bounds the missed nightly runs made up at start-up
	// (the most recent ones); default 3, 0 = default, negative = none.
	CatchUpLimit int `yaml:"catch_up_limit"`
}

// Campaign is a special inspection (专项检查): a scope, a window, a rule
// set, and a schedule or a one-off time.
type Campaign struct {
	Name     string   `yaml:"name"`
	Towns    []string `yaml:"towns"`
	Villages []string `yaml:"villages"`
	From     string   `yaml:"from"` // window start YYYY-MM-DD (optional)
	To       string   `yaml:"to"`   // window end (optional)
	Rules    []string `yaml:"rules"`
	Schedule string   `yaml:"schedule"`
	Once     string   `yaml:"once"` // YYYY-MM-DD HH:MM[:SS], Asia/Shanghai

	from, to civil.Date
}

// Duration reads "30s", "2m".
type Duration struct{ time.Duration }

// UnmarshalYAML parses a Go duration.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return err // yamlpos places it at the value
	}
	d.Duration = v
	return nil
}

// LoadConfig reads and checks a config file.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseConfig(b, path)
}

// ParseConfig parses a config strictly and fills defaults. Every problem
// is reported at once at its name:line:col, like a rule file: unknown or
// repeated keys, values of the wrong type, bad schedules and windows.
func ParseConfig(b []byte, name string) (*Config, error) {
	c := &Config{}
	d, problems := yamlpos.Decode(name, b, c)
	if len(problems) > 0 {
		return nil, problems.Err()
	}
	c.applyDefaults()
	problems = append(problems, c.checkService(d)...)
	problems = append(problems, c.checkCampaigns(d)...)
	if err := problems.Err(); err != nil {
		return nil, err
	}
	return c, nil
}

// applyDefaults fills what the file leaves out.
func (c *Config) applyDefaults() {
	if c.Database == "" {
		c.Database = os.Getenv("DATABASE_URL")
	}
	if c.Schema == "" {
		c.Schema = store.DefaultSchema
	}
	if c.Listen == "" {
		c.Listen = "127.0.0.1:9464"
	}
	if c.OutDir == "" {
		c.OutDir = "runs"
	}
	if c.Nightly.Schedule == "" {
		c.Nightly.Schedule = "0 2 * * *"
	}
	if c.Nightly.CatchUpLimit == 0 {
		c.Nightly.CatchUpLimit = 3
	}
	if c.ShutdownTimeout.Duration == 0 {
		c.ShutdownTimeout.Duration = 30 * time.Second
	}
	if c.Web.Public == nil {
		c.Web.Public = []string{"/healthz", "/metrics"}
	}
}

// checkService checks the service's own settings (web, TLS, database,
// retention, rules, nightly schedule) and parses the trusted proxies.
func (c *Config) checkService(d *yamlpos.Doc) yamlpos.Errors {
	var problems yamlpos.Errors
	if c.Web.DueDays < 0 {
		problems = append(problems, d.At("web.due_days", "web.due_days: must not be negative"))
	}
	for i, p := range c.Web.TrustedProxies {
		pf, err := netip.ParsePrefix(p)
		if err != nil {
			a, aerr := netip.ParseAddr(p)
			if aerr != nil {
				problems = append(problems, d.At(fmt.Sprintf("web.trusted_proxies[%d]", i), "web.trusted_proxies %q: want an address or CIDR", p))
				continue
			}
			pf = netip.PrefixFrom(a, a.BitLen())
		}
		c.Web.proxies = append(c.Web.proxies, pf)
	}
	if (c.TLS.Cert == "") != (c.TLS.Key == "") {
		problems = append(problems, d.At("tls", "tls: give both cert and key, or neither"))
	}
	if c.Database == "" {
		problems = append(problems, d.At("database", "no database: set database: or DATABASE_URL"))
	} else if err := store.CheckURL(c.Database); err != nil {
		problems = append(problems, d.At("database", "%v", err))
	}
	for name, p := range map[string]Policy{"run_dirs": c.Retention.RunDirs, "stored_runs": c.Retention.StoredRuns} {
		if p.Keep < 0 {
			problems = append(problems, d.At("retention."+name+".keep", "retention.%s.keep %d: want 0 or more", name, p.Keep))
		}
	}
	if len(c.RuleDirs()) == 0 {
		problems = append(problems, d.At("builtin_rules", "builtin_rules: false needs at least one folder in rules:"))
	}
	if _, err := parseSpec(c.Nightly.Schedule); err != nil {
		problems = append(problems, d.At("nightly.schedule", "nightly.schedule %q: %v", c.Nightly.Schedule, err))
	}
	return problems
}

// checkCampaigns checks each campaign (a unique name, exactly one of
// schedule and once, a valid window) and parses its window.
func (c *Config) checkCampaigns(d *yamlpos.Doc) yamlpos.Errors {
	var problems yamlpos.Errors
	seen := map[string]bool{}
	for i, cp := range c.Campaigns {
		where := fmt.Sprintf("campaigns[%d]", i)
		if cp.Name == "" {
			problems = append(problems, d.At(where+".name", "%s: name is required", where))
		} else if seen[cp.Name] {
			problems = append(problems, d.At(where+".name", "%s: duplicate name %s", where, cp.Name))
		} else if strings.ContainsAny(cp.Name, "/\\") {
			problems = append(problems, d.At(where+".name", "%s: name must not contain / or \\", where))
		}
		seen[cp.Name] = true
		if (cp.Schedule == "") == (cp.Once == "") {
			problems = append(problems, d.At(where, "%s: give exactly one of schedule and once", where))
		}
		if cp.Schedule != "" {
			if _, err := parseSpec(cp.Schedule); err != nil {
				problems = append(problems, d.At(where+".schedule", "%s.schedule %q: %v", where, cp.Schedule, err))
			}
		}
		if cp.Once != "" {
			if _, err := parseOnce(cp.Once); err != nil {
				problems = append(problems, d.At(where+".once", "%s.once: %v", where, err))
			}
		}
		w, err := run.ParseScope(run.ScopeText{From: cp.From, To: cp.To}, run.ScopeNames{From: where + ".from", To: where + ".to"})
		for _, e := range scopeErrors(err) {
			problems = append(problems, d.At(where+"."+e.Field, "%v", e))
		}
		cp.from, cp.to = w.From, w.To
	}
	return problems
}

// scopeErrors are run.ParseScope's problems (none for a nil error).
func scopeErrors(err error) run.ScopeErrors {
	es, _ := err.(run.ScopeErrors)
	return es
}

// RuleDirs is the rule path list of the nightly run: the shipped set
// (rules.Builtin) unless builtin_rules is false, then the rules: folders.
func (c *Config) RuleDirs() []string {
	var out []string
	if c.BuiltinRules == nil || *c.BuiltinRules {
		out = append(out, rules.Builtin)
	}
	return append(out, c.Rules...)
}

var parser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

func parseSpec(spec string) (cron.Schedule, error) { return parser.Parse(spec) }

func parseOnce(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, s, civil.Shanghai); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q: want YYYY-MM-DD HH:MM[:SS] (Asia/Shanghai)", s)
}

// onceSchedule fires once at t.
type onceSchedule struct{ t time.Time }

func (o onceSchedule) Next(after time.Time) time.Time {
	if after.Before(o.t) {
		return o.t
	}
	return time.Time{}
}

// WebEnabled says whether the workbench is served.
func (c *Config) WebEnabled() bool { return c.Web.Enabled == nil || *c.Web.Enabled }
