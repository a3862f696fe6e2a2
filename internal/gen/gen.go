// Package gen writes deterministic synthetic datasets in the contract's
// tables: households, cadres, subsidy cases and payments, village journals
// and notices. The baseline is built to be free of every finding of
// domain.md; anomalies are then planted (plant_*.go), each recording the
// findings it must cause, and those land in expected.csv next to the tables.
//
// Every village has its own PCG source seeded from (seed, village index), so
// villages are generated in parallel and written in index order: the output
// is byte-identical whatever the scheduling.
package gen

//go:generate go run ../../cmd/xiaowei gen --fixture --out ../../fixtures/shizhong

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/neijiang/xiaowei/internal/civil"
)

// Config drives a run. Zero fields take the defaults of withDefaults.
type Config struct {
	Villages          int
	Seed              int64
	Start             civil.Date // journal start (opening entry); default 2024-01-01
	AsOf              civil.Date // last day of data; default 2025-06-30
	PersonsPerVillage int        // default 1200
	LedgerPerYear     int        // approximate journal rows per village and year; default 1000
	DibaoRate         float64    // share of persons covered by 低保; default 0.04
	TekunRate         float64    // share of persons in 特困; default 0.005
	AnomalyRate       float64    // per village and anomaly kind, the chance it is planted
	Fixture           bool       // the shipped fixture: 20 villages, small, a fixed planted set
	Workers           int        // default GOMAXPROCS
}

// FixtureConfig is the configuration of fixtures/shizhong.
func FixtureConfig() Config {
	return Config{Villages: len(fixtureVillages), Seed: 20180601, PersonsPerVillage: 60, LedgerPerYear: 150,
		DibaoRate: 0.08, TekunRate: 0.03, Fixture: true}
}

func (c Config) withDefaults() Config {
	if c.Start == 0 {
		c.Start = civil.MustParse("2024-01-01")
	}
	if c.AsOf == 0 {
		c.AsOf = civil.MustParse("2025-06-30")
	}
	if c.PersonsPerVillage <= 0 {
		c.PersonsPerVillage = 1200
	}
	if c.LedgerPerYear <= 0 {
		c.LedgerPerYear = 1000
	}
	if c.DibaoRate == 0 {
		c.DibaoRate = 0.04
	}
	if c.TekunRate == 0 {
		c.TekunRate = 0.005
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	return c
}

// TableNames are the tables the generator writes: the contract's, in
// contract order, then the power-list item's (powerlist.yaml).
var TableNames = []string{"villages", "persons", "kinship", "cadres", "beneficiaries", "payments", "ledger", "disclosures",
	powerList.Tables.Decision.Name, powerList.Tables.Contract.Name, powerList.Tables.Payment.Name}

const (
	tVillages = iota
	tPersons
	tKinship
	tCadres
	tBenef
	tPayments
	tLedger
	tDisclosures
	tDecisions
	tContracts
	tContractPayments
	nTables
)

var headers = [nTables]string{
	"village_id,village_name,town_id,town_name,county_id,county_name",
	"person_id,name,gender,birth_date,household_id,relation_to_head,village_id,death_date",
	"person_id,relative_id,relation",
	"person_id,village_id,role,term_start,term_end",
	"case_id,program,person_id,village_id,applied_on,approved_on,ended_on,monthly_amount,handled_by,relative_filed",
	"payment_id,case_id,person_id,program,period,amount,paid_on,account_no,account_holder_id",
	"entry_id,village_id,date,voucher_no,account,direction,amount,category,counterparty,summary,handled_by,approved_by",
	"disclosure_id,village_id,item,period,posted_on,removed_on,amount_total",
	powerList.Tables.Decision.Header,
	powerList.Tables.Contract.Header,
	powerList.Tables.Payment.Header,
}

// Stats reports what a run wrote.
type Stats struct {
	Rows       map[string]int64 // rows per table (header excluded)
	Expected   int              // rows of expected.csv
	Elapsed    time.Duration
	RowsPerSec float64
}

// Total is the number of table rows written.
func (s Stats) Total() int64 {
	var n int64
	for _, v := range s.Rows {
		n += v
	}
	return n
}

// villageOut is one village's serialized rows and expected findings.
type villageOut struct {
	buf  [nTables][]byte
	rows [nTables]int64
	exp  []string
}

// Generate writes one <table>.csv per contract table and expected.csv into out.
func Generate(ctx context.Context, cfg Config, out string) (Stats, error) {
	cfg = cfg.withDefaults()
	if cfg.Villages <= 0 {
		return Stats{}, fmt.Errorf("villages must be positive, got %d", cfg.Villages)
	}
	if cfg.AsOf < cfg.Start.AddDays(120) {
		return Stats{}, fmt.Errorf("as-of %s must be at least 120 days after the journal start %s", cfg.AsOf, cfg.Start)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return Stats{}, err
	}
	t0 := time.Now()
	files, err := createTables(out)
	if err != nil {
		return Stats{}, err
	}

	n := cfg.Villages
	// The semaphore bounds villages in memory at once.
	sem := make(chan struct{}, 4*cfg.Workers)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	slots, wg := startVillages(ctx, &cfg, sem)
	var st Stats
	st.Rows = map[string]int64{}
	var expected []string
	for i := 0; i < n; i++ {
		var vo *villageOut
		select {
		case vo = <-slots[i]:
		case <-ctx.Done():
			err = ctx.Err()
		}
		if err != nil {
			break
		}
		// Village chunks are large: write them straight to the files, no
		// second copy through a bufio buffer, then recycle the buffers.
		for t := 0; t < nTables && err == nil; t++ {
			_, err = files[t].Write(vo.buf[t])
			st.Rows[TableNames[t]] += vo.rows[t]
		}
		expected = append(expected, vo.exp...)
		outPool.Put(vo)
		<-sem
		if err != nil {
			break
		}
	}
	cancel()
	wg.Wait()
	for i := range files {
		if e := files[i].Close(); e != nil && err == nil {
			err = e
		}
	}
	if err != nil {
		return st, err
	}
	if st.Expected, err = writeExpected(out, expected); err != nil {
		return st, err
	}
	st.Elapsed = time.Since(t0)
	if s := st.Elapsed.Seconds(); s > 0 {
		st.RowsPerSec = float64(st.Total()) / s
	}
	return st, nil
}

// createTables creates the tables' files in out, each with its header line.
func createTables(out string) ([nTables]*os.File, error) {
	var files [nTables]*os.File
	closeAll := func() {
		for _, f := range files {
			if f != nil {
				f.Close()
			}
		}
	}
	for i, name := range TableNames {
		f, err := os.Create(filepath.Join(out, name+".csv"))
		if err != nil {
			closeAll()
			return files, err
		}
		files[i] = f
		if _, err := f.WriteString(headers[i] + "\n"); err != nil {
			closeAll()
			return files, err
		}
	}
	return files, nil
}

// startVillages starts the workers that generate villages: village i
// arrives on slots[i], so the writer consumes them in index order. A village
// is handed out only after a token is put into sem (the writer takes it back
// once the village is written); cancelling ctx stops the handing out. The
// WaitGroup is done when the workers are.
func startVillages(ctx context.Context, cfg *Config, sem chan struct{}) ([]chan *villageOut, *sync.WaitGroup) {
	n := cfg.Villages
	slots := make([]chan *villageOut, n)
	for i := range slots {
		slots[i] = make(chan *villageOut, 1)
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				slots[i] <- generateVillage(cfg, i)
			}
		}()
	}
	go func() {
		defer close(next)
		for i := 0; i < n; i++ {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	return slots, &wg
}

// writeExpected writes expected.csv: the planted findings, sorted, each
// once; it returns how many.
func writeExpected(out string, expected []string) (int, error) {
	sort.Strings(expected)
	var b strings.Builder
	b.WriteString("rule_id,subject\n")
	prev := ""
	n := 0
	for _, e := range expected {
		if e == prev {
			continue
		}
		prev = e
		b.WriteString(e)
		b.WriteByte('\n')
		n++
	}
	return n, os.WriteFile(filepath.Join(out, "expected.csv"), []byte(b.String()), 0o644)
}

var outPool = sync.Pool{New: func() any { return &villageOut{} }}

func getOut() *villageOut {
	o := outPool.Get().(*villageOut)
	for t := range o.buf {
		o.buf[t] = o.buf[t][:0]
		o.rows[t] = 0
	}
	o.exp = nil
	return o
}

// villageRand is the village's own PCG stream: independent of scheduling.
func villageRand(seed int64, i int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), uint64(i)*0x9E3779B97F4A7C15+1))
}
