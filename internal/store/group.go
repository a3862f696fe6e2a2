package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/run"
	"github.com/neijiang/xiaowei/internal/shard"
)

// Run groups: the shards of a night store their findings apart
// (shard_findings), each replacing its own on a re-run; FinishGroup then
// records the group as one run in runs, with the same upsert and
// resolution as a whole run, once every shard is stored. Until then
// nothing in findings changes: a missing, failed or killed shard resolves
// nothing.

var groupName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$`)

// CheckGroupName rejects group names that would not read well in logs and
// Kubernetes (letters, digits, . _ : -).
func CheckGroupName(g string) error {
	if !groupName.MatchString(g) {
		return fmt.Errorf("run group %q: want 1-100 letters, digits, '.', '_', ':' or '-', starting with a letter or digit", g)
	}
	return nil
}

// ErrGroupFinished means finish already recorded the group.
var ErrGroupFinished = errors.New("run group already finished")

// GroupIncompleteError lists the shards that keep a group from finishing.
type GroupIncompleteError struct {
	Group    string
	Problems []string
}

func (e *GroupIncompleteError) Error() string {
	return fmt.Sprintf("run group %s is not complete, nothing recorded or resolved:\n  %s", e.Group, strings.Join(e.Problems, "\n  "))
}

// BeginShard marks shard spec of group as running (creating the group on
// its first shard), committed at once so finish sees a shard that was
// started and never stored. A group's shard count and as_of are fixed by
// its first shard; a finished group takes no more shards.
func (s *Store) BeginShard(ctx context.Context, group, job string, spec shard.Spec, asOf civil.Date, version string) error {
	if err := CheckGroupName(group); err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "insert into "+s.T("run_groups")+" (group_id, shards, job, as_of) values ($1, $2, $3, $4) on conflict do nothing",
			group, spec.Count, job, dateTime(asOf)); err != nil {
			return fmt.Errorf("run group %s: %w", group, err)
		}
		var n int
		var at time.Time
		var runID *string
		if err := tx.QueryRow(ctx, "select shards, as_of, run_id from "+s.T("run_groups")+" where group_id = $1 for update", group).Scan(&n, &at, &runID); err != nil {
			return fmt.Errorf("run group %s: %w", group, err)
		}
		switch {
		case runID != nil:
			return fmt.Errorf("run group %s: %w (as run %s); a new night is a new group", group, ErrGroupFinished, *runID)
		case n != spec.Count:
			return fmt.Errorf("run group %s has %d shards, this is shard %s", group, n, spec)
		case civil.FromTime(at) != asOf:
			return fmt.Errorf("run group %s is as of %s, this shard as of %s", group, civil.FromTime(at), asOf)
		}
		_, err := tx.Exec(ctx, "insert into "+s.T("shard_runs")+` (group_id, shard, status, started_at, version) values ($1, $2, 'running', now(), $3)
			on conflict (group_id, shard) do update set status = 'running', started_at = now(), stored_at = null, error = null, version = $3`,
			group, spec.Index, version)
		return err
	})
}

// FailShard records why a shard failed (best effort: a killed shard
// cannot, and stays "running", which finish treats the same).
func (s *Store) FailShard(ctx context.Context, group string, spec shard.Spec, cause error) error {
	_, err := s.pool.Exec(ctx, "update "+s.T("shard_runs")+" set status = 'failed', error = $3 where group_id = $1 and shard = $2 and status = 'running'",
		group, spec.Index, cause.Error())
	return err
}

// RecordShard stores a shard's findings in one transaction, replacing any
// the same shard stored before (a re-run is idempotent), and marks it
// stored.
func (s *Store) RecordShard(ctx context.Context, group string, o *run.Options, out *run.Outcome) error {
	info := out.Shard
	if info == nil {
		return errors.New("record shard: the run was not sharded")
	}
	summary, err := json.Marshal(out.Summary)
	if err != nil {
		return err
	}
	manifest, err := json.Marshal(out.Manifest)
	if err != nil {
		return err
	}
	rejected := 0
	if out.Summary != nil {
		rejected = out.Summary.Rejected
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var runID *string
		if err := tx.QueryRow(ctx, "select run_id from "+s.T("run_groups")+" where group_id = $1 for update", group).Scan(&runID); err != nil {
			return fmt.Errorf("run group %s: %w", group, err)
		}
		if runID != nil {
			return fmt.Errorf("run group %s: %w (as run %s) while this shard ran", group, ErrGroupFinished, *runID)
		}
		if _, err := tx.Exec(ctx, "delete from "+s.T("shard_findings")+" where group_id = $1 and shard = $2", group, info.Spec.Index); err != nil {
			return err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{s.Schema, "shard_findings"}, append([]string{"group_id", "shard"}, stageColumns...),
			&shardSource{group: group, shard: info.Spec.Index, findingSource: findingSource{fs: out.Findings, i: -1}}); err != nil {
			return fmt.Errorf("store shard findings: %w", err)
		}
		tag, err := tx.Exec(ctx, "update "+s.T("shard_runs")+` set status = 'stored', stored_at = now(), error = null, counties = $3,
			all_counties = $4, rules = $5, findings = $6, rows_rejected = $7, summary = $8, manifest = $9 where group_id = $1 and shard = $2`,
			group, info.Spec.Index, nonNil(info.Counties), nonNil(info.AllCounties), rulesThatRan(out), len(out.Findings), rejected,
			string(summary), string(manifest))
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return fmt.Errorf("run group %s shard %s was not begun", group, info.Spec)
		}
		return nil
	})
}

// shardSource feeds a shard's findings to CopyFrom, after group and shard.
type shardSource struct {
	group string
	shard int
	findingSource
	row [16]any
}

func (s *shardSource) Values() ([]any, error) {
	v, err := s.findingSource.Values()
	if err != nil {
		return nil, err
	}
	s.row[0], s.row[1] = s.group, s.shard
	copy(s.row[2:], v)
	return s.row[:], nil
}

// GroupStatus is what finish found of a group.
type GroupStatus struct {
	Group  string
	Shards int
	Job    string
	AsOf   civil.Date
	RunID  string // set once finished
}

type shardRow struct {
	shard            int
	status           string
	counties, all    []string
	rules            []string
	findings, reject int
	err              *string
	manifest         []byte
}

// FinishGroup records a group whose every shard is stored as one run:
// the run row (job and as_of of the group, every village covered, the
// rules that ran in every shard), the shards' findings upserted, and the
// open findings of those rules not seen by any shard resolved; extra
// writers (the group's leads) in the same transaction. A group with a
// missing, running (killed) or failed shard, or whose shards disagree on
// the counties, gets a *GroupIncompleteError and nothing changes.
func (s *Store) FinishGroup(ctx context.Context, group string, m RunMeta, extra ...TxWriter) (*Recorded, *GroupStatus, error) {
	var rec *Recorded
	var gs *GroupStatus
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		gs, err = s.groupStatusTx(ctx, tx, group, true)
		if err != nil {
			return err
		}
		if gs.RunID != "" {
			return fmt.Errorf("run group %s: %w (as run %s)", group, ErrGroupFinished, gs.RunID)
		}
		shards, err := s.shardRowsTx(ctx, tx, group)
		if err != nil {
			return err
		}
		if problems := checkShards(gs.Shards, shards); len(problems) > 0 {
			return &GroupIncompleteError{Group: group, Problems: problems}
		}
		// A rule resolves only where it ran: in every shard.
		rules := shards[0].rules
		total, rejected := 0, 0
		for _, sh := range shards {
			rules = slices.DeleteFunc(slices.Clone(rules), func(r string) bool { return !slices.Contains(sh.rules, r) })
			total += sh.findings
			rejected += sh.reject
		}
		summary, _ := json.Marshal(map[string]any{"run_group": group, "shards": gs.Shards, "findings": total, "rows_rejected": rejected})
		m.Job = gs.Job
		rs := runSpec{meta: m, scope: run.Scope{AsOf: gs.AsOf}, rules: nonNil(rules), villages: []string{}, all: true,
			findings: total, rejected: rejected, summary: summary, manifest: shards[0].manifest}
		rec, err = s.recordTx(ctx, tx, rs, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `insert into xw_stage select distinct on (finding_id) finding_id, rule_id, family, severity, village_id,
				coalesce(town_id, ''), subject, period, amount, title, message, coalesce(responsible, ''), rule_version, evidence::text
				from `+s.T("shard_findings")+` where group_id = $1 order by finding_id, shard`, group)
			return err
		}, extra)
		if err != nil {
			return err
		}
		if _, err = tx.Exec(ctx, "update "+s.T("run_groups")+" set run_id = $2 where group_id = $1", group, m.RunID); err != nil {
			return err
		}
		gs.RunID = m.RunID
		// The findings now live in findings; the shards' copies would only
		// double the night's size.
		_, err = tx.Exec(ctx, "delete from "+s.T("shard_findings")+" where group_id = $1", group)
		return err
	})
	if err != nil {
		return nil, gs, err
	}
	return rec, gs, nil
}

func (s *Store) groupStatusTx(ctx context.Context, tx pgx.Tx, group string, lock bool) (*GroupStatus, error) {
	q := "select shards, job, as_of, run_id from " + s.T("run_groups") + " where group_id = $1"
	if lock {
		q += " for update"
	}
	gs := &GroupStatus{Group: group}
	var at time.Time
	var runID *string
	if err := tx.QueryRow(ctx, q, group).Scan(&gs.Shards, &gs.Job, &at, &runID); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, &GroupIncompleteError{Group: group, Problems: []string{"no shard of this group was ever started"}}
		}
		return nil, err
	}
	gs.AsOf = civil.FromTime(at)
	if runID != nil {
		gs.RunID = *runID
	}
	return gs, nil
}

func (s *Store) shardRowsTx(ctx context.Context, tx pgx.Tx, group string) ([]shardRow, error) {
	rows, err := tx.Query(ctx, "select shard, status, counties, all_counties, rules, findings, rows_rejected, error, coalesce(manifest::text, '{}') from "+
		s.T("shard_runs")+" where group_id = $1 order by shard", group)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []shardRow
	for rows.Next() {
		var r shardRow
		var manifest string
		if err := rows.Scan(&r.shard, &r.status, &r.counties, &r.all, &r.rules, &r.findings, &r.reject, &r.err, &manifest); err != nil {
			return nil, err
		}
		r.manifest = []byte(manifest)
		out = append(out, r)
	}
	return out, rows.Err()
}

// checkShards says what keeps n shards from making a whole run.
func checkShards(n int, shards []shardRow) []string {
	var problems []string
	byIdx := map[int]shardRow{}
	for _, sh := range shards {
		byIdx[sh.shard] = sh
	}
	for i := 0; i < n; i++ {
		sh, ok := byIdx[i]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("shard %d/%d: never started", i, n))
		case sh.status == "running":
			problems = append(problems, fmt.Sprintf("shard %d/%d: started but not stored (still running, or killed: run it again)", i, n))
		case sh.status == "failed":
			msg := ""
			if sh.err != nil {
				msg = ": " + *sh.err
			}
			problems = append(problems, fmt.Sprintf("shard %d/%d: failed%s (run it again)", i, n, msg))
		}
	}
	if len(problems) > 0 {
		return problems
	}
	// Every county in exactly one shard, and every shard saw the same
	// counties: otherwise the data changed between shards.
	all := strings.Join(shards[0].all, ",")
	seen := map[string]int{}
	for _, sh := range shards {
		if strings.Join(sh.all, ",") != all {
			problems = append(problems, fmt.Sprintf("shard %d/%d saw other counties than shard 0 (was data imported between the shards?): run every shard again in a new group", sh.shard, n))
		}
		for _, c := range sh.counties {
			seen[c]++
		}
	}
	var wrong []string
	for _, c := range shards[0].all {
		if seen[c] != 1 {
			wrong = append(wrong, fmt.Sprintf("%s (in %d shards)", c, seen[c]))
		}
	}
	sort.Strings(wrong)
	if len(wrong) > 0 {
		problems = append(problems, "counties not in exactly one shard: "+strings.Join(wrong, ", "))
	}
	return problems
}

// GroupFindings reads a group's stored findings back, in the order a
// whole run writes them (for the group's leads).
func (s *Store) GroupFindings(ctx context.Context, group string) ([]*findings.Finding, error) {
	rows, err := s.pool.Query(ctx, `select distinct on (finding_id) finding_id, rule_id, family, severity, village_id, coalesce(town_id, ''),
		subject, period, amount, coalesce(title, ''), message, coalesce(responsible, ''), coalesce(rule_version, ''), evidence
		from `+s.T("shard_findings")+` where group_id = $1 order by finding_id, shard`, group)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*findings.Finding
	for rows.Next() {
		f := &findings.Finding{}
		var amount pgtype.Numeric
		if err := rows.Scan(&f.FindingID, &f.RuleID, &f.Family, &f.Severity, &f.VillageID, &f.TownID, &f.Subject, &f.Period, &amount,
			&f.Title, &f.Message, &f.Responsible, &f.RuleHash, &f.Evidence); err != nil {
			return nil, err
		}
		if amount.Valid {
			fen, err := numericFen(amount)
			if err != nil {
				return nil, fmt.Errorf("finding %s amount: %w", f.FindingID, err)
			}
			f.Amount = &findings.Amount{Fen: fen}
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	findings.Sort(out)
	return out, nil
}

// numericFen converts a numeric(14,2) to fen exactly.
func numericFen(n pgtype.Numeric) (int64, error) {
	v := new(big.Int).Set(n.Int)
	for e := n.Exp; e > -2; e-- {
		v.Mul(v, big.NewInt(10))
	}
	for e := n.Exp; e < -2; e++ {
		q, r := new(big.Int).QuoRem(v, big.NewInt(10), new(big.Int))
		if r.Sign() != 0 {
			return 0, fmt.Errorf("%v has more than two decimals", n)
		}
		v = q
	}
	if !v.IsInt64() {
		return 0, fmt.Errorf("%v out of range", n)
	}
	return v.Int64(), nil
}

// CheckGroup reports a group's state and, when it cannot finish, a
// *GroupIncompleteError (read only: finish calls it before the costly
// leads, and FinishGroup checks again under its lock).
func (s *Store) CheckGroup(ctx context.Context, group string) (*GroupStatus, error) {
	var gs *GroupStatus
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		if gs, err = s.groupStatusTx(ctx, tx, group, false); err != nil || gs.RunID != "" {
			return err
		}
		shards, err := s.shardRowsTx(ctx, tx, group)
		if err != nil {
			return err
		}
		if problems := checkShards(gs.Shards, shards); len(problems) > 0 {
			return &GroupIncompleteError{Group: group, Problems: problems}
		}
		return nil
	})
	return gs, err
}
