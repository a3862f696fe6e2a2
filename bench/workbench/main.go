// Command workbench benchmarks the inspectors' workbench: it fills a
// private schema with a synthetic district (100,000 leads and 1,000,000
// findings by default), serves the workbench on 127.0.0.1, signs in 20
// users (10 district inspectors, 10 town officers) and has them load
// filtered, sorted, paged queue pages and lead pages concurrently, bounded
// in requests and time. It prints the p50/p95/p99 server time per page
// (measured around the handler) and the client's.
//
//	go run ./bench/workbench -db postgres://postgres@127.0.0.1:5432/test
//
// The schema (default xwbench) is generated once and reused; -fresh
// regenerates it, -drop removes it at the end.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/neijiang/xiaowei/internal/auth"
	"github.com/neijiang/xiaowei/internal/store"
	"github.com/neijiang/xiaowei/internal/web"
)

func main() {
	dbURL := flag.String("db", "postgres://postgres@127.0.0.1:5432/test", "PostgreSQL URL")
	schema := flag.String("schema", "xwbench", "schema to fill (and reuse)")
	nLeads := flag.Int("leads", 100000, "leads")
	nFindings := flag.Int("findings", 1000000, "findings")
	towns := flag.Int("towns", 10, "towns")
	users := flag.Int("users", 20, "concurrent signed-in users (half district, half town)")
	requests := flag.Int("requests", 4000, "total requests (bound)")
	maxTime := flag.Duration("time", 120*time.Second, "time bound")
	fresh := flag.Bool("fresh", false, "drop and regenerate the schema")
	drop := flag.Bool("drop", false, "drop the schema at the end")
	verbose := flag.Bool("v", false, "list the slowest requests")
	think := flag.Duration("think", 0, "pause between one user's requests (0 = back to back: a closed loop at saturation)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the load phase here")
	flag.Parse()
	ctx := context.Background()

	if *fresh {
		dropSchema(ctx, *dbURL, *schema)
	}
	st, err := store.Open(ctx, *dbURL, *schema)
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	have, err := fill(ctx, st, *schema, *towns, *nLeads, *nFindings)
	if err != nil {
		log.Fatal(err)
	}
	const pw = "benchmark-password"
	names, err := addUsers(ctx, st, *users, *towns, pw)
	if err != nil {
		log.Fatal(err)
	}

	base, rec, srv := startServer(st)
	defer srv.Close()

	client := &recorder{byKind: map[string][]time.Duration{}}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	elapsed := drive(base, names, pw, *towns, *think, *requests, time.Now().Add(*maxTime), client)
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("%d users (think %s), %d requests in %s (%.0f req/s), store %d leads / %d findings; load average %s",
		len(names), *think, rec.total(), elapsed.Round(time.Millisecond), float64(rec.total())/elapsed.Seconds(), have+*nLeads*btoi(have == 0),
		*nFindings, load)
	fmt.Println("server time (handler)          n      p50      p95      p99      max")
	rec.print()
	fmt.Println("client time (request→body)     n      p50      p95      p99      max")
	client.print()
	if *verbose {
		fmt.Println("slowest requests (server time):")
		for _, s := range rec.slow {
			fmt.Printf("  %6.1fms %s\n", float64(s.d.Microseconds())/1000, s.url)
		}
	}
	if *drop {
		st.Close()
		dropSchema(ctx, *dbURL, *schema)
	}
}

// startServer serves the workbench on a free local port; rec records
// each request's server time.
func startServer(st *store.Store) (string, *recorder, *http.Server) {
	wb, err := web.New(st, web.Config{MaxFailures: 1000}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		log.Fatal(err)
	}
	rec := &recorder{byKind: map[string][]time.Duration{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: rec.wrap(wb)}
	go srv.Serve(ln)
	base := "http://" + ln.Addr().String()
	return base, rec, srv
}

// drive has every user browse concurrently until the requests or the time
// run out, the client's times recorded in client; it returns how long
// that took.
func drive(base string, names []string, pw string, towns int, think time.Duration, requests int, deadline time.Time, client *recorder) time.Duration {
	var budget atomic.Int64
	budget.Store(int64(requests))
	var wg sync.WaitGroup
	start := time.Now()
	for i, name := range names {
		wg.Add(1)
		go func(i int, name string) {
			defer wg.Done()
			if err := user(base, name, pw, i, towns, think, &budget, deadline, client); err != nil {
				log.Printf("%s: %v", name, err)
			}
		}(i, name)
	}
	wg.Wait()
	return time.Since(start)
}

// fill generates the synthetic district when the schema holds no leads;
// it returns the leads the schema held before (0: generated now).
func fill(ctx context.Context, st *store.Store, schema string, towns, nLeads, nFindings int) (int, error) {
	have, err := st.WorkLeadCount(ctx)
	if err != nil {
		return 0, err
	}
	if have > 0 {
		fmt.Printf("reusing %s: %d leads\n", schema, have)
		return have, nil
	}
	t0 := time.Now()
	if err := st.GenerateWorkbench(ctx, towns, nLeads, nFindings); err != nil {
		return 0, err
	}
	fmt.Printf("generated %d leads, %d findings in %s\n", nLeads, nFindings, time.Since(t0).Round(time.Second))
	return 0, nil
}

// addUsers makes the benchmark's accounts (unless they exist), alternately
// a district inspector and a town officer of one of the towns, all with
// password pw, and returns their names.
func addUsers(ctx context.Context, st *store.Store, users, towns int, pw string) ([]string, error) {
	var names []string
	for i := 0; i < users; i++ {
		name, role, town := fmt.Sprintf("qu%02d", i/2+1), auth.District, ""
		if i%2 == 1 {
			name, role, town = fmt.Sprintf("town%02d", (i/2)%towns+1), auth.Town, fmt.Sprintf("5110021%02d", (i/2)%towns+1)
		}
		names = append(names, name)
		if a, _ := st.GetAccount(ctx, name); a != nil {
			continue
		}
		a, err := web.NewAccount(name, "", role, town, "", pw)
		if err != nil {
			return nil, err
		}
		if err := st.AddAccount(ctx, *a, "bench"); err != nil {
			return nil, err
		}
	}
	return names, nil
}

var leadHref = regexp.MustCompile(`href="/leads/(L\d+)"`)

// user signs in and loads queue pages (random filter, sort and page) and
// the lead pages they list, until the request budget or the time is spent.
func user(base, name, pw string, seed, towns int, think time.Duration, budget *atomic.Int64, deadline time.Time, rec *recorder) error {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	r := rand.New(rand.NewPCG(uint64(seed), 42))
	body, err := get(hc, base+"/login", nil, "")
	if err != nil {
		return err
	}
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		return fmt.Errorf("no sign-in form")
	}
	resp, err := hc.PostForm(base+"/login", url.Values{"csrf": {m[1]}, "username": {name}, "password": {pw}})
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if !strings.HasSuffix(resp.Request.URL.Path, "/leads") {
		return fmt.Errorf("sign-in failed: ended at %s", resp.Request.URL)
	}
	statuses := []string{"", "pending", "assigned", "verifying", "closed"}
	sorts := []string{"score", "amount", "age"}
	var ids []string
	for budget.Add(-1) >= 0 && time.Now().Before(deadline) {
		if think > 0 { // ±50 %, so users do not march in step
			time.Sleep(think/2 + time.Duration(r.Int64N(int64(think))))
		}
		if len(ids) > 0 && r.IntN(2) == 0 {
			id := ids[r.IntN(len(ids))]
			if _, err := get(hc, base+"/leads/"+id, rec, "lead"); err != nil {
				return err
			}
			continue
		}
		q := url.Values{"sort": {sorts[r.IntN(3)]}, "page": {fmt.Sprint(r.IntN(5) + 1)}}
		if s := statuses[r.IntN(len(statuses))]; s != "" {
			q.Set("status", s)
		}
		if strings.HasPrefix(name, "qu") && r.IntN(2) == 0 {
			q.Set("town", fmt.Sprintf("5110021%02d", r.IntN(towns)+1))
		}
		if r.IntN(4) == 0 {
			q.Set("min", "100000")
		}
		if r.IntN(5) == 0 {
			q.Set("overdue", "1")
		}
		body, err := get(hc, base+"/leads?"+q.Encode(), rec, "queue")
		if err != nil {
			return err
		}
		ids = ids[:0]
		for _, m := range leadHref.FindAllStringSubmatch(body, -1) {
			ids = append(ids, m[1])
		}
	}
	return nil
}

func get(hc *http.Client, u string, rec *recorder, kind string) (string, error) {
	t0 := time.Now()
	resp, err := hc.Get(u)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("GET %s: %d", u, resp.StatusCode)
	}
	if rec != nil {
		rec.add(kind, time.Since(t0))
	}
	return string(b), err
}

// recorder keeps durations per page kind.
type recorder struct {
	mu     sync.Mutex
	byKind map[string][]time.Duration
	slow   []slowReq
}

type slowReq struct {
	d   time.Duration
	url string
}

func (r *recorder) add(kind string, d time.Duration) {
	r.mu.Lock()
	r.byKind[kind] = append(r.byKind[kind], d)
	r.mu.Unlock()
}

// wrap times the handler: server time, from the request read to the last
// byte written.
func (r *recorder) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		t0 := time.Now()
		h.ServeHTTP(w, req)
		kind := ""
		switch p := req.URL.Path; {
		case p == "/leads":
			kind = "queue"
		case strings.HasPrefix(p, "/leads/L"):
			kind = "lead"
		default:
			return
		}
		d := time.Since(t0)
		r.add(kind, d)
		r.mu.Lock()
		r.slow = append(r.slow, slowReq{d, req.URL.RequestURI()})
		sort.Slice(r.slow, func(i, j int) bool { return r.slow[i].d > r.slow[j].d })
		if len(r.slow) > 8 {
			r.slow = r.slow[:8]
		}
		r.mu.Unlock()
	})
}

func (r *recorder) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, v := range r.byKind {
		n += len(v)
	}
	return n
}

func (r *recorder) print() {
	r.mu.Lock()
	defer r.mu.Unlock()
	kinds := make([]string, 0, len(r.byKind))
	for k := range r.byKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		ds := r.byKind[k]
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		q := func(p float64) string {
			return fmt.Sprintf("%6.1fms", float64(ds[min(len(ds)-1, int(p*float64(len(ds))))].Microseconds())/1000)
		}
		fmt.Printf("  %-26s %6d %s %s %s %s\n", k, len(ds), q(0.50), q(0.95), q(0.99), q(1))
	}
}

func dropSchema(ctx context.Context, dbURL, schema string) {
	st, err := store.Open(ctx, dbURL, schema)
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	if err := st.DropSchemas(ctx); err != nil {
		log.Fatal(err)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
