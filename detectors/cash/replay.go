package cash

import (
	"github.com/neijiang/xiaowei/internal/civil"
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

// replayVillage replays one village's cash journal (rows in date order,
// journal order within a day) and appends its rows to the views.
func (r *replay) replayVillage(rows []int32) {
	L := r.L
	first := int(rows[0])
	r.village = L.village.Value(first)
	r.vs = r.sets[r.vid[r.village]]
	r.spend, r.rsum, r.head = 0, 0, 0
	r.q = r.q[:0]
	r.over, r.neg = run{}, run{}

	if categoryOf(L.category.Value(first)) != catOpening || L.direction.Value(first) != "in" {
		r.issue("no_opening", first, civil.Date(L.date.Value(first)), L.amount.Value(first), 0, false)
	}
	dates, amounts := L.date.Date32Values(), L.amount.Int64Values()
	day := civil.Date(dates[first])
	for _, row := range rows {
		i := int(row)
		d, amt := civil.Date(dates[i]), amounts[i]
		if d != day {
			r.closeDay(day, d)
			day = d
		}
		cat := categoryOf(L.category.Value(i))
		in := L.direction.Value(i) == "in"
		if in {
			switch cat {
			case catCollection, catIncome:
				ci := int32(-1)
				if cat == catCollection {
					ci = int32(len(r.colls))
					r.colls = append(r.colls, collState{row: row, amount: amt, deadline: d + civil.Date(r.vs.deadline), bankedOn: -1})
				}
				r.q = append(r.q, receipt{rem: amt, coll: ci})
				r.rsum += amt
			default:
				r.spend += amt
			}
			continue
		}
		switch cat {
		case catDeposit, catRemit:
			if onHand := r.spend + r.rsum; amt > onHand {
				r.issue("deposit_no_cash", i, d, amt-max(onHand, 0), onHand, true)
			}
			took := r.draw(amt, d, true)
			r.spend -= amt - took
		default: // expense, subsidy_payout and any other outflow
			before, recBefore := r.spend+r.rsum, r.rsum
			fromS := min(amt, max(r.spend, 0))
			fromR := r.draw(amt-fromS, d, false)
			r.spend -= amt - fromR
			if (cat == catExpense || cat == catPayout) && r.keepPay {
				r.pays = append(r.pays, payState{row: row, before: before, recBefore: recBefore, zuozhi: fromR})
			}
		}
	}
	r.closeDay(day, 0)
}

// draw takes up to need from the receipts queue, oldest first. banked says
// whether the money goes to the bank or the collecting body (a deposit or
// remit) or is spent.
func (r *replay) draw(need int64, d civil.Date, banked bool) int64 {
	took := int64(0)
	for need > 0 && r.head < len(r.q) {
		rc := &r.q[r.head]
		t := min(need, rc.rem)
		rc.rem -= t
		need -= t
		took += t
		if rc.coll >= 0 {
			c := &r.colls[rc.coll]
			if banked {
				c.banked += t
				if d <= c.deadline {
					c.byDeadline += t
				}
				if rc.rem == 0 && c.spent == 0 {
					c.bankedOn, c.fullyBanked = d, true
				}
			} else {
				c.spent += t
			}
		}
		if rc.rem == 0 {
			r.head++
		}
	}
	r.rsum -= took
	if r.head == len(r.q) { // queue empty: reuse its storage
		r.q, r.head = r.q[:0], 0
	}
	return took
}

// closeDay records the closing balance of day, which holds on every day
// until next-1 (next = 0: until as_of, the end of the journal).
func (r *replay) closeDay(day, next civil.Date) {
	bal := r.spend + r.rsum
	last := next - 1
	if next == 0 {
		last = max(r.asOf, day)
	}
	// over the limit
	if bal > r.vs.limit {
		if !r.over.open {
			r.over = run{open: true, first: day, peakDay: day, firstBal: bal, peak: bal}
		} else if bal > r.over.peak {
			r.over.peak, r.over.peakDay = bal, day
		}
	} else if r.over.open {
		r.emitOver(day-1, false)
	}
	if next == 0 && r.over.open {
		r.emitOver(last, true)
	}
	// below zero
	if bal < 0 {
		if !r.neg.open {
			r.neg = run{open: true, first: day, trough: bal}
		} else if bal < r.neg.trough {
			r.neg.trough = bal
		}
	} else if r.neg.open {
		r.emitNeg(day - 1)
	}
	if next == 0 && r.neg.open {
		r.emitNeg(last)
	}
}

func (r *replay) emitOver(last civil.Date, ongoing bool) {
	r.over.open = false
	b := r.days.b
	if b == nil {
		return
	}
	b.SetStr(cVillage, r.village)
	b.SetDate(cDayFirst, r.over.first)
	b.SetDate(cDayLast, last)
	b.SetInt(cDayDays, int64(last-r.over.first+1))
	b.SetInt(cDayPeak, r.over.peak)
	b.SetDate(cDayPeakDay, r.over.peakDay)
	b.SetInt(cDayFirstBal, r.over.firstBal)
	b.SetInt(cDayLimit, r.vs.limit)
	b.SetBool(cDayOngoing, ongoing)
	b.Next()
}

func (r *replay) emitNeg(last civil.Date) {
	r.neg.open = false
	b := r.iss.b
	if b == nil {
		return
	}
	b.SetStr(cVillage, r.village)
	b.SetStr(cIssKind, "negative")
	b.SetDate(cIssDate, r.neg.first)
	b.SetInt(cIssAmt, -r.neg.trough)
	b.SetInt(cIssBal, r.neg.trough)
	b.SetInt(cIssDays, int64(last-r.neg.first+1))
	b.SetDate(cIssLast, last)
	b.Next()
}

// issue appends a data-quality row about ledger row i.
func (r *replay) issue(kind string, i int, d civil.Date, amount, balance int64, withBalance bool) {
	b := r.iss.b
	if b == nil {
		return
	}
	b.SetStr(cVillage, r.village)
	b.SetStr(cIssKind, kind)
	b.SetDate(cIssDate, d)
	r.iss.str(cIssEntry, r.L.entry, i)
	r.iss.str(cIssCat, r.L.category, i)
	b.SetInt(cIssAmt, amount)
	if withBalance {
		b.SetInt(cIssBal, balance)
	}
	b.Next()
}

// categoryCN names ledger categories in Chinese for messages.
var categoryCN = [...]string{catOther: "其他", catOpening: "期初余额", catCollection: "代收款", catRemit: "上缴款",
	catDeposit: "现金存入银行", catWithdrawal: "提取现金", catIncome: "收入", catExpense: "支出", catPayout: "补贴发放", catTransfer: "转账"}
