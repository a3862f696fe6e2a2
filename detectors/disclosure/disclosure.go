// Package disclosure derives the views the disclosure rules (党务、村务、财务公开)
// read: the periodic notices each village owed and what was found for them
// (obligations), every notice with how long it stayed up (notices), each
// subsidy case approved in the window beside its public notice
// (case_notices), and each finance notice beside the books' expenditure for
// its period (finance_totals).
//
// The schedule (which items are periodic, their frequency, due delay and
// minimum days posted) is detector settings, so a town or village can
// override it like any rule param. Whether a row is a finding is decided by
// the rules in rules/disclosure.yaml.
//
// Conventions (see docs/rules-disclosure.md):
//   - A village's journal starts on its earliest `opening` ledger entry; a
//     village with no opening entry starts on its earliest ledger entry; a
//     village with no ledger entry at all owes nothing and has no cases
//     checked (nothing shows its data covers any period).
//   - Nothing dated after as_of is read: a removal after as_of means the
//     notice was still up on as_of (removed_on is null in the views).
//   - With a run window [from, to], a village owes only the periods lying
//     wholly inside it, and only cases approved inside it are checked.
package disclosure

import (
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/table"
)

type detector struct{}

func init() { engine.Register(detector{}) }

// View names.
const (
	viewObligations = "obligations"
	viewNotices     = "notices"
	viewCases       = "case_notices"
	viewFinance     = "finance_totals"
)

// Setting names: "items" lists the periodic items; each contract item has
// <item>_frequency, <item>_due_days and <item>_min_days_posted.
const (
	setItems    = "items"
	sufFreq     = "_frequency"
	sufDue      = "_due_days"
	sufMinPosts = "_min_days_posted"
)

func (detector) Name() string { return "disclosure" }

func (detector) Settings() []engine.SettingSpec {
	s := []engine.SettingSpec{{Name: setItems, Default: []string{"finance", "dibao_roster"},
		Doc: "periodic items every village owes a notice for, each period (contract disclosure items)"}}
	for _, item := range contract.Items {
		minDays := int64(15)
		minDoc := "no national minimum; common local value"
		if item == "dibao_notice" {
			minDays = 7
			minDoc = "民发〔2021〕57号 Art. 19: 7-day public notice"
		}
		s = append(s,
			engine.SettingSpec{Name: item + sufFreq, Default: "quarterly",
				Doc: item + ": period of the notice when the item is periodic: quarterly, monthly or yearly"},
			engine.SettingSpec{Name: item + sufDue, Default: int64(15),
				Doc: item + ": the notice is due this many days after the period ends (local catalogues: 15 or 20)"},
			engine.SettingSpec{Name: item + sufMinPosts, Default: minDays,
				Doc: item + ": a notice must stay up at least this many days (" + minDoc + "); 0 = no minimum"},
		)
	}
	return s
}

var (
	obligationCols = []table.Col{
		{Name: "village_id", Kind: contract.ID, Doc: "village that owed the notice"},
		{Name: "item", Kind: contract.Enum, Doc: "periodic item (settings disclosure.items)"},
		{Name: "item_name", Kind: contract.Text, Doc: "the item in Chinese, for messages"},
		{Name: "period", Kind: contract.Text, Doc: "period label: YYYY-Qn, YYYY-MM or YYYY"},
		{Name: "frequency", Kind: contract.Text, Doc: "quarterly, monthly or yearly (settings <item>_frequency)"},
		{Name: "period_start", Kind: contract.Date, Doc: "first day of the period"},
		{Name: "period_end", Kind: contract.Date, Doc: "last day of the period"},
		{Name: "due_on", Kind: contract.Date, Doc: "last day the notice was due: period_end + <item>_due_days"},
		{Name: "due_days", Kind: contract.Int, Doc: "the due delay that applied"},
		{Name: "journal_start", Kind: contract.Date, Doc: "the village's journal start: periods owed start on or after it"},
		{Name: "start_basis", Kind: contract.Text, Doc: "opening (the opening entry) or first_entry (no opening entry: earliest ledger entry)"},
		{Name: "notices", Kind: contract.Int, Doc: "notices posted (by as_of) for this village, item and period"},
		{Name: "disclosure_id", Kind: contract.ID, Doc: "the earliest of them; null when none"},
		{Name: "posted_on", Kind: contract.Date, Doc: "when it was posted; null when none"},
		{Name: "removed_on", Kind: contract.Date, Doc: "when it was removed; null when none or still up on as_of"},
		{Name: "days_late", Kind: contract.Int, Doc: "posted_on - due_on (positive = late); null when none"},
		{Name: "days_posted", Kind: contract.Int, Doc: "days up: removed_on (or as_of while still up) - posted_on; null when none"},
	}
	noticeCols = []table.Col{
		{Name: "village_id", Kind: contract.ID, Doc: "village that posted the notice"},
		{Name: "disclosure_id", Kind: contract.ID, Doc: "the notice"},
		{Name: "item", Kind: contract.Enum, Doc: "what it discloses"},
		{Name: "item_name", Kind: contract.Text, Doc: "the item in Chinese, for messages"},
		{Name: "period", Kind: contract.Text, Doc: "its period, case id or reference, as posted"},
		{Name: "posted_on", Kind: contract.Date, Doc: "when it went up"},
		{Name: "removed_on", Kind: contract.Date, Doc: "when it came down; null while still up on as_of (a later removal is not read)"},
		{Name: "still_up", Kind: contract.Bool, Doc: "true when not removed by as_of"},
		{Name: "days_posted", Kind: contract.Int, Doc: "removed_on (or as_of while still up) - posted_on"},
		{Name: "min_days_posted", Kind: contract.Int, Doc: "minimum for its item in this village (settings <item>_min_days_posted; 0 = none)"},
		{Name: "amount_total", Kind: contract.Money, Doc: "total the notice discloses, when it has one"},
	}
	caseCols = []table.Col{
		{Name: "village_id", Kind: contract.ID, Doc: "village of the case (its first beneficiary row)"},
		{Name: "case_id", Kind: contract.ID, Doc: "the subsidy case"},
		{Name: "program", Kind: contract.Enum, Doc: "dibao or tekun"},
		{Name: "program_name", Kind: contract.Text, Doc: "低保 or 特困, for messages"},
		{Name: "approved_on", Kind: contract.Date, Doc: "approval date (earliest over the case's rows)"},
		{Name: "approved_month", Kind: contract.Month, Doc: "month of approval"},
		{Name: "handled_by", Kind: contract.ID, Doc: "cadre who handled the case (first non-empty over its rows)"},
		{Name: "persons", Kind: contract.Int, Doc: "persons covered by the case"},
		{Name: "monthly_total", Kind: contract.Money, Doc: "sum of the persons' monthly amounts"},
		{Name: "journal_start", Kind: contract.Date, Doc: "the village's journal start (cases approved before it are not rows)"},
		{Name: "notices", Kind: contract.Int, Doc: "dibao_notice notices posted (by as_of) for this case"},
		{Name: "disclosure_id", Kind: contract.ID, Doc: "the earliest of them; null when none"},
		{Name: "notice_posted_on", Kind: contract.Date, Doc: "when it went up; null when none"},
		{Name: "notice_removed_on", Kind: contract.Date, Doc: "when it came down; null when none or still up on as_of"},
		{Name: "days_before", Kind: contract.Int, Doc: "approved_on - notice_posted_on (days of public notice before approval; negative = posted after); null when none"},
	}
	financeCols = []table.Col{
		{Name: "village_id", Kind: contract.ID, Doc: "village that posted the notice"},
		{Name: "disclosure_id", Kind: contract.ID, Doc: "the finance notice"},
		{Name: "period", Kind: contract.Text, Doc: "its period label as posted"},
		{Name: "period_start", Kind: contract.Date, Doc: "first day of the period; null when the label is not YYYY-MM, YYYY-Qn or YYYY"},
		{Name: "period_end", Kind: contract.Date, Doc: "last day of the period; null likewise"},
		{Name: "posted_on", Kind: contract.Date, Doc: "when it went up"},
		{Name: "removed_on", Kind: contract.Date, Doc: "when it came down; null while still up on as_of"},
		{Name: "journal_start", Kind: contract.Date, Doc: "the village's journal start; null when it has no ledger"},
		{Name: "books_complete", Kind: contract.Bool, Doc: "the books cover the whole period: label parsed, period_start >= journal_start, period_end <= as_of"},
		{Name: "has_total", Kind: contract.Bool, Doc: "the notice states an amount_total"},
		{Name: "notice_total", Kind: contract.Money, Doc: "the notice's amount_total (0 when absent)"},
		{Name: "books_total", Kind: contract.Money, Doc: "the books' expenditure in the period: out movements on cash and bank, except deposit and withdrawal"},
		{Name: "difference", Kind: contract.Money, Doc: "notice_total - books_total"},
		{Name: "abs_difference", Kind: contract.Money, Doc: "|notice_total - books_total|"},
	}
)

func (detector) Views() []engine.ViewSpec {
	return []engine.ViewSpec{
		{Name: viewObligations, Cols: obligationCols, Needs: []string{"ledger", "disclosures"},
			Doc: "every village x periodic item x period due by as_of (inside the run window), with the notice found, days late and days posted"},
		{Name: viewNotices, Cols: noticeCols, Needs: []string{"disclosures"}, DateCol: "posted_on",
			Doc: "every notice posted by as_of with how long it stayed up and its item's minimum"},
		{Name: viewCases, Cols: caseCols, Needs: []string{"beneficiaries", "ledger", "disclosures"}, DateCol: "approved_on",
			Doc: "every subsidy case approved in the window and on or after its village's journal start, with its public notice"},
		{Name: viewFinance, Cols: financeCols, Needs: []string{"disclosures", "ledger"}, DateCol: "posted_on",
			Doc: "every finance notice beside the books' expenditure for its period"},
	}
}
