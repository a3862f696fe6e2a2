package cash

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/table"
)

// payState is a cash payment as the replay saw it; cash_payments is built
// from these after the replay, column by column.
type payState struct {
	row                       int32
	before, recBefore, zuozhi int64
}

// eachHandlerName calls f with the handler_name of each of rows: the handler's
// name from persons, "" when unknown or when there is no handler. One name
// lookup per row, none when the handler is the previous row's (the usual
// case: a village's cashier handles most entries).
func (r *replay) eachHandlerName(rows []int32, f func(name string)) {
	lastWho, lastName := "", ""
	for k, row := range rows {
		if who := str(r.L.handledBy, int(row)); k == 0 || who != lastWho {
			lastWho, lastName = who, r.names[who]
		}
		f(lastName)
	}
}

func (r *replay) handlerNameBytes(rows []int32) int {
	n := 0
	r.eachHandlerName(rows, func(name string) { n += len(name) })
	return n
}

// entryView is the string columns cash_collections and cash_payments copy
// from their ledger entries.
type entryView struct {
	village, entry, category, cp, sum, by, name, appr *strCol
}

func newEntryView(chunks int, withCategory, withApprover bool) entryView {
	v := entryView{village: newStrCol(chunks), entry: newStrCol(chunks), cp: newStrCol(chunks),
		sum: newStrCol(chunks), by: newStrCol(chunks), name: newStrCol(chunks)}
	if withCategory {
		v.category = newStrCol(chunks)
	}
	if withApprover {
		v.appr = newStrCol(chunks)
	}
	return v
}

// gatherCol is a view column copied from a ledger column.
type gatherCol struct {
	col *strCol
	src strBytes
}

// gathered pairs the view's ledger copies with their ledger columns.
func (v *entryView) gathered(lb *ledgerBytes) []gatherCol {
	g := []gatherCol{{v.village, lb.village}, {v.entry, lb.entry}, {v.cp, lb.counterparty}, {v.sum, lb.summary}, {v.by, lb.handledBy}}
	if v.category != nil {
		g = append(g, gatherCol{v.category, lb.category})
	}
	if v.appr != nil {
		g = append(g, gatherCol{v.appr, lb.approvedBy})
	}
	return g
}

func (v *entryView) size(r *replay, chunk int, rows []int32) {
	for _, g := range v.gathered(&r.Lb) {
		g.col.setBytes(chunk, g.src.size(rows))
	}
	v.name.setBytes(chunk, r.handlerNameBytes(rows))
}

func (v *entryView) alloc(rows int) {
	for _, c := range []*strCol{v.village, v.entry, v.category, v.cp, v.sum, v.by, v.name, v.appr} {
		if c != nil {
			c.alloc(rows)
		}
	}
}

func (v *entryView) write(r *replay, chunk, at int, rows []int32) {
	for _, g := range v.gathered(&r.Lb) {
		w := g.col.writer(chunk, at)
		w.gather(g.src, rows, false)
	}
	w := v.name.writer(chunk, at)
	r.eachHandlerName(rows, w.addOpt)
}

// payView is cash_payments being built.
type payView struct {
	entryView
	dates                                 []arrow.Date32
	amt, before, recBefore, fromS, zuozhi []int64
}

func (p *payView) alloc(n int) {
	p.entryView.alloc(n)
	p.dates = make([]arrow.Date32, n)
	p.amt, p.before, p.recBefore, p.fromS, p.zuozhi = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
}

func (p *payView) write(r *replay, c *chunk) {
	rows := make([]int32, len(c.pays))
	ldates, lamounts := r.L.date.Date32Values(), r.L.amount.Int64Values()
	for k, ps := range c.pays {
		i := c.pLo + k
		rows[k], p.dates[i], p.amt[i] = ps.row, ldates[ps.row], lamounts[ps.row]
		p.before[i], p.recBefore[i], p.zuozhi[i] = ps.before, ps.recBefore, ps.zuozhi
		p.fromS[i] = p.amt[i] - ps.zuozhi
	}
	p.entryView.write(r, c.id, c.pLo, rows)
}

func (p *payView) table() *table.Table {
	n := len(p.amt)
	arrs := make([]arrow.Array, len(paymentsCols))
	arrs[cVillage] = p.village.array()
	arrs[cEntry] = p.entry.array()
	arrs[cDate] = date32Array(p.dates, nil)
	arrs[cPayCat] = p.category.array()
	arrs[cPayAmt] = int64Array(p.amt, nil)
	arrs[cPayCP] = p.cp.array()
	arrs[cPaySum] = p.sum.array()
	arrs[cPayBy] = p.by.array()
	arrs[cPayName] = p.name.array()
	arrs[cPayAppr] = p.appr.array()
	arrs[cPayBefore] = int64Array(p.before, nil)
	arrs[cPayRecBefore] = int64Array(p.recBefore, nil)
	arrs[cPayFromS] = int64Array(p.fromS, nil)
	arrs[cPayZuozhi] = int64Array(p.zuozhi, nil)
	return table.FromArrays(vPayments, paymentsCols, arrs, n)
}

// collView is cash_collections being built; banked_on and days_to_bank are
// null unless the collection was fully banked.
type collView struct {
	entryView
	dates, deadline, bankedOn                                  []arrow.Date32
	amt, byDeadline, unDeadline, banked, spent, unAsOf, daysTo []int64
	unbanked                                                   nullRows
}

func (v *collView) alloc(n int) {
	v.entryView.alloc(n)
	v.dates, v.deadline, v.bankedOn = make([]arrow.Date32, n), make([]arrow.Date32, n), make([]arrow.Date32, n)
	for _, s := range []*[]int64{&v.amt, &v.byDeadline, &v.unDeadline, &v.banked, &v.spent, &v.unAsOf, &v.daysTo} {
		*s = make([]int64, n)
	}
}

func (v *collView) write(r *replay, c *chunk) {
	rows := make([]int32, len(c.colls))
	ldates := r.L.date.Date32Values()
	for k := range c.colls {
		cs, i := &c.colls[k], c.cLo+k
		rows[k], v.dates[i], v.amt[i] = cs.row, ldates[cs.row], cs.amount
		v.deadline[i] = arrow.Date32(cs.deadline)
		v.byDeadline[i], v.unDeadline[i] = cs.byDeadline, cs.amount-cs.byDeadline
		v.banked[i], v.spent[i], v.unAsOf[i] = cs.banked, cs.spent, cs.amount-cs.banked
		if cs.fullyBanked {
			v.bankedOn[i] = arrow.Date32(cs.bankedOn)
			v.daysTo[i] = int64(cs.bankedOn - civil.Date(ldates[cs.row]))
		} else {
			v.unbanked[c.id] = append(v.unbanked[c.id], int32(i))
		}
	}
	v.entryView.write(r, c.id, c.cLo, rows)
}

func (v *collView) table() *table.Table {
	n := len(v.amt)
	arrs := make([]arrow.Array, len(collectionsCols))
	arrs[cVillage] = v.village.array()
	arrs[cEntry] = v.entry.array()
	arrs[cDate] = date32Array(v.dates, nil)
	arrs[cAmount] = int64Array(v.amt, nil)
	arrs[cCollCP] = v.cp.array()
	arrs[cCollSum] = v.sum.array()
	arrs[cCollBy] = v.by.array()
	arrs[cCollName] = v.name.array()
	arrs[cCollDeadline] = date32Array(v.deadline, nil)
	arrs[cCollByDeadline] = int64Array(v.byDeadline, nil)
	arrs[cCollUnDeadline] = int64Array(v.unDeadline, nil)
	arrs[cCollBanked] = int64Array(v.banked, nil)
	arrs[cCollSpent] = int64Array(v.spent, nil)
	arrs[cCollUnAsOf] = int64Array(v.unAsOf, nil)
	arrs[cCollBankedOn] = date32Array(v.bankedOn, v.unbanked)
	arrs[cCollDays] = int64Array(v.daysTo, v.unbanked)
	return table.FromArrays(vCollections, collectionsCols, arrs, n)
}
