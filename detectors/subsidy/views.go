package subsidy

import (
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/table"
)

// linksView declares ViewLinks.
func linksView() engine.ViewSpec {
	return engine.ViewSpec{Name: ViewLinks, Needs: []string{"beneficiaries", "persons", "cadres"}, DateCol: "approved_on",
		Doc: "one row per beneficiary row × cadre row (cadres of the same village, or town with cadre_scope: town) whose term overlaps the receiving period [approved_on, ended_on or as_of] and who is the beneficiary or a known relative",
		Cols: []table.Col{colVillage, colCase, colProgram, colProgCN, colPerson, colName,
			{Name: "approved_on", Kind: contract.Date, Doc: "receiving since"},
			{Name: "ended_on", Kind: contract.Date, Doc: "receiving until (null while receiving at as_of)"},
			{Name: "monthly_amount", Kind: contract.Money, Doc: "this person's monthly share"},
			{Name: "paid_total", Kind: contract.Money, Doc: "sum of payments to this person in this case up to as_of"},
			{Name: "relative_filed", Kind: contract.Bool, Doc: "the town filed the case as a cadre's relative (近亲属备案)"},
			{Name: "cadre_id", Kind: contract.ID, Doc: "the cadre's person_id"},
			{Name: "cadre_name", Kind: contract.Text, Doc: "the cadre's name in the register"},
			{Name: "cadre_role", Kind: contract.Enum, Doc: "the cadre's role"},
			{Name: "cadre_role_cn", Kind: contract.Text, Doc: "the role in Chinese"},
			{Name: "cadre_village_id", Kind: contract.ID, Doc: "the village the cadre serves"},
			{Name: "term_start", Kind: contract.Date, Doc: "term start"},
			{Name: "term_end", Kind: contract.Date, Doc: "term end (null while in office at as_of)"},
			{Name: "relation", Kind: contract.Enum, Doc: "what the cadre is to the beneficiary: self, spouse, parent, child, sibling, grandparent, grandchild, parent_in_law, child_in_law, sibling_in_law, other"},
			{Name: "relation_cn", Kind: contract.Text, Doc: "the relation in Chinese"},
			{Name: "path", Kind: contract.Text, Doc: "how the relation was found: 本人, 同户 <household>（roles）, 亲属登记（kinship）"},
			{Name: "close", Kind: contract.Bool, Doc: "relation is self or in the close_relations setting"},
		}}
}

// handlersView declares ViewHandlers.
func handlersView() engine.ViewSpec {
	return engine.ViewSpec{Name: ViewHandlers, Needs: []string{"beneficiaries", "persons"}, DateCol: "approved_on",
		Doc: "one row per beneficiary row whose case handler (handled_by) is the beneficiary or a known relative of them",
		Cols: []table.Col{colVillage, colCase, colProgram, colProgCN, colPerson, colName,
			{Name: "approved_on", Kind: contract.Date, Doc: "case approved"},
			{Name: "relative_filed", Kind: contract.Bool, Doc: "filed as a relative case"},
			{Name: "handled_by", Kind: contract.ID, Doc: "the handler's person_id"},
			{Name: "handler_name", Kind: contract.Text, Doc: "the handler's name in the register"},
			{Name: "handler_role", Kind: contract.Enum, Doc: "the handler's cadre role on approved_on (null when not a cadre then)"},
			{Name: "handler_role_cn", Kind: contract.Text, Doc: "the role in Chinese (经办人 when not a cadre)"},
			{Name: "relation", Kind: contract.Enum, Doc: "what the handler is to the beneficiary (self, spouse, …)"},
			{Name: "relation_cn", Kind: contract.Text, Doc: "the relation in Chinese"},
			{Name: "path", Kind: contract.Text, Doc: "how the relation was found"},
			{Name: "close", Kind: contract.Bool, Doc: "relation is self or in the close_relations setting"},
			{Name: "paid_total", Kind: contract.Money, Doc: "sum of payments to this person in this case up to as_of"},
		}}
}

// paymentsView declares ViewPayments.
func paymentsView() engine.ViewSpec {
	return engine.ViewSpec{Name: ViewPayments, Needs: []string{"payments", "beneficiaries", "persons"}, DateCol: "paid_on",
		Doc: "one row per payment: who holds the account credited, how they relate to the beneficiary, months after the beneficiary's death, households sharing the account that month",
		Cols: []table.Col{colVillage,
			{Name: "payment_id", Kind: contract.ID, Doc: "payment"},
			colCase, colPerson, colName, colProgram, colProgCN,
			{Name: "period", Kind: contract.Month, Doc: "month paid for"},
			{Name: "paid_on", Kind: contract.Date, Doc: "date paid"},
			{Name: "paid_month", Kind: contract.Month, Doc: "month of paid_on"},
			{Name: "amount", Kind: contract.Money, Doc: "amount paid"},
			{Name: "account_no", Kind: contract.ID, Doc: "account credited"},
			{Name: "account_holder_id", Kind: contract.ID, Doc: "holder of that account"},
			{Name: "holder_name", Kind: contract.Text, Doc: "the holder's name in the register"},
			{Name: "holder_is_self", Kind: contract.Bool, Doc: "holder is the beneficiary"},
			{Name: "holder_same_household", Kind: contract.Bool, Doc: "holder is in the beneficiary's household (register)"},
			{Name: "holder_relation", Kind: contract.Enum, Doc: "what the holder is to the beneficiary (null when unrelated)"},
			{Name: "holder_relation_cn", Kind: contract.Text, Doc: "the relation in Chinese (无亲属关系 when unrelated)"},
			{Name: "holder_cadre_role", Kind: contract.Enum, Doc: "the holder's cadre role on paid_on (cadre_scope), null when not a cadre"},
			{Name: "holder_cadre_role_cn", Kind: contract.Text, Doc: "the role in Chinese (村民 when not a cadre)"},
			{Name: "holder_is_cadre", Kind: contract.Bool, Doc: "holder was a cadre on paid_on"},
			{Name: "person_known", Kind: contract.Bool, Doc: "the beneficiary is in the register"},
			{Name: "death_date", Kind: contract.Date, Doc: "the beneficiary's death date (null while alive at as_of)"},
			{Name: "months_after_death", Kind: contract.Int, Doc: "period month minus death month (null while alive)"},
			{Name: "shared_households", Kind: contract.Int, Doc: "households whose beneficiaries were credited to this account in paid_month (a person outside the register counts as their own household)"},
		}}
}

// enrolmentsView declares ViewEnrolments.
func enrolmentsView() engine.ViewSpec {
	return engine.ViewSpec{Name: ViewEnrolments, Needs: []string{"beneficiaries"}, DateCol: "overlap_from",
		Doc: "one row per pair of cases of one person whose receiving periods [approved_on, ended_on or as_of] overlap (both ends included)",
		Cols: []table.Col{colVillage, colPerson, colName,
			{Name: "case_a", Kind: contract.ID, Doc: "the earlier case"},
			{Name: "program_a", Kind: contract.Enum, Doc: "its program"},
			{Name: "program_a_cn", Kind: contract.Text, Doc: "its program in Chinese"},
			{Name: "from_a", Kind: contract.Date, Doc: "approved_on"},
			{Name: "to_a", Kind: contract.Date, Doc: "ended_on (null while receiving)"},
			{Name: "case_b", Kind: contract.ID, Doc: "the later case"},
			{Name: "program_b", Kind: contract.Enum, Doc: "its program"},
			{Name: "program_b_cn", Kind: contract.Text, Doc: "its program in Chinese"},
			{Name: "from_b", Kind: contract.Date, Doc: "approved_on"},
			{Name: "to_b", Kind: contract.Date, Doc: "ended_on (null while receiving)"},
			{Name: "same_program", Kind: contract.Bool, Doc: "both cases of one program"},
			{Name: "overlap_from", Kind: contract.Date, Doc: "first day of both"},
			{Name: "overlap_to", Kind: contract.Date, Doc: "last day of both (as_of when both still run)"},
			{Name: "overlap_days", Kind: contract.Int, Doc: "days in both, both ends included"},
			{Name: "monthly_total", Kind: contract.Money, Doc: "the two monthly shares together"},
			{Name: "handled_by_b", Kind: contract.ID, Doc: "who handled the later case"},
		}}
}

// idChecksView declares ViewIDChecks.
func idChecksView() engine.ViewSpec {
	return engine.ViewSpec{Name: ViewIDChecks, Needs: []string{"beneficiaries", "persons"},
		Doc: "one row per distinct beneficiary or payment recipient: the GB 11643 check of the ID number and the register's birth date and gender",
		Cols: []table.Col{colVillage, colPerson, colName,
			{Name: "case_id", Kind: contract.ID, Doc: "first case (or payment's case) naming the person"},
			{Name: "source", Kind: contract.Enum, Doc: "beneficiaries or payments (the first table naming the person)"},
			{Name: "in_register", Kind: contract.Bool, Doc: "the person_id is in persons"},
			{Name: "id_format_ok", Kind: contract.Bool, Doc: "18 characters: 17 digits then a digit or X"},
			{Name: "checksum_ok", Kind: contract.Bool, Doc: "format ok and the ISO 7064 MOD 11-2 check character matches"},
			{Name: "check_expected", Kind: contract.Text, Doc: "the check character the first 17 digits give (null when malformed)"},
			{Name: "id_birth_date", Kind: contract.Date, Doc: "birth date embedded in the ID (null when not a calendar date)"},
			{Name: "birth_date", Kind: contract.Date, Doc: "birth date in the register"},
			{Name: "birth_matches", Kind: contract.Bool, Doc: "embedded and registered birth dates are equal (false when either is missing)"},
			{Name: "id_gender", Kind: contract.Text, Doc: "M/F from the 17th digit (odd = M)"},
			{Name: "gender", Kind: contract.Enum, Doc: "gender in the register"},
			{Name: "gender_matches", Kind: contract.Bool, Doc: "embedded and registered gender agree (false when either is missing)"},
			{Name: "id_problem", Kind: contract.Text, Doc: "what is wrong, in Chinese (empty when nothing)"},
		}}
}
