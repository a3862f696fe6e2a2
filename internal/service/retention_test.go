package service

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/neijiang/xiaowei/internal/store"
)

// TestPruneRunDirs: five nightly run folders a day apart (1 KiB each), one
// campaign folder, a folder that is not a run, and a pinned run.
func TestPruneRunDirs(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	id := func(daysAgo int) string {
		return now.AddDate(0, 0, -daysAgo).Format("20060102T150405.000Z") + "-0000000" + string(rune('a'+daysAgo))
	}
	setup := func(t *testing.T) string {
		out := t.TempDir()
		mk := func(job, name string, age time.Duration) {
			dir := filepath.Join(out, job, name)
			os.MkdirAll(dir, 0o755)
			os.WriteFile(filepath.Join(dir, "findings.jsonl"), make([]byte, 1024), 0o644)
			ts := now.Add(-age)
			os.Chtimes(dir, ts, ts)
		}
		for d := 0; d < 5; d++ {
			mk("nightly", id(d), time.Duration(d)*24*time.Hour)
		}
		mk("campaign-朝阳镇", id(4), 4*24*time.Hour)
		mk("nightly", "notes", 100*24*time.Hour)
		return out
	}
	pinned := map[string]bool{id(4): true}
	for _, tc := range []struct {
		name    string
		keep    store.Keep
		removed []string
		kept    int
	}{
		{"no policy", store.Keep{}, nil, 6},
		{"newest 2 of each job", store.Keep{Keep: 2}, []string{"nightly/" + id(2), "nightly/" + id(3)}, 4},
		{"younger than 36h", store.Keep{MaxAge: 36 * time.Hour}, []string{"nightly/" + id(2), "nightly/" + id(3)}, 4},
		{"either keeps", store.Keep{MaxAge: 60 * time.Hour, Keep: 1}, []string{"nightly/" + id(3)}, 5},
		{"everything old, nothing counted", store.Keep{MaxAge: time.Minute}, []string{"nightly/" + id(1), "nightly/" + id(2), "nightly/" + id(3)}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := setup(t)
			res, err := pruneRunDirs(out, tc.keep, pinned, now)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.Removed, tc.removed) {
				t.Errorf("removed %v, want %v", res.Removed, tc.removed)
			}
			if res.Kept != tc.kept {
				t.Errorf("kept %d, want %d", res.Kept, tc.kept)
			}
			// 1 KiB per folder left, runs and the non-run folder alike.
			if want := int64(1024 * (tc.kept + 1)); res.Bytes != want {
				t.Errorf("bytes %d, want %d", res.Bytes, want)
			}
			for _, r := range tc.removed {
				if _, err := os.Stat(filepath.Join(out, r)); !os.IsNotExist(err) {
					t.Errorf("%s still there", r)
				}
			}
			if _, err := os.Stat(filepath.Join(out, "nightly", "notes")); err != nil {
				t.Error("a folder that is not a run was touched")
			}
		})
	}
}

func TestRetentionConfig(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       Retention
		err        string
	}{
		{"days and a duration", "retention:\n  run_dirs: {max_age: 30d, keep: 14}\n  stored_runs: {max_age: 8760h}\n",
			Retention{RunDirs: Policy{MaxAge: Age{30 * 24 * time.Hour}, Keep: 14}, StoredRuns: Policy{MaxAge: Age{8760 * time.Hour}}}, ""},
		{"absent keeps all", "", Retention{}, ""},
		{"bad age", "retention:\n  run_dirs: {max_age: 30 days}\n", Retention{}, `serve.yaml:3:23: retention.run_dirs.max_age: max_age "30 days": want days like 90d`},
		{"negative keep", "retention:\n  stored_runs: {keep: -1}\n", Retention{}, "retention.stored_runs.keep -1"},
		{"unknown key", "retention:\n  run_dir: {keep: 1}\n", Retention{}, `serve.yaml:3:3: retention: unknown field "run_dir" (known: run_dirs, stored_runs)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig([]byte("database: postgres://x@h/db\n"+tc.yaml), "serve.yaml")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Retention != tc.want {
				t.Errorf("got %+v, want %+v", c.Retention, tc.want)
			}
		})
	}
}

// The documented example config parses, retention included.
func TestServeExampleConfigParses(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://xiaowei@db/xiaowei")
	c, err := LoadConfig("../../docs/serve.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Retention.RunDirs.Keep != 14 || c.Retention.StoredRuns.MaxAge.Duration != 400*24*time.Hour {
		t.Errorf("retention %+v", c.Retention)
	}
}
