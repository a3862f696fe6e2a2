package main

import (
	"context"
	"errors"
	"flag"

	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/run"
	"github.com/neijiang/xiaowei/internal/source"
)

// `xiaowei run --mapping sources.yaml`: read the dataset from real-world
// exports (xlsx, GBK CSV, Chinese headers) as the mapping describes.
func init() {
	registerRunHook(runHook{
		name:  "mapping",
		order: 10,
		flags: func(fs *flag.FlagSet, f *runFlags) {
			fs.StringVar(&f.mapping, "mapping", "", "source mapping (sources.yaml): read the dataset from Excel/GBK CSV exports instead of --data (see docs/inputs.md)")
		},
		prepare: func(ctx context.Context, f *runFlags, o *run.Options) error {
			if f.mapping == "" {
				return nil
			}
			if o.DataDir != "" {
				return badInput(errors.New("--data and --mapping are exclusive: the mapping says where each table comes from"))
			}
			if o.Source != nil {
				return badInput(errors.New("--mapping cannot be combined with another data source (--db)"))
			}
			if f.partition.by != "" {
				return badInput(errors.New("--partition works on a dataset folder (--data), not on --mapping: convert with the mapping first or run without --partition"))
			}
			_, src, err := mappedSource(f.mapping, load.Options{AsOf: o.Scope.AsOf})
			if err != nil {
				return err
			}
			o.Source = src
			return nil
		},
	})
}

// mappedSource reads and checks a source mapping (sources.yaml) and returns
// it with the function that loads the dataset it describes. A mapping that
// cannot be read or is wrong, and a file that does not match it (a missing
// header, sheet or required table), are usage errors (exit 2). Shared by
// `run --mapping` and `import --mapping`, so both read exports the same way.
func mappedSource(path string, opts load.Options) (*source.Mapping, func(context.Context) (*load.Dataset, error), error) {
	m, err := source.ReadMapping(path)
	if err != nil {
		return nil, nil, badInput(err)
	}
	return m, func(ctx context.Context) (*load.Dataset, error) {
		ds, err := source.Load(ctx, m, opts)
		if errors.Is(err, source.ErrMapping) || errors.Is(err, source.ErrFormat) {
			return nil, badInput(err)
		}
		return ds, err
	}, nil
}
