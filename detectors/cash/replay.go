package cash

import (
	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/table"
)

// Column positions, resolved once against the declarations.
var (
	cVillage, cEntry, cDate, cAmount = 0, 1, 2, 3 // same positions in collections, payments, handlers

	cCollCP, cCollSum, cCollBy, cCollName = colIdx(collectionsCols, "counterparty"), colIdx(collectionsCols, "summary"), colIdx(collectionsCols, "handled_by"), colIdx(collectionsCols, "handler_name")
	cCollDeadline, cCollByDeadline        = colIdx(collectionsCols, "deadline"), colIdx(collectionsCols, "banked_by_deadline")
	cCollUnDeadline, cCollBanked          = colIdx(collectionsCols, "unbanked_at_deadline"), colIdx(collectionsCols, "banked")
	cCollSpent, cCollUnAsOf               = colIdx(collectionsCols, "spent"), colIdx(collectionsCols, "unbanked_at_as_of")
	cCollBankedOn, cCollDays              = colIdx(collectionsCols, "banked_on"), colIdx(collectionsCols, "days_to_bank")

	cDayFirst, cDayLast, cDayDays = colIdx(daysCols, "first_day"), colIdx(daysCols, "last_day"), colIdx(daysCols, "days")
	cDayPeak, cDayPeakDay         = colIdx(daysCols, "peak"), colIdx(daysCols, "peak_day")
	cDayFirstBal, cDayLimit       = colIdx(daysCols, "first_balance"), colIdx(daysCols, "limit")
	cDayOngoing                   = colIdx(daysCols, "ongoing")

	cPayCat, cPayAmt, cPayCP, cPaySum = colIdx(paymentsCols, "category"), colIdx(paymentsCols, "amount"), colIdx(paymentsCols, "counterparty"), colIdx(paymentsCols, "summary")
	cPayBy, cPayName, cPayAppr        = colIdx(paymentsCols, "handled_by"), colIdx(paymentsCols, "handler_name"), colIdx(paymentsCols, "approved_by")
	cPayBefore, cPayRecBefore         = colIdx(paymentsCols, "cash_before"), colIdx(paymentsCols, "receipts_before")
	cPayFromS, cPayZuozhi             = colIdx(paymentsCols, "from_spendable"), colIdx(paymentsCols, "zuozhi")

	cHandDir, cHandCat, cHandAmt     = colIdx(handlersCols, "direction"), colIdx(handlersCols, "category"), colIdx(handlersCols, "amount")
	cHandCatCN                       = colIdx(handlersCols, "category_cn")
	cHandBy, cHandName               = colIdx(handlersCols, "handled_by"), colIdx(handlersCols, "handler_name")
	cHandRoles, cHandCN, cHandEntitl = colIdx(handlersCols, "roles"), colIdx(handlersCols, "roles_cn"), colIdx(handlersCols, "entitled")

	cIssKind, cIssDate, cIssEntry = colIdx(issuesCols, "kind"), colIdx(issuesCols, "date"), colIdx(issuesCols, "entry_id")
	cIssCat, cIssAmt, cIssBal     = colIdx(issuesCols, "category"), colIdx(issuesCols, "amount"), colIdx(issuesCols, "balance")
	cIssDays, cIssLast            = colIdx(issuesCols, "days"), colIdx(issuesCols, "last_day")
)

func init() {
	// The shared positions above are part of the declarations.
	for _, cols := range [][]string{
		{collectionsCols[0].Name, collectionsCols[1].Name, collectionsCols[2].Name, collectionsCols[3].Name},
		{paymentsCols[0].Name, paymentsCols[1].Name, paymentsCols[2].Name},
		{handlersCols[0].Name, handlersCols[1].Name, handlersCols[2].Name},
	} {
		for k, want := range []string{"village_id", "entry_id", "date", "amount"}[:len(cols)] {
			if cols[k] != want {
				panic("cash: view column order changed: " + cols[k])
			}
		}
	}
}

// box is a chunk's cash box while it replays one village.
type box struct {
	village string
	vs      vset
	spend   int64 // spendable cash (may go negative: data problem)
	rsum    int64 // receipts on hand
	q       []receipt
	head    int
	over    run
	neg     run
}

// replayVillage replays one village's cash journal (rows in date order,
// journal order within a day) and keeps its rows of the views in c.
func (r *replay) replayVillage(c *chunk, rows []int32) {
	L := r.L
	first := int(rows[0])
	c.village = L.village.Value(first)
	c.vs = r.sets[r.vid[c.village]]
	c.spend, c.rsum, c.head = 0, 0, 0
	c.q = c.q[:0]
	c.over, c.neg = run{}, run{}

	if r.kinds[first] != kind(catOpening)|kindIn {
		c.issue(issueRow{kind: "no_opening", row: int32(first), date: civil.Date(L.date.Value(first)), amount: L.amount.Value(first)})
	}
	dates, amounts := L.date.Date32Values(), L.amount.Int64Values()
	day := civil.Date(dates[first])
	for _, row := range rows {
		i := int(row)
		d, amt := civil.Date(dates[i]), amounts[i]
		if d != day {
			r.closeDay(c, day, d)
			day = d
		}
		k := r.kinds[i]
		cat := k.category()
		if k&kindIn != 0 {
			switch cat {
			case catCollection, catIncome:
				ci := int32(-1)
				if cat == catCollection {
					ci = int32(len(c.colls))
					c.colls = append(c.colls, collState{row: row, amount: amt, deadline: d + civil.Date(c.vs.deadline), bankedOn: -1})
				}
				c.q = append(c.q, receipt{rem: amt, coll: ci})
				c.rsum += amt
			default:
				c.spend += amt
			}
			continue
		}
		switch cat {
		case catDeposit, catRemit:
			if onHand := c.spend + c.rsum; amt > onHand {
				c.issue(issueRow{kind: "deposit_no_cash", row: row, date: d, amount: amt - max(onHand, 0), balance: onHand, withBalance: true})
			}
			took := c.draw(amt, d, true)
			c.spend -= amt - took
		default: // expense, subsidy_payout and any other outflow
			before, recBefore := c.spend+c.rsum, c.rsum
			fromS := min(amt, max(c.spend, 0))
			fromR := c.draw(amt-fromS, d, false)
			c.spend -= amt - fromR
			if (cat == catExpense || cat == catPayout) && r.want[vPayments] {
				c.pays = append(c.pays, payState{row: row, before: before, recBefore: recBefore, zuozhi: fromR})
			}
		}
	}
	r.closeDay(c, day, 0)
}

// draw takes up to need from the receipts queue, oldest first. banked says
// whether the money goes to the bank or the collecting body (a deposit or
// remit) or is spent.
func (c *chunk) draw(need int64, d civil.Date, banked bool) int64 {
	took := int64(0)
	for need > 0 && c.head < len(c.q) {
		rc := &c.q[c.head]
		t := min(need, rc.rem)
		rc.rem -= t
		need -= t
		took += t
		if rc.coll >= 0 {
			cs := &c.colls[rc.coll]
			if banked {
				cs.banked += t
				if d <= cs.deadline {
					cs.byDeadline += t
				}
				if rc.rem == 0 && cs.spent == 0 {
					cs.bankedOn, cs.fullyBanked = d, true
				}
			} else {
				cs.spent += t
			}
		}
		if rc.rem == 0 {
			c.head++
		}
	}
	c.rsum -= took
	if c.head == len(c.q) { // queue empty: reuse its storage
		c.q, c.head = c.q[:0], 0
	}
	return took
}

// closeDay records the closing balance of day, which holds on every day
// until next-1 (next = 0: until as_of, the end of the journal).
func (r *replay) closeDay(c *chunk, day, next civil.Date) {
	bal := c.spend + c.rsum
	last := next - 1
	if next == 0 {
		last = max(r.asOf, day)
	}
	// over the limit
	if bal > c.vs.limit {
		if !c.over.open {
			c.over = run{open: true, first: day, peakDay: day, firstBal: bal, peak: bal}
		} else if bal > c.over.peak {
			c.over.peak, c.over.peakDay = bal, day
		}
	} else if c.over.open {
		c.emitOver(day-1, false)
	}
	if next == 0 && c.over.open {
		c.emitOver(last, true)
	}
	// below zero
	if bal < 0 {
		if !c.neg.open {
			c.neg = run{open: true, first: day, trough: bal}
		} else if bal < c.neg.trough {
			c.neg.trough = bal
		}
	} else if c.neg.open {
		c.emitNeg(day - 1)
	}
	if next == 0 && c.neg.open {
		c.emitNeg(last)
	}
}

// dayRow is a cash_days row.
type dayRow struct {
	village string
	over    run
	last    civil.Date
	limit   int64
	ongoing bool
}

func (c *chunk) emitOver(last civil.Date, ongoing bool) {
	c.over.open = false
	c.days = append(c.days, dayRow{village: c.village, over: c.over, last: last, limit: c.vs.limit, ongoing: ongoing})
}

func (c *chunk) emitNeg(last civil.Date) {
	c.neg.open = false
	c.issue(issueRow{kind: "negative", row: -1, date: c.neg.first, amount: -c.neg.trough, balance: c.neg.trough,
		withBalance: true, days: int64(last - c.neg.first + 1), last: last})
}

// issueRow is a cash_issues row: about ledger row row (-1: none); days
// and last are a negative run's.
type issueRow struct {
	village         string
	kind            string
	row             int32
	date, last      civil.Date
	amount, balance int64
	withBalance     bool
	days            int64
}

func (c *chunk) issue(is issueRow) {
	is.village = c.village
	c.issues = append(c.issues, is)
}

func writeDay(b *table.Builder, d dayRow) {
	b.SetStr(cVillage, d.village)
	b.SetDate(cDayFirst, d.over.first)
	b.SetDate(cDayLast, d.last)
	b.SetInt(cDayDays, int64(d.last-d.over.first+1))
	b.SetInt(cDayPeak, d.over.peak)
	b.SetDate(cDayPeakDay, d.over.peakDay)
	b.SetInt(cDayFirstBal, d.over.firstBal)
	b.SetInt(cDayLimit, d.limit)
	b.SetBool(cDayOngoing, d.ongoing)
	b.Next()
}

func (r *replay) writeIssue(o out, is issueRow) {
	b := o.b
	b.SetStr(cVillage, is.village)
	b.SetStr(cIssKind, is.kind)
	b.SetDate(cIssDate, is.date)
	if is.row >= 0 {
		o.str(cIssEntry, r.L.entry, int(is.row))
		o.str(cIssCat, r.L.category, int(is.row))
	}
	b.SetInt(cIssAmt, is.amount)
	if is.withBalance {
		b.SetInt(cIssBal, is.balance)
	}
	if is.kind == "negative" {
		b.SetInt(cIssDays, is.days)
		b.SetDate(cIssLast, is.last)
	}
	b.Next()
}

// categoryCN names ledger categories in Chinese for messages.
var categoryCN = [...]string{catOther: "其他", catOpening: "期初余额", catCollection: "代收款", catRemit: "上缴款",
	catDeposit: "现金存入银行", catWithdrawal: "提取现金", catIncome: "收入", catExpense: "支出", catPayout: "补贴发放", catTransfer: "转账"}
