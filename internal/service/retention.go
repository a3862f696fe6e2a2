package service

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/neijiang/xiaowei/internal/store"
)

// Retention is the serve config's retention: block. Run folders are big
// (findings, leads, the report's inputs) and go first; stored runs are
// small rows but grow by one a night per job. Absent = keep everything.
type Retention struct {
	RunDirs    Policy `yaml:"run_dirs"`
	StoredRuns Policy `yaml:"stored_runs"`
}

// Policy keeps a run while it is younger than MaxAge or among the newest
// Keep of its job.
type Policy struct {
	MaxAge Age `yaml:"max_age"`
	Keep   int `yaml:"keep"`
}

func (p Policy) keep() store.Keep { return store.Keep{MaxAge: p.MaxAge.Duration, Keep: p.Keep} }

// Age reads "90d" (days) or a Go duration ("720h").
type Age struct{ time.Duration }

// UnmarshalYAML parses days or a Go duration.
func (a *Age) UnmarshalYAML(n *yaml.Node) error {
	v := strings.TrimSpace(n.Value)
	if d, ok := strings.CutSuffix(v, "d"); ok {
		days, err := strconv.Atoi(d)
		if err != nil || days < 0 {
			return fmt.Errorf("max_age %q: want days like 90d, or a duration like 720h", v) // yamlpos places it
		}
		a.Duration = time.Duration(days) * 24 * time.Hour
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return fmt.Errorf("max_age %q: want days like 90d, or a duration like 720h", v) // yamlpos places it
	}
	a.Duration = d
	return nil
}

// runDirName is the shape of a run id (store.NewRunID): only such folders
// are ever removed, whatever else someone keeps under out_dir.
var runDirName = regexp.MustCompile(`^\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{8}$`)

// dirsPruned is what a pass over out_dir did.
type dirsPruned struct {
	Removed []string // job/run_id
	Kept    int
	Bytes   int64 // left under out_dir
}

// pruneRunDirs removes the run folders out_dir/<job>/<run_id> the policy
// no longer keeps, never a pinned one (an open finding's or a decided
// lead's run), and measures what is left. A folder's age is its
// modification time: when its outputs were written.
func pruneRunDirs(outDir string, p store.Keep, pinned map[string]bool, now time.Time) (*dirsPruned, error) {
	res := &dirsPruned{}
	jobs, err := os.ReadDir(outDir)
	if os.IsNotExist(err) {
		return res, nil
	}
	if err != nil {
		return nil, fmt.Errorf("retention: %w", err)
	}
	for _, j := range jobs {
		if !j.IsDir() {
			continue
		}
		ents, err := os.ReadDir(filepath.Join(outDir, j.Name()))
		if err != nil {
			return nil, fmt.Errorf("retention: %w", err)
		}
		var runs []string
		for _, e := range ents {
			if e.IsDir() && runDirName.MatchString(e.Name()) {
				runs = append(runs, e.Name())
			}
		}
		sort.Sort(sort.Reverse(sort.StringSlice(runs))) // newest first: run ids sort by time
		for i, r := range runs {
			path := filepath.Join(outDir, j.Name(), r)
			st, err := os.Stat(path)
			if err != nil {
				return nil, fmt.Errorf("retention: %w", err)
			}
			young := p.MaxAge > 0 && now.Sub(st.ModTime()) < p.MaxAge
			if p.Off() || i < p.Keep || young || pinned[r] {
				res.Kept++
				continue
			}
			if err := os.RemoveAll(path); err != nil {
				return nil, fmt.Errorf("retention: %w", err)
			}
			res.Removed = append(res.Removed, j.Name()+"/"+r)
		}
	}
	err = filepath.WalkDir(outDir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				res.Bytes += info.Size()
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("retention: measuring %s: %w", outDir, err)
	}
	return res, nil
}

// retain applies the retention policy once: stored runs first (so a run
// no longer stored does not pin its folder), then the folders, and sets
// the disk and count metrics. Errors are logged: a failed pass is retried
// after the next run, and never fails one.
func (s *Service) retain(ctx context.Context) {
	s.retainMu.Lock()
	defer s.retainMu.Unlock()
	now := time.Now()
	r := s.cfg.Retention
	if ids, err := s.st.PruneRuns(ctx, r.StoredRuns.keep(), now); err != nil {
		s.log.Error("retention: stored runs", "err", err)
	} else if len(ids) > 0 {
		s.metrics.pruned.WithLabelValues("db").Add(float64(len(ids)))
		s.log.Info("retention: stored runs removed", "runs", len(ids))
	}
	if n, err := s.st.RunCount(ctx); err == nil {
		s.metrics.retained.WithLabelValues("db").Set(float64(n))
	}
	pinned, err := s.st.PinnedRuns(ctx)
	if err != nil {
		s.log.Error("retention: pinned runs", "err", err)
		return // without the pins no folder may go
	}
	res, err := pruneRunDirs(s.cfg.OutDir, r.RunDirs.keep(), pinned, now)
	if err != nil {
		s.log.Error("retention: run folders", "err", err)
		return
	}
	s.metrics.outDirBytes.Set(float64(res.Bytes))
	s.metrics.retained.WithLabelValues("dirs").Set(float64(res.Kept))
	if len(res.Removed) > 0 {
		s.metrics.pruned.WithLabelValues("dirs").Add(float64(len(res.Removed)))
		s.log.Info("retention: run folders removed", "folders", len(res.Removed), "bytes_left", res.Bytes)
	}
}
