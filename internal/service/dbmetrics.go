package service

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/neijiang/xiaowei/internal/store"
)

// dbCollector reads, at scrape time, what only the database knows: runs
// recorded by any instance or by a run group's finish. The per-instance
// metrics cannot say that a sharded night never finished.
type dbCollector struct {
	st         *store.Store
	lastRun    *prometheus.Desc
	unfinished *prometheus.Desc
}

// unfinishedAfter is how old an unfinished run group must be to count: a
// night's shards take hours.
const unfinishedAfter = 6 * time.Hour

func newDBCollector(st *store.Store) *dbCollector {
	return &dbCollector{st: st,
		lastRun: prometheus.NewDesc("xiaowei_last_recorded_run_timestamp_seconds",
			"Unix time the job's latest run stored in the database finished (any instance, run --db, or a run group's finish).", []string{"job"}, nil),
		unfinished: prometheus.NewDesc("xiaowei_run_groups_unfinished",
			"Run groups begun more than 6 hours ago that finish has not recorded (a shard missing, failed or killed).", nil, nil),
	}
}

func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.lastRun; ch <- c.unfinished }

// Collect queries with a short timeout; a database that does not answer
// yields no samples (and /healthz says why) rather than a hung scrape.
func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if last, err := c.st.LastRuns(ctx); err == nil {
		for job, t := range last {
			ch <- prometheus.MustNewConstMetric(c.lastRun, prometheus.GaugeValue, float64(t.Unix()), job)
		}
	}
	if n, err := c.st.UnfinishedGroups(ctx, unfinishedAfter); err == nil {
		ch <- prometheus.MustNewConstMetric(c.unfinished, prometheus.GaugeValue, float64(n))
	}
}
