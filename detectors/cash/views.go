package cash

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/table"
)

// payState is a cash payment as the replay saw it; cash_payments is built
// from these after the replay, column by column.
type payState struct {
	row                       int32
	before, recBefore, zuozhi int64
}

// handlerNameCol is handler_name for the ledger rows: the handler's name
// from persons, null when unknown or when there is no handler.
func (r *replay) handlerNameCol(rows []int32) arrow.Array {
	L := r.L
	// One name lookup per row, none when the handler is the previous
	// row's (the usual case: a village's cashier handles most entries).
	names := make([]string, len(rows))
	bytes, lastWho, lastName := 0, "", ""
	for k, row := range rows {
		if who := str(L.handledBy, int(row)); k == 0 || who != lastWho {
			lastWho, lastName = who, r.names[who]
		}
		names[k] = lastName
		bytes += len(lastName)
	}
	c := newStrCol(len(rows), bytes)
	for _, name := range names {
		c.addOpt(name)
	}
	return c.array()
}

func (r *replay) buildPayments() *table.Table {
	L := r.L
	n := len(r.pays)
	rows := make([]int32, n)
	dates := make([]arrow.Date32, n)
	amt, before, recBefore, fromS, zuozhi := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	ldates, lamounts := L.date.Date32Values(), L.amount.Int64Values()
	for k, p := range r.pays {
		rows[k], dates[k], amt[k] = p.row, ldates[p.row], lamounts[p.row]
		before[k], recBefore[k], zuozhi[k] = p.before, p.recBefore, p.zuozhi
		fromS[k] = amt[k] - p.zuozhi
	}
	arrs := make([]arrow.Array, len(paymentsCols))
	arrs[cVillage] = gatherStr(L.village, rows, false)
	arrs[cEntry] = gatherStr(L.entry, rows, false)
	arrs[cDate] = date32Array(dates)
	arrs[cPayCat] = gatherStr(L.category, rows, false)
	arrs[cPayAmt] = int64Array(amt)
	arrs[cPayCP] = gatherStr(L.counterparty, rows, false)
	arrs[cPaySum] = gatherStr(L.summary, rows, false)
	arrs[cPayBy] = gatherStr(L.handledBy, rows, false)
	arrs[cPayName] = r.handlerNameCol(rows)
	arrs[cPayAppr] = gatherStr(L.approvedBy, rows, false)
	arrs[cPayBefore] = int64Array(before)
	arrs[cPayRecBefore] = int64Array(recBefore)
	arrs[cPayFromS] = int64Array(fromS)
	arrs[cPayZuozhi] = int64Array(zuozhi)
	return newView(vPayments, paymentsCols, arrs, n)
}

func (r *replay) buildCollections() *table.Table {
	L := r.L
	n := len(r.colls)
	rows := make([]int32, n)
	dates, deadline, bankedOn := make([]arrow.Date32, n), make([]arrow.Date32, n), make([]arrow.Date32, n)
	amt, byDeadline, unDeadline := make([]int64, n), make([]int64, n), make([]int64, n)
	banked, spent, unAsOf, days := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	fully := make([]byte, bitutil.BytesForBits(int64(n))) // banked_on and days_to_bank are null unless fully banked
	nulls := 0
	ldates := L.date.Date32Values()
	for k := range r.colls {
		c := &r.colls[k]
		rows[k], dates[k], amt[k] = c.row, ldates[c.row], c.amount
		deadline[k] = arrow.Date32(c.deadline)
		byDeadline[k], unDeadline[k] = c.byDeadline, c.amount-c.byDeadline
		banked[k], spent[k], unAsOf[k] = c.banked, c.spent, c.amount-c.banked
		if c.fullyBanked {
			bitutil.SetBit(fully, k)
			bankedOn[k] = arrow.Date32(c.bankedOn)
			days[k] = int64(c.bankedOn - civil.Date(ldates[c.row]))
		} else {
			nulls++
		}
	}
	arrs := make([]arrow.Array, len(collectionsCols))
	arrs[cVillage] = gatherStr(L.village, rows, false)
	arrs[cEntry] = gatherStr(L.entry, rows, false)
	arrs[cDate] = date32Array(dates)
	arrs[cAmount] = int64Array(amt)
	arrs[cCollCP] = gatherStr(L.counterparty, rows, false)
	arrs[cCollSum] = gatherStr(L.summary, rows, false)
	arrs[cCollBy] = gatherStr(L.handledBy, rows, false)
	arrs[cCollName] = r.handlerNameCol(rows)
	arrs[cCollDeadline] = date32Array(deadline)
	arrs[cCollByDeadline] = int64Array(byDeadline)
	arrs[cCollUnDeadline] = int64Array(unDeadline)
	arrs[cCollBanked] = int64Array(banked)
	arrs[cCollSpent] = int64Array(spent)
	arrs[cCollUnAsOf] = int64Array(unAsOf)
	arrs[cCollBankedOn] = nullable(date32Array(bankedOn), fully, nulls)
	arrs[cCollDays] = nullable(int64Array(days), fully, nulls)
	return newView(vCollections, collectionsCols, arrs, n)
}
