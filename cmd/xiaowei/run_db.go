package main

import (
	"context"
	"errors"
	"flag"
	"time"

	"github.com/neijiang/xiaowei/internal/leads"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/run"
	"github.com/neijiang/xiaowei/internal/store"
)

// `xiaowei run --db URL`: read the contract tables from PostgreSQL and record
// the run and its findings there (the files are still written).

// dbFlags are --db, --schema and --job; the leads hook reads the decisions
// from the same database.
type dbFlags struct{ url, schema, job string }

func init() {
	registerRunHook(runHook{
		name:  "db",
		order: 100, // after hooks that add post steps; recording comes last
		flags: func(fs *flag.FlagSet, f *runFlags) {
			fs.StringVar(&f.db.url, "db", "", "PostgreSQL URL: read the dataset from it and record the run and findings there ($DATABASE_URL is not read here: say --db)")
			fs.StringVar(&f.db.schema, "schema", store.DefaultSchema, "with --db: service schema; contract tables in <schema>_data")
			fs.StringVar(&f.db.job, "job", "manual", "with --db: the job name the run is recorded under")
		},
		prepare: func(ctx context.Context, f *runFlags, o *run.Options) error {
			db, schema, job := f.db.url, f.db.schema, f.db.job
			if db == "" {
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
			o.Record = append(o.Record, run.Step{Name: "record", Fn: func(ctx context.Context, o *run.Options, out *run.Outcome) error {
				defer st.Close()
				meta.Campaign = o.Campaign
				// The run's leads commit in the same transaction as the run.
				_, err := st.Record(ctx, meta, o, out, leads.TxWriter(st, out))
				return err
			}})
			return nil
		},
	})
}
