package gen

import (
	"sort"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/money"
)

// Cash plantings run inside the journal simulation (buildLedger) on their
// start day. Each owns a window [start, end] with no baseline cash activity,
// and no baseline receipt is taken from 4 days before it, so the window
// opens with every receipt banked and the planting controls the cash box
// exactly. Every planting except the never-banked ones leaves the
// spendable pool as it found it and banks what it receives, so the clean
// baseline resumes unchanged. Never-banked plantings come last and stop all
// later cash receipts: a later deposit would otherwise be matched (oldest
// first) against the unbanked receipt and leave the later receipt unbanked.
//
// CASH-OVER-LIMIT is not predicted per planting: finishCash replays the
// final cash journal and records every run of day-end balances above the
// limit (the baseline never has one), so any planting that lifts the balance
// records its run whatever else happened in the village.
type cashPlanting struct {
	kind         string
	start, end   civil.Date
	stopReceipts bool
	run          func(v *village, d civil.Date)
}

var cashWindow = map[string]int{"CASH-ZUOZHI": 0, "CASH-LARGE": 0, "CASH-SPLIT": 0, "CASH-HANDLER": 1, "CASH-UNBANKED": 5, "CASH-OVER-LIMIT": 2, "CASH-UNBANKED-NEVER": 0, "MEITANGWAN": 0}

func (v *village) scheduleCashPlantings() []*cashPlanting {
	var ks []string
	for _, k := range cashKinds {
		if v.kind[k] && k != "CASH-UNBANKED-NEVER" {
			ks = append(ks, k)
		}
	}
	never := ""
	if v.kind["MEITANGWAN"] {
		never = "MEITANGWAN"
	} else if v.kind["CASH-UNBANKED-NEVER"] {
		never = "CASH-UNBANKED-NEVER"
	}
	if never != "" {
		ks = append(ks, never) // last: see the package comment above
	}
	if len(ks) == 0 {
		return nil
	}
	lo, hi := v.cfg.Start.AddDays(20), v.cfg.AsOf.AddDays(-45)
	slot := int(hi-lo) / len(ks)
	var ps []*cashPlanting
	for i, k := range ks {
		d := lo.AddDays(i*slot + v.r.IntN(max(1, slot/3)))
		if k == "MEITANGWAN" {
			if md := civil.MustParse("2024-10-12"); md >= lo && md <= hi && (i == 0 || md > ps[i-1].end.AddDays(5)) {
				d = md
			}
		}
		p := &cashPlanting{kind: k, start: d, end: d.AddDays(cashWindow[k]), stopReceipts: k == never}
		p.run = cashRunners[k]
		ps = append(ps, p)
	}
	return ps
}

var cashRunners = map[string]func(v *village, d civil.Date){
	// 坐支: income received and part of it spent on the spot with no
	// spendable cash left (the spendable float was banked first). Then cash
	// is withdrawn to make the receipt whole and the whole receipt is banked,
	// so the receipt is fully passed on however a checker matches receipts,
	// and the float is back. Only CASH-ZUOZHI fires: income is not a
	// collection, the expense is below 1,000 (no CASH-LARGE) and goes to a
	// one-off counterparty (no CASH-SPLIT).
	"CASH-ZUOZHI": func(v *village, d civil.Date) {
		st, cashier := &v.cashSim, v.cashierOn(d)
		float := st.S
		if float > 0 {
			v.deposit(d, float, cashier)
			st.S = 0
		}
		inc := v.fenRange(600, 900)
		v.single(d, true, true, inc, "income", "场镇摊位户", "收场地租金", cashier, -1)
		exp := v.fenRange(200, 500)
		e := v.single(d, true, false, exp, "expense", v.persons[v.r.IntN(len(v.persons))].name+"（临时工）", "支付临时用工工资", cashier, v.cadreOn("director", d))
		v.expectEntry("CASH-ZUOZHI", e)
		v.withdraw(d, exp+float, cashier) // st.S = exp + float
		v.deposit(d, inc, cashier)        // draws the 坐支-reduced receipt, then exp of spendable
		st.S -= exp
	},
	// A cash expense of 1,000 or more, paid from a same-day withdrawal.
	"CASH-LARGE": func(v *village, d civil.Date) {
		cashier := v.cashierOn(d)
		amt := money.Fen(1200+v.r.IntN(1800)) * 100
		v.withdraw(d, amt, cashier)
		e := v.single(d, true, false, amt, "expense", surnames[v.r.IntN(len(surnames))]+"记农家乐", "支付接待用餐费", cashier, v.cadreOn("director", d))
		v.cashSim.S -= amt
		v.expectEntry("CASH-LARGE", e)
	},
	// Three bank transfers under 5,000 to one supplier within 6 days, 5,100+
	// in total. Bank only: no cash rule can fire.
	"CASH-SPLIT": func(v *village, d civil.Date) {
		cp := surnames[v.r.IntN(len(surnames))] + "氏建材经营部"
		var first *entry
		for i, off := range []int{0, 2, 5} {
			e := v.single(d.AddDays(off), false, false, v.fenRange(1700, 2400), "expense", cp, "购村道维修材料", v.acct(d), v.cadreOn("director", d))
			if i == 0 {
				first = e
			}
		}
		v.expectEntry("CASH-SPLIT", first)
	},
	// A collection taken by a committee member, banked by the cashier the
	// next day: small, so the balance stays under the limit.
	"CASH-HANDLER": func(v *village, d civil.Date) {
		h := v.cadreOn("committee_member", d)
		e := v.single(d, true, true, v.fenRange(300, 900), "collection", "区医保局", "代收城乡居民医疗保险费", h, -1)
		v.expectEntry("CASH-HANDLER", e)
		v.deposit(d.AddDays(1), e.amount, v.cashierOn(d+1))
	},
	// A collection banked whole on day 5 (deadline day 3): high, not critical.
	// 1,500-2,000 on top of at most 2,500 spendable keeps the box under 5,000.
	"CASH-UNBANKED": func(v *village, d civil.Date) {
		e := v.single(d, true, true, v.fenRange(1500, 2000), "collection", "区社保局", "代收城乡居民养老保险费", v.cashierOn(d), -1)
		v.expectEntry("CASH-UNBANKED", e)
		v.deposit(d.AddDays(5), e.amount, v.cashierOn(d+5))
	},
	// A big collection banked on time (day 2) that still leaves more than
	// 5,000 in the box for two nights: one CASH-OVER-LIMIT run only.
	"CASH-OVER-LIMIT": func(v *village, d civil.Date) {
		amt := cashLimit - v.cashSim.S + v.fenRange(300, 1500)
		e := v.single(d, true, true, amt, "collection", "区医保局", "代收城乡居民医疗保险费", v.cashierOn(d), -1)
		v.deposit(d.AddDays(2), e.amount, v.cashierOn(d+2))
	},
	// A collection never banked: critical at as_of.
	"CASH-UNBANKED-NEVER": func(v *village, d civil.Date) {
		e := v.single(d, true, true, v.fenRange(1200, 2500), "collection", "区社保局", "代收城乡居民养老保险费", v.cashierOn(d), -1)
		v.expectEntry("CASH-UNBANKED", e)
	},
	// The 2018 Meitangwan case: the deputy director collects medical
	// insurance premiums in cash, 168,000.00 in four receipts two weeks
	// apart, and never banks or remits them. Each receipt: CASH-UNBANKED
	// (critical) and CASH-HANDLER; the box stays above 5,000 from the first
	// receipt to as_of: one CASH-OVER-LIMIT run (recorded by finishCash).
	"MEITANGWAN": func(v *village, d civil.Date) {
		h := v.cadreOn("deputy_director", d)
		for i, amt := range []money.Fen{5230000, 4180000, 3860000, 3530000} {
			e := v.single(d.AddDays(14*i), true, true, amt, "collection", "区医保局", "代收城乡居民医疗保险费", h, -1)
			v.expectEntry("CASH-UNBANKED", e)
			v.expectEntry("CASH-HANDLER", e)
		}
	},
}

// finishCash replays the final cash journal and records each run of days
// whose closing balance is above the limit, on the run's first day.
func (v *village) finishCash() {
	cash := make([]*entry, 0, len(v.ledger))
	for _, e := range v.ledger {
		if e.cash {
			cash = append(cash, e)
		}
	}
	sort.SliceStable(cash, func(i, j int) bool {
		if cash[i].date != cash[j].date {
			return cash[i].date < cash[j].date
		}
		return cash[i].seq < cash[j].seq
	})
	var bal money.Fen
	k := 0
	over := false
	for d := v.cfg.Start; d <= v.cfg.AsOf; d++ {
		for ; k < len(cash) && cash[k].date == d; k++ {
			if cash[k].in {
				bal += cash[k].amount
			} else {
				bal -= cash[k].amount
			}
		}
		if bal > cashLimit {
			if !over {
				v.expectSubj("CASH-OVER-LIMIT", "village-day:"+v.g.villageID+"/"+d.String())
			}
			over = true
		} else {
			over = false
		}
	}
}
