package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/run"
)

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
	// Committed as Record is (commitOnce): a SIGTERM after the last write
	// must not report a finished group as failed.
	err := commitOnce(ctx, s.pool, func(tx pgx.Tx) error {
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
