package service

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/run"
	"github.com/neijiang/xiaowei/internal/store"
	"github.com/neijiang/xiaowei/internal/tooltest"
)

// The shipped alerting rules are valid and behave as their unit tests
// say (promtool test rules: a failed run, a missing nightly run, a spike
// of rejected rows, an unfinished run group).
func TestAlertingRules(t *testing.T) {
	promtool := tooltest.Require(t, "promtool", "prometheus")
	for _, args := range [][]string{{"check", "rules", "alerts.yaml"}, {"test", "rules", "alerts.test.yaml"}} {
		t.Run(strings.Join(args[:2], " "), func(t *testing.T) {
			cmd := exec.Command(promtool, args...)
			cmd.Dir = "../../deploy/prometheus"
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		})
	}
}

// Every xiaowei_* metric the alerts and the dashboard query is one the
// service exports (a renamed metric would silently blind them).
func TestDeployQueriesNameRealMetrics(t *testing.T) {
	known := exportedNames(t)
	metric := regexp.MustCompile(`\bxiaowei_[a-z_]+`)
	for _, f := range []string{"../../deploy/prometheus/alerts.yaml", "../../deploy/grafana/xiaowei.json"} {
		t.Run(f, func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			names := metric.FindAllString(string(b), -1)
			if len(names) < 5 {
				t.Fatalf("only %d metric references found", len(names))
			}
			for _, n := range names {
				base := n
				for _, suf := range []string{"_bucket", "_sum", "_count"} {
					if b, ok := strings.CutSuffix(n, suf); ok && known[b] {
						base = b
					}
				}
				if !known[base] {
					t.Errorf("%s queries %s, which the service does not export", f, n)
				}
			}
		})
	}
}

// exportedNames exercises every metric once and gathers the family names,
// with the database collector's from its descriptions.
func exportedNames(t *testing.T) map[string]bool {
	m := NewMetrics()
	a := Attempt{Job: "nightly", Outcome: "completed", Started: time.Now(), Seconds: 2}
	m.attempt(a)
	m.setRunning("nightly", false)
	m.completed("nightly", &run.Outcome{Stages: map[string]float64{"load": 1}, Summary: &run.Summary{Rejected: 1},
		Findings: []*findings.Finding{{Family: "cash", Severity: "low"}}}, &store.Recorded{})
	m.outDirBytes.Set(1)
	m.retained.WithLabelValues("db").Set(1)
	m.pruned.WithLabelValues("db").Add(1)
	h := m.InstrumentHandler("runs", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/runs", nil))
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, f := range fams {
		known[f.GetName()] = true
	}
	descs := make(chan *prometheus.Desc, 10)
	newDBCollector(nil).Describe(descs)
	close(descs)
	fq := regexp.MustCompile(`fqName: "([a-z_]+)"`)
	for d := range descs {
		if m := fq.FindStringSubmatch(d.String()); m != nil {
			known[m[1]] = true
		}
	}
	var names []string
	for n := range known {
		if strings.HasPrefix(n, "xiaowei_") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	t.Logf("exported: %v", names)
	return known
}
