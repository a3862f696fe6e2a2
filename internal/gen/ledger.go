package gen

import (
	"sort"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/money"
)

// The clean journal keeps two cash pools as domain.md's CASH-ZUOZHI does:
// spendable cash (opening, withdrawals) and receipts (collections, income).
// Receipts are always deposited or remitted whole, oldest first, within 3
// days; spending only ever draws on spendable cash, withdrawn beforehand.
type cashState struct {
	S, R    money.Fen // spendable, receipts
	pending []pendingReceipt
	// recent sub-tier expenses per counterparty, for CASH-SPLIT avoidance
	recent map[string][]dated
}

type pendingReceipt struct {
	e   *entry
	due civil.Date
}

type dated struct {
	d civil.Date
	a money.Fen
}

const (
	cashLimit   = 500000 // 5,000 yuan: keep day-end cash at or below
	splitTier   = 500000
	largeCash   = 100000
	safeDayEnd  = 490000
	maxSpendAmt = 80000
)

func (v *village) newEntry(d civil.Date, cash, in bool, amt money.Fen, cat, cp, sum string, handler, approver int32) *entry {
	e := &entry{date: d, seq: int32(len(v.ledger)), cash: cash, in: in, amount: amt, cat: cat, cp: cp, sum: sum, handler: handler, approver: approver}
	v.ledger = append(v.ledger, e)
	return e
}

func (v *village) voucher(d civil.Date) string {
	v.nextVch++
	y, m, _ := d.YMD()
	b := make([]byte, 0, 14)
	b = append(b, "PZ"...)
	b = pad(b, y, 4)
	b = pad(b, int(m), 2)
	b = append(b, '-')
	b = pad(b, v.nextVch, 5)
	return string(b)
}

// deposit moves cash to the bank under one voucher (cash out + bank in).
func (v *village) deposit(d civil.Date, amt money.Fen, handler int32) *entry {
	vch := v.voucher(d)
	e := v.newEntry(d, true, false, amt, "deposit", "开户银行", "现金存入银行", handler, -1)
	e.voucher = vch
	b := v.newEntry(d, false, true, amt, "deposit", "村现金", "现金存入银行", v.acct(d), -1)
	b.voucher = vch
	return e
}

// withdraw moves money from the bank to the cash box under one voucher.
func (v *village) withdraw(d civil.Date, amt money.Fen, handler int32) {
	vch := v.voucher(d)
	e := v.newEntry(d, false, false, amt, "withdrawal", "村现金", "提取备用金", v.acct(d), v.cadreOn("director", d))
	e.voucher = vch
	c := v.newEntry(d, true, true, amt, "withdrawal", "开户银行", "提取备用金", handler, v.cadreOn("director", d))
	c.voucher = vch
	v.cashSim.S += amt
}

func (v *village) acct(d civil.Date) int32 {
	if p := v.cadreOn("accountant", d); p >= 0 {
		return p
	}
	return v.cashierOn(d)
}

func (v *village) single(d civil.Date, cash, in bool, amt money.Fen, cat, cp, sum string, handler, approver int32) *entry {
	e := v.newEntry(d, cash, in, amt, cat, cp, sum, handler, approver)
	e.voucher = v.voucher(d)
	return e
}

var collections = []struct{ cp, sum string }{
	{"区医保局", "代收城乡居民医疗保险费"}, {"区社保局", "代收城乡居民养老保险费"}, {"镇自来水厂", "代收农村供水水费"}, {"区医保局", "代收城乡居民医疗保险费（补缴）"},
}
var cashIncomes = []struct{ cp, sum string }{
	{"鱼塘承包户", "收鱼塘承包费"}, {"场镇摊位户", "收摊位租金"}, {"废品收购站", "变卖废旧物资收入"}, {"林地承包户", "收林地承包费"},
}
var cashExpenses = []struct{ cp, sum string }{
	{"场镇文具店", "购办公用品"}, {"村民误工", "支付误工补贴"}, {"场镇超市", "购慰问品"}, {"保洁员", "支付环境卫生清扫费"},
	{"场镇五金店", "购维修材料"}, {"镇邮政所", "报刊邮寄费"}, {"场镇打印店", "资料打印费"}, {"村民小组", "组务会议误餐费"},
	{"场镇电器店", "购照明灯具"}, {"镇卫生院", "协助体检交通费"}, {"场镇农资店", "购消毒药品"}, {"电信营业厅", "宽带话费"},
}
var bankIncomes = []struct{ cp, sum string }{
	{"镇财政所", "拨付村级组织运转经费"}, {"区财政局", "拨付村干部报酬补助"}, {"村股份经济合作社", "集体经济项目收益"},
	{"区农业农村局", "拨付项目补助资金"}, {"镇财政所", "拨付公共服务运行维护经费"},
}
var bankExpenses = []struct{ cp, sum string }{
	{"内江市兴农建筑劳务有限公司", "支付道路维修工程款"}, {"市中区洁美环卫服务部", "支付环卫服务费"}, {"国网内江供电公司", "支付村委会电费"},
	{"内江市蜀川水利工程公司", "支付山坪塘整治工程款"}, {"市中区绿源园林公司", "支付绿化养护费"}, {"内江市安居建材有限公司", "购村活动室修缮材料"},
}

// planCash schedules the cash plantings (plant_cash.go) before the journal is built.
func (v *village) planCash() {
	v.cashSim.recent = map[string][]dated{}
	v.cashPlan = v.scheduleCashPlantings()
}

func (v *village) quietCash(d civil.Date) bool {
	for _, p := range v.cashPlan {
		if d >= p.start && d <= p.end {
			return true
		}
	}
	return false
}

// receiptsAllowed: a receipt on d must be banked before any planting window
// starts, so the window begins with no pending receipts.
func (v *village) receiptsAllowed(d civil.Date) bool {
	for _, p := range v.cashPlan {
		if p.stopReceipts && d >= p.start-4 {
			return false
		}
		if d >= p.start-4 && d <= p.end {
			return false
		}
	}
	return true
}

func (v *village) fenRange(lo, hi int) money.Fen { // yuan, inclusive, random fen
	return money.Fen(lo*100 + v.r.IntN((hi-lo)*100+1))
}

// okSplit reports whether paying amt to cp on d keeps every 8-day window of
// that counterparty's sub-tier expenses below the tier.
func (v *village) okSplit(cp string, d civil.Date, amt money.Fen) bool {
	if amt >= splitTier {
		return true
	}
	sum := amt
	for _, x := range v.cashSim.recent[cp] {
		if x.d >= d-7 {
			sum += x.a
		}
	}
	return sum < splitTier
}

func (v *village) noteSplit(cp string, d civil.Date, amt money.Fen) {
	if amt >= splitTier {
		return
	}
	l := v.cashSim.recent[cp]
	k := 0
	for _, x := range l {
		if x.d >= d-7 {
			l[k] = x
			k++
		}
	}
	v.cashSim.recent[cp] = append(l[:k], dated{d, amt})
}

// buildLedger writes the village's journal day by day: the cash plans that
// start that day, the day's drawn entries, then (unless the cash book is
// quiet) the banking of due receipts and the cash spending. The order of a
// day's entries is the journal's, and the village's random stream is drawn
// in it.
func (v *village) buildLedger() {
	cfg := v.cfg
	st := &v.cashSim
	start := cfg.Start
	st.S = v.fenRange(1500, 2500)
	op := v.single(start, true, true, st.S, "opening", "", "上年结转现金", v.cashierOn(start), -1)
	_ = op
	v.single(start, false, true, v.fenRange(300000, 900000), "opening", "", "上年结转银行存款", v.acct(start), -1)

	perDay := float64(cfg.LedgerPerYear) / 365 / 1.85
	plans := 0
	for d := start; d <= cfg.AsOf; d++ {
		for plans < len(v.cashPlan) && v.cashPlan[plans].start == d {
			v.cashPlan[plans].run(v, d)
			plans++
		}
		n := int(perDay)
		if v.r.Float64() < perDay-float64(n) {
			n++
		}
		quiet := v.quietCash(d)
		cashier := v.cashierOn(d)
		director := v.cadreOn("director", d)
		spend := v.dayEntries(d, n, quiet, cashier, director)
		if quiet {
			continue
		}
		// Bank the receipts that are due, oldest first, each whole.
		for len(st.pending) > 0 && st.pending[0].due <= d {
			v.bankReceipt(d, cashier)
		}
		v.daySpend(d, spend, cashier, director)
		for st.S+st.R > safeDayEnd && len(st.pending) > 0 {
			v.bankReceipt(d, cashier)
		}
	}
}

// dayEntries draws day d's n entries: bank entries and cash receipts are
// written at once (receipts wait to be banked), cash spending is returned
// (its draws) to be written after the day's banking. A quiet cash book
// takes no cash.
func (v *village) dayEntries(d civil.Date, n int, quiet bool, cashier, director int32) []int {
	st := &v.cashSim
	var spend []int
	for k := 0; k < n; k++ {
		x := v.r.IntN(100)
		switch {
		case x < 15: // bank income
			s := bankIncomes[v.r.IntN(len(bankIncomes))]
			v.single(d, false, true, v.fenRange(5000, 120000), "income", s.cp, s.sum, v.acct(d), director)
		case x < 33: // bank expense, always at or above the tier
			s := bankExpenses[v.r.IntN(len(bankExpenses))]
			v.single(d, false, false, v.fenRange(5000, 60000), "expense", s.cp, s.sum, v.acct(d), director)
		case x < 36:
			v.single(d, false, false, v.fenRange(10000, 50000), "transfer", "村股份经济合作社", "划转集体经济发展资金", v.acct(d), director)
		case x < 62: // cash collection
			if quiet || !v.receiptsAllowed(d) {
				continue
			}
			s := collections[v.r.IntN(len(collections))]
			e := v.single(d, true, true, v.fenRange(200, 1800), "collection", s.cp, s.sum, cashier, -1)
			st.R += e.amount
			st.pending = append(st.pending, pendingReceipt{e: e, due: d.AddDays(v.r.IntN(4))})
		case x < 72: // cash income
			if quiet || !v.receiptsAllowed(d) {
				continue
			}
			s := cashIncomes[v.r.IntN(len(cashIncomes))]
			e := v.single(d, true, true, v.fenRange(300, 1500), "income", s.cp, s.sum, cashier, -1)
			st.R += e.amount
			st.pending = append(st.pending, pendingReceipt{e: e, due: d.AddDays(v.r.IntN(4))})
		default:
			if !quiet {
				spend = append(spend, x)
			}
		}
	}
	return spend
}

// daySpend writes day d's cash spending: a payout (draw 95 and up) or an
// expense whose counterparty is not split that day (five tries, else none),
// withdrawing cash first when the safe holds too little.
func (v *village) daySpend(d civil.Date, spend []int, cashier, director int32) {
	st := &v.cashSim
	for _, x := range spend {
		amt := v.fenRange(50, maxSpendAmt/100)
		cat := "expense"
		s := cashExpenses[v.r.IntN(len(cashExpenses))]
		cp, sum := s.cp, s.sum
		if x >= 95 {
			cat, cp, sum = "subsidy_payout", "困难群众", "发放临时救助金"
		} else {
			ok := false
			for try := 0; try < 5 && !ok; try++ {
				ok = v.okSplit(cp, d, amt)
				if !ok {
					s = cashExpenses[v.r.IntN(len(cashExpenses))]
					cp, sum = s.cp, s.sum
				}
			}
			if !ok {
				continue
			}
			v.noteSplit(cp, d, amt)
		}
		if st.S < amt {
			w := (amt - st.S + v.fenRange(500, 1500) + 9999) / 10000 * 10000
			v.withdraw(d, w, cashier)
		}
		v.single(d, true, false, amt, cat, cp, sum, cashier, director)
		st.S -= amt
	}
}

// bankReceipt deposits (or for collections sometimes remits) the oldest
// pending receipt whole.
func (v *village) bankReceipt(d civil.Date, cashier int32) {
	st := &v.cashSim
	p := st.pending[0]
	st.pending = st.pending[1:]
	if p.e.cat == "collection" && v.r.IntN(3) == 0 {
		v.single(d, true, false, p.e.amount, "remit", p.e.cp, "上缴"+p.e.sum[len("代收"):], cashier, -1)
	} else {
		v.deposit(d, p.e.amount, cashier)
	}
	st.R -= p.e.amount
}

// numberLedger orders the journal by date (creation order within a day) and
// numbers it, so file order, id order and journal order agree.
func (v *village) numberLedger() {
	sort.SliceStable(v.ledger, func(i, j int) bool {
		a, b := v.ledger[i], v.ledger[j]
		if a.date != b.date {
			return a.date < b.date
		}
		return a.seq < b.seq
	})
	for i, e := range v.ledger {
		b := make([]byte, 0, 20)
		b = append(b, 'L')
		b = append(b, v.g.villageID...)
		b = pad(b, i+1, 6)
		e.id = string(b)
	}
}
