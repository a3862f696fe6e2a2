package run

import (
	"context"
	"errors"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/gen"
)

// TestPartitionedCancelStopsEveryCounty: a partitioned run cancelled while
// its first counties are in flight returns the cancellation (not a later
// county's success) and leaves no county's goroutine running.
func TestPartitionedCancelStopsEveryCounty(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a dataset")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	cfg := gen.Config{Villages: 320, Seed: 8, PersonsPerVillage: 40, LedgerPerYear: 60}
	if _, err := gen.Generate(context.Background(), cfg, data); err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	var mu sync.Mutex
	var counties []string
	o := Options{DataDir: data, OutDir: filepath.Join(dir, "out"), RuleDirs: []string{filepath.Join("..", "..", "rules")},
		Scope: Scope{AsOf: civil.MustParse("2025-06-30")}, PartitionBy: "county", Version: "test",
		Progress: func(stage string) {
			if c, _, ok := strings.Cut(stage, ":"); ok && strings.HasPrefix(c, "county ") {
				mu.Lock()
				counties = append(counties, c)
				mu.Unlock()
				once.Do(cancel) // the first county's first stage
			}
		}}
	_, err := Run(ctx, o)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	// Goroutines end asynchronously after Run returns only if something
	// leaked; allow the runtime a moment to retire finished ones.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after the cancelled run, %d before", n, before)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(counties) == 0 {
		t.Fatal("no county reported progress")
	}
	for _, c := range counties {
		if strings.HasPrefix(c, "county 3/") {
			t.Errorf("county 3 started after the run was cancelled in county 1: %q", counties)
		}
	}
}
