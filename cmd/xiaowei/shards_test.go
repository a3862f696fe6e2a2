package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/neijiang/xiaowei/internal/gen"
	"github.com/neijiang/xiaowei/internal/pgtest"
)

// TestShardsAndFinishEqualWholeRun runs the real binary as N processes
// against PostgreSQL, over two nights of generated data (three counties;
// the second night's ledger lacks a town, so findings resolve):
//
//   - night 1: 3 shards + finish leave the findings, their history and the
//     leads exactly as one whole run does in another schema;
//   - night 2: a shard killed (SIGKILL) after its outputs, before storing,
//     leaves the group unfinished: finish refuses (exit 1) and nothing is
//     recorded or resolved; re-running that shard and finishing gives the
//     whole run's state again, resolutions included;
//   - a re-run shard replaces its own findings (idempotent), and finish
//     of a finished group exits 0 and changes nothing.
func TestShardsAndFinishEqualWholeRun(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a dataset and runs the binary")
	}
	url, whole := pgtest.Schema(t)
	_, sharded := pgtest.Schema(t)
	bin := binary(t)
	dir := t.TempDir()
	night1, night2 := filepath.Join(dir, "night1"), filepath.Join(dir, "night2")
	cfg := gen.Config{Villages: 310, Seed: 5, PersonsPerVillage: 30, LedgerPerYear: 40, AnomalyRate: 0.3}
	if _, err := gen.Generate(context.Background(), cfg, night1); err != nil {
		t.Fatal(err)
	}
	plantUnknownRefs(t, night1)
	dropTown(t, night1, night2)

	xw := func(args ...string) (string, int) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		out, err := cmd.CombinedOutput()
		code := 0
		if err != nil {
			ee, ok := err.(*exec.ExitError)
			if !ok {
				t.Fatalf("%v: %v", args, err)
			}
			code = ee.ExitCode()
		}
		return string(out), code
	}
	must := func(args ...string) string {
		t.Helper()
		out, code := xw(args...)
		if code != 0 {
			t.Fatalf("xiaowei %s: exit %d\n%s", strings.Join(args, " "), code, out)
		}
		return out
	}
	const asOf = "2025-06-30"
	runWhole := func(data string) {
		must("import", "--data", data, "--db", url, "--schema", whole, "--rejects", filepath.Join(dir, "rej.csv"))
		must("run", "--db", url, "--schema", whole, "--out", filepath.Join(dir, "whole"), "--as-of", asOf, "--quiet", "--job", "nightly")
	}
	shardArgs := func(group string, i int) []string {
		return []string{"run", "--db", url, "--schema", sharded, "--out", filepath.Join(dir, group, fmt.Sprint(i)), "--as-of", asOf,
			"--quiet", "--job", "nightly", "--shard", fmt.Sprintf("%d/3", i), "--run-group", group}
	}
	startShard := func(group string, i int) *exec.Cmd {
		cmd := exec.Command(bin, shardArgs(group, i)...)
		var buf bytes.Buffer
		cmd.Stdout, cmd.Stderr = &buf, &buf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())

	// Night 1: three processes at once, then finish.
	runWhole(night1)
	must("import", "--data", night1, "--db", url, "--schema", sharded, "--rejects", filepath.Join(dir, "rej.csv"))
	var procs []*exec.Cmd
	for i := 0; i < 3; i++ {
		procs = append(procs, startShard("night1", i))
	}
	for i, p := range procs {
		if err := p.Wait(); err != nil {
			t.Fatalf("shard %d: %v\n%s", i, err, p.Stdout)
		}
	}
	// A re-run shard replaces its own findings.
	must(shardArgs("night1", 1)...)
	out := must("finish", "--db", url, "--schema", sharded, "--run-group", "night1")
	if !strings.Contains(out, "recorded as run") {
		t.Fatalf("finish: %s", out)
	}
	compare(t, conn, whole, sharded, "night 1")
	if n := count1(t, conn, "select count(*) from "+sharded+".findings"); n < 50 {
		t.Fatalf("only %d findings to compare", n)
	}
	if n := count1(t, conn, "select count(distinct rule_id) from "+sharded+".findings where rule_id in ('DQ-UNKNOWN-VILLAGE', 'DQ-PAYMENT-NO-CASE') and subject like '%X0001%'"); n != 2 {
		t.Errorf("%d findings of the planted unknown village and case, want both rules", n)
	}
	if out := must("finish", "--db", url, "--schema", sharded, "--run-group", "night1"); !strings.Contains(out, "already finished") {
		t.Errorf("second finish: %s", out)
	}
	compare(t, conn, whole, sharded, "night 1 after a second finish")

	// A shard that fails (bad local rules) is marked failed with the
	// reason, and finish names it.
	bad := filepath.Join(dir, "badrules")
	os.MkdirAll(bad, 0o755)
	os.WriteFile(filepath.Join(bad, "local.yaml"), []byte("overrides:\n  - rules:\n      NO-SUCH-RULE: {enabled: false}\n"), 0o644)
	if out, code := xw("run", "--db", url, "--schema", sharded, "--out", filepath.Join(dir, "bad"), "--as-of", asOf, "--quiet",
		"--rules", bad, "--shard", "0/2", "--run-group", "bad"); code != exitBadInput {
		t.Fatalf("shard with bad rules: exit %d\n%s", code, out)
	}
	if st := status(t, conn, sharded, "bad", 0); st != "failed" {
		t.Errorf("shard with bad rules has status %s, want failed", st)
	}
	out, code := xw("finish", "--db", url, "--schema", sharded, "--run-group", "bad")
	if code != exitFailure || !strings.Contains(out, "shard 0/2: failed: bad rules") || !strings.Contains(out, "shard 1/2: never started") {
		t.Errorf("finish of a group with a failed shard: exit %d\n%s", code, out)
	}

	// Night 2: shard 2 is killed after writing its files, while it waits
	// to store: once it is marked running, the test holds its shard_runs
	// row, which storing needs (the findings' foreign key, the status).
	runWhole(night2)
	must("import", "--data", night2, "--db", url, "--schema", sharded, "--rejects", filepath.Join(dir, "rej.csv"))
	must(shardArgs("night2-{as_of}", 0)...)
	must(shardArgs("night2-{as_of}", 1)...)
	before := snapshot(t, conn, sharded)
	victim := startShard("night2-{as_of}", 2)
	waitFor(t, func() bool {
		var n int
		conn.QueryRow(context.Background(), "select count(*) from "+sharded+".shard_runs where group_id = 'night2-2025-06-30' and shard = 2 and status = 'running'").Scan(&n)
		return n == 1
	})
	tx, err := conn.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(context.Background(), "select 1 from "+sharded+".shard_runs where group_id = 'night2-2025-06-30' and shard = 2 for update"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		_, err := os.Stat(filepath.Join(dir, "night2-{as_of}", "2", "findings.jsonl"))
		return err == nil
	})
	victim.Process.Signal(syscall.SIGKILL)
	victim.Wait()
	tx.Rollback(context.Background())
	if st := status(t, conn, sharded, "night2-2025-06-30", 2); st != "running" {
		t.Fatalf("killed shard has status %s, want running", st)
	}
	out, code = xw("finish", "--db", url, "--schema", sharded, "--run-group", "night2-{as_of}", "--as-of", asOf, "--wait", "300ms")
	if code != exitFailure || !strings.Contains(out, "shard 2/3: started but not stored") || !strings.Contains(out, "waiting (until") {
		t.Fatalf("finish with a killed shard: exit %d\n%s", code, out)
	}
	if after := snapshot(t, conn, sharded); after != before {
		t.Fatal("finish of an incomplete group changed the findings")
	}
	must(shardArgs("night2-{as_of}", 2)...)
	must("finish", "--db", url, "--schema", sharded, "--run-group", "night2-{as_of}", "--as-of", asOf)
	if n := count1(t, conn, "select count(*) from "+sharded+".findings where status = 'resolved'"); n == 0 {
		t.Fatal("night 2 resolved nothing: the dropped town's findings should resolve")
	}
	compare(t, conn, whole, sharded, "night 2")
}

// plantUnknownRefs adds a ledger row of a village that is not in villages
// and a payment of a case that is not in beneficiaries: their findings
// belong to shard 0, which reads them by leaving the others' rows out.
func plantUnknownRefs(t *testing.T, dir string) {
	t.Helper()
	for file, line := range map[string]string{
		"ledger.csv":   "LX0001,519999999999,2024-03-01,PZX-1,cash,out,100.00,expense,某店,杂项,,\n",
		"payments.csv": "PX0001,NO-SUCH-CASE,511002194204270013,tekun,2024-01,820.00,2024-01-10,621700000000000025,511002194204270013\n",
	} {
		f, err := os.OpenFile(filepath.Join(dir, file), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString(line); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
}

// dropTown copies the dataset without the ledger rows of one town.
func dropTown(t *testing.T, from, to string) {
	t.Helper()
	os.MkdirAll(to, 0o755)
	ents, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == "ledger.csv" {
			var kept []string
			for i, line := range strings.Split(string(b), "\n") {
				if i == 0 || !strings.Contains(line, ",511002101") {
					kept = append(kept, line)
				}
			}
			if len(kept) == len(strings.Split(string(b), "\n")) {
				t.Fatal("no ledger row of town 511002101 to drop")
			}
			b = []byte(strings.Join(kept, "\n"))
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// snapshot is the findings table and its events, as text.
func snapshot(t *testing.T, conn *pgx.Conn, schema string) string {
	t.Helper()
	rows, err := conn.Query(context.Background(), `select finding_id, rule_id, severity, village_id, subject, period, coalesce(amount::text, ''),
		message, evidence::text, status, times_seen, reopened from `+schema+`.findings order by finding_id`)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&b, vals...)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	events := count1(t, conn, "select count(*) from "+schema+".finding_events")
	fmt.Fprintf(&b, "events %d\n", events)
	return b.String()
}

// leadsOf is the latest run's leads, as text.
func leadsOf(t *testing.T, conn *pgx.Conn, schema string) string {
	t.Helper()
	rows, err := conn.Query(context.Background(), `select lead_id, coalesce(person_id, ''), coalesce(village_id, ''), score, coalesce(amount::text, ''),
		rules, finding_ids from `+schema+`.leads where run_id = (select run_id from `+schema+`.runs order by finished_at desc limit 1) order by lead_id`)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&b, vals...)
	}
	return b.String()
}

func compare(t *testing.T, conn *pgx.Conn, whole, sharded, when string) {
	t.Helper()
	if w, s := snapshot(t, conn, whole), snapshot(t, conn, sharded); w != s {
		t.Fatalf("%s: findings differ between the whole run and the shards\nwhole:\n%.2000s\nsharded:\n%.2000s", when, w, s)
	}
	w, s := leadsOf(t, conn, whole), leadsOf(t, conn, sharded)
	if w == "" {
		t.Fatalf("%s: the whole run stored no leads", when)
	}
	if w != s {
		t.Fatalf("%s: leads differ\nwhole:\n%.2000s\nsharded:\n%.2000s", when, w, s)
	}
}

func count1(t *testing.T, conn *pgx.Conn, q string) int {
	t.Helper()
	var n int
	if err := conn.QueryRow(context.Background(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func status(t *testing.T, conn *pgx.Conn, schema, group string, shard int) string {
	t.Helper()
	var s string
	if err := conn.QueryRow(context.Background(), "select status from "+schema+".shard_runs where group_id = $1 and shard = $2", group, shard).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
