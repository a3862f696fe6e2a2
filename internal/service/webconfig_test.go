package service

import (
	"os"
	"strings"
	"testing"
)

// The web and tls settings: the shipped example parses; bad values are
// errors that name the setting.
func TestWebConfig(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://x@127.0.0.1/x")
	example, err := os.ReadFile("../../docs/serve.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig(example, "serve.example.yaml")
	if err != nil {
		t.Fatalf("the shipped example: %v", err)
	}
	if !cfg.WebEnabled() || len(cfg.Web.proxies) != 1 || cfg.Web.DueDays != 30 || strings.Join(cfg.Web.Public, ",") != "/healthz,/metrics" {
		t.Fatalf("example web settings: %+v", cfg.Web)
	}
	for _, tc := range []struct{ name, yaml, want string }{
		{"defaults", "schema: xw\n", ""},
		{"proxy address", "web: {trusted_proxies: [10.0.0.5]}\n", ""},
		{"bad proxy", "web: {trusted_proxies: [proxy.local]}\n", `web.trusted_proxies "proxy.local"`},
		{"cert without key", "tls: {cert: a.crt}\n", "tls: give both cert and key"},
		{"negative due days", "web: {due_days: -1}\n", "web.due_days"},
		{"unknown key", "web: {timeout: 5m}\n", `test.yaml:1:7: web: unknown field "timeout"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tc.yaml), "test.yaml")
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			case tc.want == "" && strings.Join(c.Web.Public, ",") != "/healthz,/metrics":
				t.Fatalf("default public paths %v", c.Web.Public)
			}
		})
	}
}
