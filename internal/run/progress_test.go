package run

import (
	"testing"
	"time"
)

// TestCountyProgress: the progress line of a partitioned run names the
// county, and once a county is done the rows per second and the time left
// estimated from the bytes done.
func TestCountyProgress(t *testing.T) {
	for _, c := range []struct {
		name        string
		i, n, rows  int
		done, total int64
		took        time.Duration
		want        string
	}{
		{"first county: no rate yet", 0, 4, 0, 0, 400, 0, "county 1/4 511002: load"},
		{"half the bytes in 10s", 2, 4, 5_000_000, 200, 400, 10 * time.Second, "county 3/4 511002 (0.50M rows/s, ETA 10s): load"},
		{"a quarter in 1m", 1, 4, 30_000_000, 100, 400, time.Minute, "county 2/4 511002 (0.50M rows/s, ETA 3m0s): load"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got string
			p := countyProgress(func(s string) { got = s }, c.i, c.n, "511002", c.rows, c.done, c.total, c.took)
			p("load")
			if got != c.want {
				t.Errorf("%q, want %q", got, c.want)
			}
		})
	}
	if countyProgress(nil, 0, 1, "x", 0, 0, 1, 0) != nil {
		t.Error("no progress wanted (quiet or not a terminal): want nil")
	}
}
