package cash

import (
	"github.com/neijiang/xiaowei/internal/table"
)

// ledgerBytes are the ledger's string columns the views copy.
type ledgerBytes struct {
	village, entry, direction, category, counterparty, summary, handledBy, approvedBy strBytes
}

func readLedgerBytes(L ledgerCols) ledgerBytes {
	return ledgerBytes{village: bytesOf(L.village), entry: bytesOf(L.entry), direction: bytesOf(L.direction),
		category: bytesOf(L.category), counterparty: bytesOf(L.counterparty), summary: bytesOf(L.summary),
		handledBy: bytesOf(L.handledBy), approvedBy: bytesOf(L.approvedBy)}
}

// newViews makes the wanted column-wise views for chunks chunks;
// cash_handlers, whose rows are the cash rows, is sized at once.
func (r *replay) newViews(chunks int) {
	if r.want[vHandlers] {
		r.hv = newHandlersView(chunks, len(r.sorted))
	}
	if r.want[vCollections] {
		r.cv = &collView{entryView: newEntryView(chunks, false, false), unbanked: make(nullRows, chunks)}
	}
	if r.want[vPayments] {
		r.pv = &payView{entryView: newEntryView(chunks, true, true)}
	}
	if r.want[vSplits] {
		r.sv = newSplitView(chunks)
	}
}

// sizeViews tells the views how many bytes chunk c will write.
func (r *replay) sizeViews(c *chunk) {
	if r.hv != nil {
		r.hv.size(r, c, int(r.start[c.lo]), int(r.start[c.hi]))
	}
	if r.cv != nil {
		rows := make([]int32, len(c.colls))
		for k := range c.colls {
			rows[k] = c.colls[k].row
		}
		r.cv.size(r, c.id, rows)
	}
	if r.pv != nil {
		rows := make([]int32, len(c.pays))
		for k := range c.pays {
			rows[k] = c.pays[k].row
		}
		r.pv.size(r, c.id, rows)
	}
	if r.sv != nil {
		r.sv.size(r, c)
	}
}

// allocViews places the chunks' rows one after the other and sizes the
// views.
func (r *replay) allocViews(cs []*chunk) {
	nColl, nPay := 0, 0
	for _, c := range cs {
		c.cLo, c.pLo = nColl, nPay
		nColl += len(c.colls)
		nPay += len(c.pays)
	}
	if r.hv != nil {
		for _, col := range []*strCol{r.hv.village, r.hv.entry, r.hv.dir, r.hv.cat, r.hv.catCN, r.hv.by, r.hv.name, r.hv.roles, r.hv.rolesCN} {
			col.alloc(len(r.sorted))
		}
	}
	if r.cv != nil {
		r.cv.alloc(nColl)
	}
	if r.pv != nil {
		r.pv.alloc(nPay)
	}
	if r.sv != nil {
		r.sv.alloc(cs)
	}
}

func (r *replay) writeChunk(c *chunk) {
	if r.hv != nil {
		r.hv.write(r, c, int(r.start[c.lo]), int(r.start[c.hi]))
	}
	if r.cv != nil {
		r.cv.write(r, c)
	}
	if r.pv != nil {
		r.pv.write(r, c)
	}
	if r.sv != nil {
		r.sv.write(r, c)
	}
}

// finish makes the views: the column-wise ones as written, the small ones
// (a few rows a village at most: runs of days, data problems) row by row
// from the chunks, in order.
func (r *replay) finish(cs []*chunk) map[string]*table.Table {
	res := map[string]*table.Table{}
	if r.hv != nil {
		res[vHandlers] = r.hv.table()
	}
	if r.cv != nil {
		res[vCollections] = r.cv.table()
	}
	if r.pv != nil {
		res[vPayments] = r.pv.table()
	}
	if r.sv != nil {
		res[vSplits] = r.sv.table()
	}
	mk := func(name string) out {
		if !r.want[name] {
			return out{}
		}
		return out{table.NewBuilder(r.in.Mem, name, r.specs[name])}
	}
	days, issues := mk(vDays), mk(vIssues)
	var nDays, nIssues int
	for _, c := range cs {
		nDays, nIssues = nDays+len(c.days), nIssues+len(c.issues)
	}
	for _, o := range []struct {
		out
		n int
	}{{days, nDays}, {issues, nIssues}} {
		if o.b != nil {
			o.b.Reserve(o.n)
		}
	}
	for _, c := range cs {
		if days.b != nil {
			for _, d := range c.days {
				writeDay(days.b, d)
			}
		}
		if issues.b != nil {
			for _, is := range c.issues {
				r.writeIssue(issues, is)
			}
		}
	}
	for name, o := range map[string]out{vDays: days, vIssues: issues} {
		if o.b != nil {
			res[name] = o.b.Finish()
		}
	}
	return res
}
