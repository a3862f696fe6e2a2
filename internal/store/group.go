package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/neijiang/xiaowei/internal/civil"
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
