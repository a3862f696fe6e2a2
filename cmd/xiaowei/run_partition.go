package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/neijiang/xiaowei/internal/run"
)

// `xiaowei run --partition county`: split the dataset by county and run one
// county at a time (bounded memory for a province), with the same
// findings.jsonl as a whole run. See docs/performance.md.
type partitionFlags struct{ by string }

func init() {
	registerRunHook(runHook{
		name:  "partition",
		order: 10,
		flags: func(fs *flag.FlagSet, f *runFlags) {
			fs.StringVar(&f.partition.by, "partition", "", `"county": load and evaluate one county at a time (CSV datasets)`)
		},
		prepare: func(_ context.Context, f *runFlags, o *run.Options) error {
			p := f.partition
			if p.by != "" && p.by != "county" {
				return badInput(fmt.Errorf("--partition %q: only \"county\" is supported", p.by))
			}
			o.PartitionBy = p.by
			return nil
		},
	})
}
