package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/dispose"
	"github.com/neijiang/xiaowei/internal/leads"
	"github.com/neijiang/xiaowei/internal/report"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/run"
	"github.com/neijiang/xiaowei/internal/store"
)

func init() {
	register(command{name: "finish", summary: "record a run group's shards as one run (resolution, leads) once all are stored", run: cmdFinish})
}

// cmdFinish is `xiaowei finish --db URL --run-group G`: once every shard of
// G is stored, the group is recorded as one run: findings upserted,
// resolution over every village, and the night's leads built from all
// shards' findings, in one transaction. A group with a missing, failed or
// killed shard is refused (exit 1, so a Kubernetes Job retries) and
// nothing changes. Finishing a finished group says so and exits 0.
func cmdFinish(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("finish", "--db URL --run-group G [--rules DIR]... [--builtin-rules=false]", stdout)
	db := fs.String("db", "", "PostgreSQL URL (as given to the shards' --db)")
	schema := fs.String("schema", store.DefaultSchema, "service schema (as given to the shards)")
	group := fs.String("run-group", "", "the run group to finish ({as_of} is replaced by --as-of, as in run)")
	asOf := fs.String("as-of", "", "the date {as_of} in --run-group stands for (default today, Asia/Shanghai)")
	wait := fs.Duration("wait", 0, "wait up to this long (e.g. 3h) for shards still missing, running or failed (a Job retries them) before giving up")
	var ruleFlags multiFlag
	var builtin bool
	fs.Var(&ruleFlags, "rules", "rule folders the shards ran with (their titles and weights rank the leads)")
	builtinFlag(fs, &builtin)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *db == "" || *group == "" {
		return badInput(errors.New("--db and --run-group are required"))
	}
	day := civil.Today()
	if *asOf != "" {
		var err error
		if day, err = civil.Parse(*asOf); err != nil {
			return badInput(fmt.Errorf("--as-of: %w", err))
		}
	}
	*group = expandGroup(*group, day)
	if err := store.CheckGroupName(*group); err != nil {
		return badInput(err)
	}
	dirs, err := ruleDirs(ruleFlags, builtin)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, *db, *schema)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
	gs, err := waitForGroup(ctx, st, *group, *wait, stderr)
	if err != nil {
		return err
	}
	if gs.RunID != "" {
		fmt.Fprintf(stdout, "run group %s was already finished as run %s\n", *group, gs.RunID)
		return nil
	}
	started := time.Now()
	ledger, err := groupLeads(ctx, st, gs, dirs)
	if err != nil {
		return fmt.Errorf("leads of run group %s: %w", *group, err)
	}
	meta := store.RunMeta{RunID: store.NewRunID(started), StartedAt: started, Version: versionString()}
	rec, _, err := st.FinishGroup(ctx, *group, meta, st.LeadsWriter(&run.Outcome{Extra: map[string][]byte{"leads.jsonl": ledger}}, store.DefaultDueDays))
	if errors.Is(err, store.ErrGroupFinished) {
		fmt.Fprintf(stdout, "%v\n", err) // another finish won the race: the group is recorded
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "run group %s (%d shards, as of %s) recorded as run %s: %d findings, %d new, %d resolved, %d reopened\n",
		*group, gs.Shards, gs.AsOf, rec.RunID, rec.Findings, rec.New, rec.Resolved, rec.Reopened)
	return nil
}

// groupLeads builds the night's leads from every shard's findings, as a
// whole run's leads step does: the inspectors' dispositions applied, the
// rules' titles and weights, the person and place tables.
func groupLeads(ctx context.Context, st *store.Store, gs *store.GroupStatus, dirs []string) ([]byte, error) {
	set, err := rules.LoadDirs(dirs)
	if err != nil {
		return nil, badInput(err)
	}
	fs, err := st.GroupFindings(ctx, gs.Group)
	if err != nil {
		return nil, err
	}
	ds, err := st.ReadDataset(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer ds.Release()
	events, err := report.DispositionsDB(ctx, st)
	if err != nil {
		return nil, err
	}
	applied := dispose.Apply(fs, events, gs.AsOf, "postgres:"+st.Schema+".disposition_events")
	return leads.BuildJSONL(fs, leads.Input{Tables: ds.Tables, Rules: leads.RulesOf(set.Rules()), AsOf: gs.AsOf, Dispositions: applied})
}

// waitForGroup checks the group, polling while it is incomplete, up to
// wait: the finish Job can start with the shards' Job and wait for it.
func waitForGroup(ctx context.Context, st *store.Store, group string, wait time.Duration, stderr io.Writer) (*store.GroupStatus, error) {
	deadline := time.Now().Add(wait)
	said := ""
	for {
		gs, err := st.CheckGroup(ctx, group)
		var inc *store.GroupIncompleteError
		if !errors.As(err, &inc) || time.Now().After(deadline) {
			return gs, err
		}
		if msg := err.Error(); msg != said {
			fmt.Fprintf(stderr, "waiting (until %s): %v\n", deadline.Format(time.RFC3339), err)
			said = msg
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(min(finishPoll, time.Until(deadline)+time.Millisecond)):
		}
	}
}

// finishPoll is how often finish --wait looks again.
var finishPoll = 10 * time.Second
