package main

import (
	"context"
	"errors"
	"flag"
	"strings"
	"time"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/run"
	"github.com/neijiang/xiaowei/internal/shard"
	"github.com/neijiang/xiaowei/internal/store"
)

// `xiaowei run --db URL`: read the contract tables from PostgreSQL and record
// the run and its findings there (the files are still written).

// dbFlags are --db, --schema, --job, --shard and --run-group; the leads
// hook reads the decisions from the same database.
type dbFlags struct{ url, schema, job, shard, group string }

func init() {
	// failShard is the shard's failure recorder once prepare has begun
	// the shard (run state, not a flag).
	var failShard func(ctx context.Context, err error)
	registerRunHook(runHook{
		name:  "db",
		order: 100, // after hooks that add post steps; recording comes last
		flags: func(fs *flag.FlagSet, f *runFlags) {
			fs.StringVar(&f.db.url, "db", "", "PostgreSQL URL: read the dataset from it and record the run and findings there ($DATABASE_URL is not read here: say --db)")
			fs.StringVar(&f.db.schema, "schema", store.DefaultSchema, "with --db: service schema; contract tables in <schema>_data")
			fs.StringVar(&f.db.job, "job", "manual", "with --db: the job name the run is recorded under")
			fs.StringVar(&f.db.shard, "shard", "", "with --db and --run-group: evaluate shard I of N (\"I/N\", I from 0) of the counties; see docs/shards.md")
			fs.StringVar(&f.db.group, "run-group", "", "with --shard: the run group the shard's findings are stored under until xiaowei finish; {as_of} is replaced by the as-of date (nightly-{as_of})")
		},
		failed: func(ctx context.Context, err error) {
			if failShard != nil {
				failShard(ctx, err)
			}
		},
		prepare: func(ctx context.Context, f *runFlags, o *run.Options) error {
			db, schema, job, shardSpec, group := f.db.url, f.db.schema, f.db.job, f.db.shard, f.db.group
			if (shardSpec == "") != (group == "") {
				return badInput(errors.New("--shard and --run-group go together"))
			}
			if db == "" {
				if shardSpec != "" {
					return badInput(errors.New("--shard needs --db: the shards of a run group meet in PostgreSQL"))
				}
				return nil
			}
			if o.DataDir != "" {
				return badInput(errors.New("--data and --db are exclusive: the dataset comes from one of them (import a folder with xiaowei import)"))
			}
			if o.Source != nil {
				return badInput(errors.New("--db cannot be combined with another data source (--mapping)"))
			}
			if o.PartitionBy != "" {
				return badInput(errors.New("--partition reads CSV folders; it does not apply to --db"))
			}
			st, err := store.Open(ctx, db, schema)
			if err != nil {
				return err
			}
			if _, err := st.Migrate(ctx); err != nil {
				st.Close()
				return err
			}
			meta := store.RunMeta{RunID: store.NewRunID(time.Now()), Job: job, StartedAt: time.Now(), Version: versionString()}
			o.Source = func(ctx context.Context) (*load.Dataset, error) { return st.ReadDataset(ctx, nil) }
			if shardSpec != "" {
				return prepareShard(ctx, st, o, shardSpec, group, job, &failShard)
			}
			o.Record = append(o.Record, run.Step{Name: "record", Fn: func(ctx context.Context, o *run.Options, out *run.Outcome) error {
				defer st.Close()
				meta.Campaign = o.Campaign
				// The run's leads commit in the same transaction as the run.
				_, err := st.Record(ctx, meta, o, out, st.LeadsWriter(out, store.DefaultDueDays))
				return err
			}})
			return nil
		},
	})
}

// prepareShard makes the run one shard of a run group: it is marked
// running now (so finish sees a shard that never stores), and its record
// step stores the shard's findings instead of recording a run. It closes
// st when it fails; once it succeeds, the record step or fail does.
func prepareShard(ctx context.Context, st *store.Store, o *run.Options, spec, group, job string, fail *func(context.Context, error)) (err error) {
	defer func() {
		if err != nil {
			st.Close()
		}
	}()
	sp, err := shard.Parse(spec)
	if err != nil {
		return badInput(err)
	}
	if len(o.Scope.Towns) > 0 || len(o.Scope.Villages) > 0 || o.Scope.From != 0 || o.Scope.To != 0 {
		return badInput(errors.New("--shard runs cover every village with no window: a campaign or --from/--to is one run"))
	}
	group = expandGroup(group, o.Scope.AsOf)
	if err := store.CheckGroupName(group); err != nil {
		return badInput(err)
	}
	if err := st.BeginShard(ctx, group, job, sp, o.Scope.AsOf, versionString()); err != nil {
		return err
	}
	// markFailed records the shard failed; the run's context may be the
	// one cancelled, so it records with a fresh one.
	markFailed := func(ctx context.Context, err error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		st.FailShard(fctx, group, sp, err)
	}
	o.Shard = &sp
	// A shard reads the villages and cases, then only its rows of the big
	// tables; every shard balances on the database's row counts.
	vr, err := st.VillageRows(ctx)
	if err != nil {
		// begun but not run: say so, or finish --wait waits for it
		markFailed(ctx, err)
		return err
	}
	o.ShardRows = vr
	o.Source = func(ctx context.Context) (*load.Dataset, error) {
		return st.ReadDatasetPlanned(ctx, nil, &store.ReadPlan{Later: []string{"ledger", "disclosures", "payments"},
			Filters: func(first *load.Dataset) (map[string]*load.RowFilter, error) { return run.ShardFilters(first, sp, vr) }})
	}
	*fail = func(ctx context.Context, err error) {
		defer st.Close()
		markFailed(ctx, err)
	}
	o.Record = append(o.Record, run.Step{Name: "record", Fn: func(ctx context.Context, o *run.Options, out *run.Outcome) error {
		*fail = nil
		defer st.Close()
		if err := st.RecordShard(ctx, group, o, out); err != nil {
			markFailed(ctx, err)
			return err
		}
		return nil
	}})
	return nil
}

// expandGroup fills {as_of} in a run group name, so a nightly schedule
// (Kubernetes CronJobs) names each night's group without a shell.
func expandGroup(g string, asOf civil.Date) string {
	return strings.ReplaceAll(g, "{as_of}", asOf.String())
}
