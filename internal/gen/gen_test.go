package gen

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/load"
)

var fixtureDir = filepath.Join("..", "..", "fixtures", "shizhong")

func genTo(t *testing.T, cfg Config) (string, Stats) {
	t.Helper()
	dir := t.TempDir()
	st, err := Generate(context.Background(), cfg, dir)
	if err != nil {
		t.Fatal(err)
	}
	return dir, st
}

func sameFiles(t *testing.T, a, b string) {
	t.Helper()
	for _, n := range append(append([]string{}, TableNames...), "expected") {
		x, err := os.ReadFile(filepath.Join(a, n+".csv"))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(b, n+".csv"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s.csv differs between %s and %s", n, a, b)
		}
	}
}

// The committed fixture is exactly what the generator writes today.
// Regenerate with: go generate ./internal/gen
func TestFixtureIsCurrent(t *testing.T) {
	dir, _ := genTo(t, FixtureConfig())
	sameFiles(t, dir, fixtureDir)
}

func TestDeterministicAcrossWorkers(t *testing.T) {
	cfg := Config{Villages: 9, Seed: 7, PersonsPerVillage: 300, LedgerPerYear: 400, AnomalyRate: 0.3}
	cfg.Workers = 1
	a, _ := genTo(t, cfg)
	cfg.Workers = 5
	b, _ := genTo(t, cfg)
	sameFiles(t, a, b)
}

// The fixture's findings are exactly the planted ones, and it has every rule.
func TestFixtureFindings(t *testing.T) {
	want := compareFindings(t, fixtureDir, civil.MustParse("2025-06-30"))
	rules := map[string]bool{}
	for k := range want {
		rules[strings.SplitN(k, ",", 2)[0]] = true
	}
	for _, r := range []string{"DIS-MISSING", "DIS-LATE", "DIS-SHORT", "DIS-NO-NOTICE", "DIS-NOTICE-SHORT", "DIS-MISMATCH",
		"CASH-UNBANKED", "CASH-OVER-LIMIT", "CASH-ZUOZHI", "CASH-LARGE", "CASH-SPLIT", "CASH-HANDLER",
		"REL-SELF", "REL-KIN", "REL-KIN-FILED", "REL-HANDLER", "REL-ACCOUNT", "REL-SHARED-ACCOUNT", "REL-DECEASED", "REL-DOUBLE", "DQ-BAD-ID",
		"MAJ-NO-DECISION", "MAJ-ORDER", "MAJ-QUORUM", "MAJ-NOT-PUBLISHED", "PRJ-SPLIT", "PRJ-DIRECT", "PRJ-RELATED", "PRJ-OVERPAY"} {
		if !rules[r] {
			t.Errorf("fixture plants no %s", r)
		}
	}
	// Meitangwan: 168,000.00 of premiums in cash by the deputy director.
	mtw := "511002103201"
	n := 0
	for k := range want {
		if strings.HasPrefix(k, "CASH-UNBANKED,entry:L"+mtw) {
			n++
		}
	}
	if n != 4 || !want["CASH-OVER-LIMIT,village-day:"+mtw+"/2024-10-12"] {
		t.Errorf("Meitangwan: %d unbanked receipts, over-limit run %v", n, want["CASH-OVER-LIMIT,village-day:"+mtw+"/2024-10-12"])
	}
}

// A clean run at realistic size has no finding at all, and planted runs
// find exactly what was planted.
func TestCleanBaseline(t *testing.T) {
	dir, st := genTo(t, Config{Villages: 6, Seed: 42})
	if st.Expected != 0 {
		t.Fatalf("clean run planted %d findings", st.Expected)
	}
	compareFindings(t, dir, civil.MustParse("2025-06-30"))
	if st.Rows["persons"] < 6*1200 || st.Rows["ledger"] < 6*1200 {
		t.Errorf("volumes too small: %v", st.Rows)
	}
}

func TestPlantedAtScale(t *testing.T) {
	for _, c := range []struct {
		seed          int64
		persons, rows int
		rate          float64
	}{{1, 400, 600, 0.5}, {2, 400, 600, 0.5}, {3, 1200, 1000, 0.3},
		// every kind in every village, and villages too small for them (the
		// plantings then register the people they need)
		{4, 30, 300, 1}, {5, 800, 1000, 1}} {
		dir, st := genTo(t, Config{Villages: 6, Seed: c.seed, PersonsPerVillage: c.persons, LedgerPerYear: c.rows, AnomalyRate: c.rate})
		if st.Expected == 0 {
			t.Fatal("nothing planted")
		}
		compareFindings(t, dir, civil.MustParse("2025-06-30"))
	}
}

// The fixture loads with no rejected cell: every value is in contract form.
func TestFixtureLoads(t *testing.T) {
	d, err := load.Load(context.Background(), fixtureDir, load.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Release()
	for _, r := range d.Rejects {
		t.Errorf("%s line %d %s=%q: %s", r.Table, r.Line, r.Column, r.Value, r.Reason)
	}
	for _, s := range d.Stats {
		if s.Loaded == 0 {
			t.Errorf("%s is empty", s.Table)
		}
	}
}

// Invariants the rules do not read but real data has.
func TestRegisterInvariants(t *testing.T) {
	dir, _ := genTo(t, Config{Villages: 3, Seed: 5, PersonsPerVillage: 2000})
	seen := map[string]bool{}
	vill := map[string]string{}
	for _, v := range readTable(t, dir, "villages") {
		vill[v["village_id"]] = v["county_id"]
		if !strings.HasPrefix(v["village_id"], v["town_id"]) || !strings.HasPrefix(v["town_id"], v["county_id"]) || len(v["village_id"]) != 12 {
			t.Errorf("bad codes %v", v)
		}
	}
	for _, p := range readTable(t, dir, "persons") {
		id := p["person_id"]
		if seen[id] {
			t.Errorf("duplicate person %s", id)
		}
		seen[id] = true
		if !validID(id, p["birth_date"]) || id[:6] != vill[p["village_id"]] {
			t.Errorf("bad id %s for %v", id, p)
		}
		male := (id[16]-'0')%2 == 1
		if male != (p["gender"] == "M") {
			t.Errorf("id %s gender %s", id, p["gender"])
		}
	}
	if !strings.HasPrefix(geoFor(0).villageID, "511002101204") || geoFor(15).villageName != "梅堂湾村" {
		t.Error("fixture geography moved")
	}
	// synthetic counties never reuse a code
	codes := map[string]int{}
	for i := 0; i < 200*villagesPerCounty; i += villagesPerCounty {
		g := geoFor(i)
		if j, ok := codes[g.countyID]; ok {
			t.Fatalf("county %s for villages %d and %d", g.countyID, j, i)
		}
		codes[g.countyID] = i
	}
}

func TestCheckDigit(t *testing.T) {
	if c := checkDigit([]byte("11010519491231002X")); c != 'X' {
		t.Errorf("check digit of domain.md example = %c", c)
	}
}
