// Package cash derives the views of the cash-custody family (现金管理): it
// replays each village's cash journal once, in date order (entries of one
// day in the order the journal lists them), and records what the rules in
// rules/cash.yaml decide on.
//
// The cash box is two pools:
//
//   - spendable cash: `opening` and `withdrawal` (and any other cash `in`
//     that is not a receipt, e.g. a `transfer`);
//   - receipts: cash `collection` and `income`, kept as one queue in the
//     order they were received; they must be banked or passed on.
//
// Outflows draw on the pools as domain.md says:
//
//   - `deposit` and `remit` draw on receipts first, oldest first, then on
//     spendable cash. The part drawn from a collection is what "passes it
//     on" for CASH-UNBANKED; a deposit that carries income and collections
//     together is split over the queue in receipt order, so an older income
//     receipt is matched before a younger collection (one queue, one rule
//     for both CASH-UNBANKED and CASH-ZUOZHI);
//   - `expense` and `subsidy_payout` draw on spendable cash first; what they
//     draw from receipts (oldest first) is 坐支. A collection consumed that
//     way is never banked: it stays unmatched;
//   - any other cash `out` (e.g. `transfer`) draws like a payment but is not
//     a 坐支 candidate; receipts it consumes stay unmatched as well.
//
// When an outflow exceeds the cash on hand, spendable cash goes negative:
// that is a data-quality row (cash_issues), never an error.
package cash

import (
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/table"
)

type detector struct{}

func init() { engine.Register(detector{}) }

func (detector) Name() string { return "cash" }

// Setting names and defaults (domain.md, 现金管理).
const (
	setLimit    = "limit"
	setDeadline = "deadline_days"
	setTier     = "split_tier"
	setWindow   = "split_window_days"
	setEntitled = "entitled_roles"
)

func (detector) Settings() []engine.SettingSpec {
	return []engine.SettingSpec{
		{Name: setLimit, Default: int64(5000), Doc: "cash-on-hand limit, yuan: day-end balances above it form the runs of cash_days (local village rules; usually 5,000)"},
		{Name: setDeadline, Default: int64(3), Doc: "days within which a cash collection must be banked or remitted; day N included (local rule: handed in within 3 days)"},
		{Name: setTier, Default: int64(5000), Doc: "approval tier, yuan: expense payments below it are grouped per counterparty for split_groups"},
		{Name: setWindow, Default: int64(7), Doc: "a split group is a payment and every later payment to the same counterparty within this many days (day N included)"},
		{Name: setEntitled, Default: []string{"cashier", "accountant"}, Doc: "cadre roles entitled to handle cash receipts and deposits (handlers.entitled)"},
	}
}

// View names.
const (
	vCollections = "cash_collections"
	vDays        = "cash_days"
	vPayments    = "cash_payments"
	vSplits      = "split_groups"
	vHandlers    = "cash_handlers"
	vIssues      = "cash_issues"
)

var (
	collectionsCols = []table.Col{
		{Name: "village_id", Kind: contract.ID},
		{Name: "entry_id", Kind: contract.ID, Doc: "the cash collection receipt"},
		{Name: "date", Kind: contract.Date, Doc: "day received"},
		{Name: "amount", Kind: contract.Money, Doc: "amount received"},
		{Name: "counterparty", Kind: contract.Text, Doc: "on whose behalf it was collected"},
		{Name: "summary", Kind: contract.Text},
		{Name: "handled_by", Kind: contract.ID, Doc: "who took the cash"},
		{Name: "handler_name", Kind: contract.Text, Doc: "handler's name from persons (null when unknown)"},
		{Name: "deadline", Kind: contract.Date, Doc: "date + deadline_days: the last day it may be banked"},
		{Name: "banked_by_deadline", Kind: contract.Money, Doc: "part matched by cash deposit/remit on or before the deadline"},
		{Name: "unbanked_at_deadline", Kind: contract.Money, Doc: "amount - banked_by_deadline"},
		{Name: "banked", Kind: contract.Money, Doc: "part matched by cash deposit/remit up to as_of"},
		{Name: "spent", Kind: contract.Money, Doc: "part paid out directly by cash payments (坐支) instead of being banked"},
		{Name: "unbanked_at_as_of", Kind: contract.Money, Doc: "amount - banked: still not passed on at as_of"},
		{Name: "banked_on", Kind: contract.Date, Doc: "day the last part was banked (null unless fully banked)"},
		{Name: "days_to_bank", Kind: contract.Int, Doc: "banked_on - date (null unless fully banked)"},
	}
	daysCols = []table.Col{
		{Name: "village_id", Kind: contract.ID},
		{Name: "first_day", Kind: contract.Date, Doc: "first day whose closing balance is above the limit"},
		{Name: "last_day", Kind: contract.Date, Doc: "last day of the run (as_of when still running)"},
		{Name: "days", Kind: contract.Int, Doc: "calendar days in the run (a day without entries keeps the previous balance)"},
		{Name: "peak", Kind: contract.Money, Doc: "highest closing balance in the run"},
		{Name: "peak_day", Kind: contract.Date, Doc: "first day the peak was reached"},
		{Name: "first_balance", Kind: contract.Money, Doc: "closing balance on first_day"},
		{Name: "limit", Kind: contract.Money, Doc: "the cash-on-hand limit that applied (setting limit)"},
		{Name: "ongoing", Kind: contract.Bool, Doc: "the box is still above the limit at as_of"},
	}
	paymentsCols = []table.Col{
		{Name: "village_id", Kind: contract.ID},
		{Name: "entry_id", Kind: contract.ID},
		{Name: "date", Kind: contract.Date},
		{Name: "category", Kind: contract.Enum, Doc: "expense or subsidy_payout"},
		{Name: "amount", Kind: contract.Money},
		{Name: "counterparty", Kind: contract.Text},
		{Name: "summary", Kind: contract.Text},
		{Name: "handled_by", Kind: contract.ID},
		{Name: "handler_name", Kind: contract.Text},
		{Name: "approved_by", Kind: contract.ID},
		{Name: "cash_before", Kind: contract.Money, Doc: "cash on hand just before the payment"},
		{Name: "receipts_before", Kind: contract.Money, Doc: "of which receipts (collection + income) not yet banked"},
		{Name: "from_spendable", Kind: contract.Money, Doc: "part paid from spendable cash (opening, withdrawals)"},
		{Name: "zuozhi", Kind: contract.Money, Doc: "part paid out of receipts: 坐支"},
	}
	splitsCols = []table.Col{
		{Name: "village_id", Kind: contract.ID},
		{Name: "entry_id", Kind: contract.ID, Doc: "the group's first payment"},
		{Name: "date", Kind: contract.Date, Doc: "date of the first payment"},
		{Name: "last_date", Kind: contract.Date, Doc: "date of the last payment in the group"},
		{Name: "counterparty", Kind: contract.Text},
		{Name: "payments", Kind: contract.Int, Doc: "payments in the group"},
		{Name: "total", Kind: contract.Money, Doc: "sum of the group"},
		{Name: "largest", Kind: contract.Money, Doc: "largest single payment"},
		{Name: "tier", Kind: contract.Money, Doc: "approval tier that applied (setting split_tier)"},
		{Name: "window_days", Kind: contract.Int, Doc: "setting split_window_days"},
		{Name: "entry_ids", Kind: contract.Text, Doc: "the group's entries, in date order, comma separated"},
		{Name: "accounts", Kind: contract.Text, Doc: "accounts paid from: cash, bank or bank,cash"},
		{Name: "handled_by", Kind: contract.ID, Doc: "handler of the first payment"},
		{Name: "handler_name", Kind: contract.Text},
		{Name: "approved_by", Kind: contract.ID, Doc: "approver of the first payment"},
	}
	handlersCols = []table.Col{
		{Name: "village_id", Kind: contract.ID},
		{Name: "entry_id", Kind: contract.ID},
		{Name: "date", Kind: contract.Date},
		{Name: "direction", Kind: contract.Enum},
		{Name: "category", Kind: contract.Enum},
		{Name: "category_cn", Kind: contract.Text, Doc: "the category in Chinese, for messages"},
		{Name: "amount", Kind: contract.Money},
		{Name: "handled_by", Kind: contract.ID},
		{Name: "handler_name", Kind: contract.Text},
		{Name: "roles", Kind: contract.Text, Doc: "the handler's cadre roles in this village on that day (terms include both ends), comma separated; empty when none"},
		{Name: "roles_cn", Kind: contract.Text, Doc: "the same in Chinese (、 separated); 无村干部职务 when none"},
		{Name: "entitled", Kind: contract.Bool, Doc: "the handler held one of the entitled_roles (setting) on that day"},
	}
	issuesCols = []table.Col{
		{Name: "village_id", Kind: contract.ID},
		{Name: "kind", Kind: contract.Enum, Doc: "no_opening | negative | deposit_no_cash"},
		{Name: "date", Kind: contract.Date, Doc: "first cash entry (no_opening), first negative day (negative), the entry's date (deposit_no_cash)"},
		{Name: "entry_id", Kind: contract.ID, Doc: "the first cash entry (no_opening) or the deposit/remit (deposit_no_cash); null for negative"},
		{Name: "category", Kind: contract.Enum, Doc: "category of entry_id"},
		{Name: "amount", Kind: contract.Money, Doc: "no_opening: the first entry's amount; negative: the deepest shortfall; deposit_no_cash: the part with no cash behind it"},
		{Name: "balance", Kind: contract.Money, Doc: "negative: lowest closing balance; deposit_no_cash: cash on hand just before it"},
		{Name: "days", Kind: contract.Int, Doc: "negative: calendar days the closing balance stayed below zero"},
		{Name: "last_day", Kind: contract.Date, Doc: "negative: last negative day (as_of when still negative)"},
	}
)

func (detector) Views() []engine.ViewSpec {
	return []engine.ViewSpec{
		{Name: vCollections, Doc: "each cash collection receipt, matched oldest first against later cash deposits and remits", Needs: []string{"ledger"}, DateCol: "date", Cols: collectionsCols},
		{Name: vDays, Doc: "runs of consecutive calendar days whose closing cash balance is above the limit", Needs: []string{"ledger"}, DateCol: "first_day", Cols: daysCols},
		{Name: vPayments, Doc: "each cash expense or subsidy payout, with the part drawn from receipts (坐支)", Needs: []string{"ledger"}, DateCol: "date", Cols: paymentsCols},
		{Name: vSplits, Doc: "groups of expense payments (cash and bank) to one counterparty, each below the approval tier, within the window, reaching the tier together", Needs: []string{"ledger"}, DateCol: "date", Cols: splitsCols},
		{Name: vHandlers, Doc: "each cash entry with its handler's cadre roles in the village on that day", Needs: []string{"ledger", "cadres"}, DateCol: "date", Cols: handlersCols},
		{Name: vIssues, Doc: "cash-journal data problems: no opening entry, negative closing balances, deposits with no cash to deposit", Needs: []string{"ledger"}, DateCol: "date", Cols: issuesCols},
	}
}
