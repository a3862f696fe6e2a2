package disclosure

import (
	"context"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/table"
)

// Build reads the ledger, villages and disclosures once into an index
// (index.go), then builds each wanted view from it, one file per view:
// obligations.go, notices.go, cases.go, finance.go.

// builder holds what every view is built from; strings point into the
// Arrow tables, which outlive Build.
type builder struct {
	in   *engine.Input
	asOf civil.Date

	villages []string // in villages-table order, then ledger-only villages sorted
	books    map[string]*books

	d      disclosureCols
	byKey  map[noticeKey]found
	byCase map[string]found

	sched []schedule // obligations: the current village's schedule (reused)
}

func (d detector) Build(ctx context.Context, in *engine.Input) (map[string]*table.Table, error) {
	b := &builder{in: in, asOf: in.AsOf}
	needSpend := in.Want[viewFinance]
	b.readLedger(in.Tables["ledger"], needSpend)
	b.orderVillages(in.Tables["villages"])
	b.readDisclosures(in.Tables["disclosures"])
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	out := map[string]*table.Table{}
	release := func() {
		for _, t := range out {
			t.Release()
		}
	}
	if in.Want[viewObligations] {
		t, err := b.obligations()
		if err != nil {
			release()
			return nil, err
		}
		out[viewObligations] = t
	}
	if in.Want[viewNotices] {
		out[viewNotices] = b.notices()
	}
	if in.Want[viewCases] {
		out[viewCases] = b.cases(in.Tables["beneficiaries"])
	}
	if in.Want[viewFinance] {
		out[viewFinance] = b.finance()
	}
	if err := ctx.Err(); err != nil {
		release()
		return nil, err
	}
	return out, nil
}

// removed is a notice's removal as known on as_of: false while still up
// (no removal, or one dated after as_of, which is not read).
func (b *builder) removed(i int) (civil.Date, bool) {
	if b.d.removed.IsNull(i) {
		return 0, false
	}
	r := civil.Date(b.d.removed.Value(i))
	if r > b.asOf {
		return 0, false
	}
	return r, true
}

// daysPosted is how long notice i was up: to its removal, or to as_of.
func (b *builder) daysPosted(i int) int64 {
	end := b.asOf
	if r, ok := b.removed(i); ok {
		end = r
	}
	return int64(end - civil.Date(b.d.posted.Value(i)))
}
