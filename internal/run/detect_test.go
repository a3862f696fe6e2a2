package run

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/gen"
	"github.com/neijiang/xiaowei/internal/table"
)

// cadreRule reads cadre_relatives directly, so a run builds the cadrekin
// detector itself and major's contract_kin (which reads cadre_relatives)
// takes its view from it instead of building it again.
const cadreRule = `rules:
  - id: TST-CADRE-SELF
    title: 干部本人
    description: every cadre term, to make the run build cadre_relatives
    family: data_quality
    severity: low
    on: cadre_relatives
    when: via == "self"
    subject: "person:{{cadre_id}}"
    message: "{{cadre_id}}"
`

// TestConcurrentDetectorsMatchSequential: building the detectors on one
// worker and on several gives the same findings, views and stage names,
// and major's views are the same whether it builds cadre_relatives itself
// or is handed cadrekin's.
func TestConcurrentDetectorsMatchSequential(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a dataset")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	cfg := gen.Config{Villages: 20, Seed: 7, PersonsPerVillage: 120, LedgerPerYear: 200, AnomalyRate: 0.5}
	if _, err := gen.Generate(context.Background(), cfg, data); err != nil {
		t.Fatal(err)
	}
	extra := filepath.Join(dir, "extra")
	if err := os.MkdirAll(extra, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(extra, "tst.yaml"), []byte(cadreRule), 0o644); err != nil {
		t.Fatal(err)
	}
	shipped := filepath.Join("..", "..", "rules")
	runWith := func(name string, workers int, ruleDirs ...string) (*Outcome, []byte) {
		out := filepath.Join(dir, name)
		o := Options{DataDir: data, OutDir: out, RuleDirs: ruleDirs, Workers: workers,
			Scope: Scope{AsOf: civil.MustParse("2025-06-30")}, Version: "test"}
		res, err := Run(context.Background(), o)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, err := os.ReadFile(filepath.Join(out, "findings.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		return res, b
	}
	seq, seqFindings := runWith("seq", 1, shipped, extra)
	par, parFindings := runWith("par", 4, shipped, extra)
	if !bytes.Equal(seqFindings, parFindings) {
		t.Error("findings.jsonl differs between 1 and 4 workers")
	}
	if !maps.Equal(seq.Eval.Views, par.Eval.Views) {
		t.Errorf("views differ: 1 worker %v, 4 workers %v", seq.Eval.Views, par.Eval.Views)
	}
	if a, b := slices.Sorted(maps.Keys(seq.Eval.Stages)), slices.Sorted(maps.Keys(par.Eval.Stages)); !slices.Equal(a, b) {
		t.Errorf("stages differ: %v vs %v", a, b)
	}
	if seq.Eval.Views["cadre_relatives"] == 0 || seq.Eval.Views["related_contracts"] == 0 {
		t.Fatalf("the data must exercise the shared view: %v", seq.Eval.Views)
	}
	alone, aloneFindings := runWith("alone", 4, shipped)
	if alone.Eval.Views["related_contracts"] != par.Eval.Views["related_contracts"] {
		t.Errorf("related_contracts: %d rows built alone, %d from cadrekin's view", alone.Eval.Views["related_contracts"], par.Eval.Views["related_contracts"])
	}
	if got, want := withoutRule(parFindings, "TST-CADRE-SELF"), aloneFindings; !bytes.Equal(got, want) {
		t.Error("the shipped rules' findings change when major is handed cadrekin's view")
	}
}

// withoutRule drops the findings lines of one rule.
func withoutRule(jsonl []byte, id string) []byte {
	var out []byte
	for line := range bytes.Lines(jsonl) {
		if !bytes.Contains(line, []byte(`"rule_id":"`+id+`"`)) {
			out = append(out, line...)
		}
	}
	return out
}

// fakeDetector builds nothing; it names its views and those it reads.
type fakeDetector struct {
	name  string
	views []string
	reads []string
}

func (f fakeDetector) Name() string                   { return f.name }
func (f fakeDetector) Settings() []engine.SettingSpec { return nil }
func (f fakeDetector) Views() []engine.ViewSpec {
	var out []engine.ViewSpec
	for _, v := range f.views {
		out = append(out, engine.ViewSpec{Name: v})
	}
	return out
}
func (f fakeDetector) ReadsViews(map[string]bool) []string { return f.reads }
func (f fakeDetector) Build(context.Context, *engine.Input) (map[string]*table.Table, error) {
	return nil, nil
}

func jobsOf(t *testing.T, dets ...*fakeDetector) []*detectJob {
	t.Helper()
	want := map[engine.Detector]map[string]bool{}
	for _, d := range dets {
		want[d] = map[string]bool{}
		for _, v := range d.views {
			want[d][v] = true
		}
	}
	jobs, err := detectJobs(want, nil)
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

// TestScheduleOrder: a detector starts only after the detectors whose
// views it reads have finished; otherwise the costliest ready one starts
// first; after a failure nothing more starts.
func TestScheduleOrder(t *testing.T) {
	cases := []struct {
		name    string
		workers int
		costs   map[string]int
		fail    string
		want    string // the order jobs started in (one worker)
	}{
		{"costliest first", 1, map[string]int{"a": 1, "b": 100, "c": 50, "d": 10}, "", "c d a b"},
		{"ties by name", 1, map[string]int{}, "", "a b c d"},
		{"stops after a failure", 1, map[string]int{"a": 1, "b": 100, "c": 50, "d": 10}, "d", "c d"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// b reads a's view; c and d read nothing
			jobs := jobsOf(t, &fakeDetector{name: "a", views: []string{"va"}}, &fakeDetector{name: "b", views: []string{"vb"}, reads: []string{"va", "elsewhere"}},
				&fakeDetector{name: "c", views: []string{"vc"}}, &fakeDetector{name: "d", views: []string{"vd"}})
			for _, j := range jobs {
				j.cost = c.costs[j.d.Name()]
			}
			var started []string
			schedule(jobs, c.workers, func(j *detectJob) {
				started = append(started, j.d.Name())
				if j.d.Name() == c.fail {
					j.err = errors.New("failed")
				}
			})
			if got := strings.Join(started, " "); got != c.want {
				t.Errorf("started %q, want %q", got, c.want)
			}
			if b := jobs[1]; len(b.after) != 1 || b.after[0] != jobs[0] || !slices.Equal(b.reads, []string{"va"}) {
				t.Errorf("b reads %v after %d jobs; want va after a", b.reads, len(b.after))
			}
		})
	}
}

// TestScheduleWaitsForWhatItReads: with more workers than jobs, a job
// still starts only once the job it reads has finished.
func TestScheduleWaitsForWhatItReads(t *testing.T) {
	for range 20 {
		jobs := jobsOf(t, &fakeDetector{name: "a", views: []string{"va"}}, &fakeDetector{name: "b", views: []string{"vb"}, reads: []string{"va"}},
			&fakeDetector{name: "c", views: []string{"vc"}, reads: []string{"vb"}}, &fakeDetector{name: "d", views: []string{"vd"}})
		var mu sync.Mutex
		finished := map[string]bool{}
		schedule(jobs, 8, func(j *detectJob) {
			mu.Lock()
			defer mu.Unlock()
			for _, dep := range j.after {
				if !finished[dep.d.Name()] {
					t.Errorf("%s started before %s finished", j.d.Name(), dep.d.Name())
				}
			}
			finished[j.d.Name()] = true
		})
		if len(finished) != 4 {
			t.Fatalf("ran %d of 4 jobs", len(finished))
		}
	}
}

func TestDetectJobsCycle(t *testing.T) {
	want := map[engine.Detector]map[string]bool{
		&fakeDetector{name: "a", views: []string{"va"}, reads: []string{"vb"}}: {"va": true},
		&fakeDetector{name: "b", views: []string{"vb"}, reads: []string{"va"}}: {"vb": true},
	}
	_, err := detectJobs(want, nil)
	if err == nil || !strings.Contains(err.Error(), "a -> b -> a") {
		t.Fatalf("err = %v, want the cycle a -> b -> a", err)
	}
}

// TestDetectCost: a detector's cost counts each wanted view's tables, so
// several views over one table outweigh one view over several tables.
func TestDetectCost(t *testing.T) {
	rows := func(n int) *table.Table {
		b := table.NewBuilder(nil, "t", []table.Col{{Name: "x", Kind: contract.ID}})
		for range n {
			b.SetStr(0, "x")
			b.Next()
		}
		return b.Finish()
	}
	scoped := map[string]*table.Table{"ledger": rows(10), "persons": rows(4), "villages": rows(1)}
	views := func(specs ...engine.ViewSpec) *specDetector { return &specDetector{specs: specs} }
	cases := []struct {
		name string
		d    *specDetector
		want map[string]bool
		cost int
	}{
		{"one view, two tables", views(engine.ViewSpec{Name: "a", Needs: []string{"ledger", "persons"}}), map[string]bool{"a": true}, 14},
		{"three views over the ledger", views(engine.ViewSpec{Name: "a", Needs: []string{"ledger"}}, engine.ViewSpec{Name: "b", Needs: []string{"ledger"}},
			engine.ViewSpec{Name: "c", Needs: []string{"ledger", "villages"}}), map[string]bool{"a": true, "b": true, "c": true}, 31},
		{"unwanted views cost nothing", views(engine.ViewSpec{Name: "a", Needs: []string{"ledger"}}, engine.ViewSpec{Name: "b", Needs: []string{"persons"}}),
			map[string]bool{"b": true}, 4},
		{"absent tables cost nothing", views(engine.ViewSpec{Name: "a", Needs: []string{"ledger", "kinship"}}), map[string]bool{"a": true}, 10},
	}
	for _, c := range cases {
		if got := cost(c.d, c.want, scoped); got != c.cost {
			t.Errorf("%s: cost %d, want %d", c.name, got, c.cost)
		}
	}
	for _, tb := range scoped {
		tb.Release()
	}
}

// specDetector is a detector with the given view specs.
type specDetector struct {
	fakeDetector
	specs []engine.ViewSpec
}

func (s *specDetector) Views() []engine.ViewSpec { return s.specs }
