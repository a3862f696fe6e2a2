// Package contract is ../shared/contract.md as data: the input tables, their
// columns, types and enums. The loader, the PostgreSQL store, the generator
// and the rule checker all read it from here, so the contract lives in one place.
package contract

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// Kind is a column's contract type.
type Kind uint8

const (
	ID    Kind = iota + 1 // opaque string
	Text                  // free text
	Enum                  // one of Column.Enum
	Date                  // YYYY-MM-DD, stored as Arrow date32
	Month                 // YYYY-MM, stored as a string after validation
	Money                 // yuan with <= 2 decimals, stored as int64 fen
	Bool                  // true/false
	Int                   // int64 (views only)
	Float                 // float64 (views only)
)

var kindNames = [...]string{ID: "id", Text: "text", Enum: "enum", Date: "date", Month: "month", Money: "money", Bool: "bool", Int: "int", Float: "float"}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "unknown"
}

// ParseKind is the inverse of String.
func ParseKind(s string) (Kind, bool) {
	for k, n := range kindNames {
		if n == s && n != "" {
			return Kind(k), true
		}
	}
	return 0, false
}

// Column is one contract column.
type Column struct {
	Name     string
	Kind     Kind
	Enum     []string // allowed values when Kind == Enum
	Required bool     // a non-null value is required in every row
	// Aliases are header names exports use for the column (declared
	// tables; the contract's own aliases live in internal/source).
	Aliases []string
	Doc     string
}

// Table is one contract table.
type Table struct {
	Name     string
	Optional bool     // the dataset may omit the table
	Key      []string // primary key columns (duplicates are rejected)
	Columns  []Column
	// Declared tables only (see Declare): what the table holds, the date
	// column that places a row in time, the village column, and where the
	// declaration is (file:line:col).
	Doc        string
	DateCol    string
	VillageCol string
	Source     string
}

// Column returns the named column.
func (t *Table) Column(name string) (Column, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}

// Enums used in several tables.
var (
	Programs  = []string{"dibao", "tekun"}
	Relations = []string{"spouse", "parent", "child", "sibling", "grandparent", "grandchild", "parent_in_law", "child_in_law", "sibling_in_law", "other"}
	HeadRels  = []string{"head", "spouse", "child", "child_in_law", "parent", "parent_in_law", "sibling", "grandchild", "grandparent", "other"}
	Roles     = []string{"secretary", "director", "deputy_director", "committee_member", "accountant", "cashier", "supervisor", "subsidy_clerk", "group_leader"}
	Accounts  = []string{"cash", "bank"}
	Dirs      = []string{"in", "out"}
	Cats      = []string{"opening", "collection", "remit", "deposit", "withdrawal", "income", "expense", "subsidy_payout", "transfer"}
	Items     = []string{"finance", "dibao_roster", "dibao_notice", "major_decision", "project", "collection"}
	Genders   = []string{"M", "F"}
)

// Chinese labels of the enums that messages, leads and reports show to
// inspectors, kept beside the enums so a new value cannot go unlabelled
// (contract_test checks both ways).
var (
	RoleLabels = map[string]string{
		"secretary": "书记", "director": "主任", "deputy_director": "副主任", "committee_member": "委员",
		"accountant": "会计", "cashier": "出纳/报账员", "supervisor": "监委会成员", "subsidy_clerk": "民政协理员", "group_leader": "组长",
	}
	ProgramLabels = map[string]string{"dibao": "低保", "tekun": "特困"}
	ItemLabels    = map[string]string{
		"finance": "财务收支", "dibao_roster": "低保/特困名单", "dibao_notice": "低保/特困审核公示",
		"major_decision": "重大事项", "project": "工程项目", "collection": "代收代缴",
	}
)

func req(name string, k Kind) Column { return Column{Name: name, Kind: k, Required: true} }
func opt(name string, k Kind) Column { return Column{Name: name, Kind: k} }
func enum(name string, vals []string) Column {
	return Column{Name: name, Kind: Enum, Enum: vals, Required: true}
}

// Tables lists the contract's tables in load order; All adds the tables
// rule folders declare.
var Tables = []*Table{
	{Name: "villages", Key: []string{"village_id"}, Columns: []Column{
		req("village_id", ID), req("village_name", Text), req("town_id", ID), opt("town_name", Text), req("county_id", ID), opt("county_name", Text)}},
	{Name: "persons", Key: []string{"person_id"}, Columns: []Column{
		req("person_id", ID), opt("name", Text), {Name: "gender", Kind: Enum, Enum: Genders}, opt("birth_date", Date),
		opt("household_id", ID), {Name: "relation_to_head", Kind: Enum, Enum: HeadRels}, req("village_id", ID), opt("death_date", Date)}},
	{Name: "kinship", Optional: true, Columns: []Column{
		req("person_id", ID), req("relative_id", ID), enum("relation", Relations)}},
	{Name: "cadres", Columns: []Column{
		req("person_id", ID), req("village_id", ID), enum("role", Roles), req("term_start", Date), opt("term_end", Date)}},
	{Name: "beneficiaries", Key: []string{"case_id", "person_id"}, Columns: []Column{
		req("case_id", ID), enum("program", Programs), req("person_id", ID), req("village_id", ID), opt("applied_on", Date),
		req("approved_on", Date), opt("ended_on", Date), opt("monthly_amount", Money), opt("handled_by", ID), req("relative_filed", Bool)}},
	{Name: "payments", Key: []string{"payment_id"}, Columns: []Column{
		req("payment_id", ID), req("case_id", ID), req("person_id", ID), enum("program", Programs), req("period", Month),
		req("amount", Money), req("paid_on", Date), opt("account_no", ID), opt("account_holder_id", ID)}},
	{Name: "ledger", Key: []string{"entry_id"}, Columns: []Column{
		req("entry_id", ID), req("village_id", ID), req("date", Date), opt("voucher_no", ID), enum("account", Accounts),
		enum("direction", Dirs), req("amount", Money), enum("category", Cats), opt("counterparty", Text), opt("summary", Text),
		opt("handled_by", ID), opt("approved_by", ID)}},
	{Name: "disclosures", Key: []string{"disclosure_id"}, Columns: []Column{
		req("disclosure_id", ID), req("village_id", ID), enum("item", Items), req("period", Text), req("posted_on", Date),
		opt("removed_on", Date), opt("amount_total", Money)}},
}

// Header is the table's CSV header line: its column names in contract order.
func (t *Table) Header() string {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	return strings.Join(names, ",")
}

// Lookup finds a table by name.
func Lookup(name string) (*Table, bool) {
	for _, t := range All() {
		if t.Name == name {
			return t, true
		}
	}
	return nil, false
}

// Declared tables.
//
// Rule folders may declare optional tables of their own (a power-list item
// a town adds, e.g. the 四议两公开 decisions): rules.LoadDirs reads their
// `tables:` blocks and calls Declare. From then on Lookup and All return
// them beside the contract's tables, so the loader, the mapping reader, the
// store and the rule checker treat them like any optional table. A
// declaration is never removed: re-declaring the same table the same way is
// a no-op (a process may load its rule folders more than once), declaring it
// differently is an error.

var (
	declMu   sync.RWMutex
	declared []*Table
)

// Declare adds a declared table. It must be optional, must not reuse a
// contract table's name, and a second declaration must equal the first.
func Declare(t *Table) error {
	if !t.Optional {
		return fmt.Errorf("declared table %s: declared tables are optional (a dataset without it skips its rules)", t.Name)
	}
	for _, c := range Tables {
		if c.Name == t.Name {
			return fmt.Errorf("table %s is a contract table; a declared table needs its own name", t.Name)
		}
	}
	declMu.Lock()
	defer declMu.Unlock()
	for _, d := range declared {
		if d.Name == t.Name {
			if !reflect.DeepEqual(withoutSource(d), withoutSource(t)) {
				return fmt.Errorf("table %s is already declared differently at %s", t.Name, d.Source)
			}
			return nil
		}
	}
	declared = append(declared, t)
	return nil
}

func withoutSource(t *Table) Table { c := *t; c.Source = ""; return c }

// All lists the contract's tables, then the declared ones in declaration
// order: every table a dataset may hold.
func All() []*Table {
	declMu.RLock()
	defer declMu.RUnlock()
	out := make([]*Table, 0, len(Tables)+len(declared))
	return append(append(out, Tables...), declared...)
}

// Declared lists the declared tables only.
func Declared() []*Table {
	declMu.RLock()
	defer declMu.RUnlock()
	return append([]*Table(nil), declared...)
}

// AsOfCol names the date column that places a row of the table in time
// (rows dated after a run's as_of are not read); "" when rows are undated.
func (t *Table) AsOfCol() string {
	if t.DateCol != "" {
		return t.DateCol
	}
	return contractAsOf[t.Name]
}

// VillageColumn names the column that says which village a row belongs to
// (a campaign scope narrows by it); "" when rows carry no village.
func (t *Table) VillageColumn() string {
	if t.VillageCol != "" {
		return t.VillageCol
	}
	switch t.Name {
	case "villages", "persons", "cadres", "beneficiaries", "ledger", "disclosures":
		return "village_id"
	}
	return ""
}

var contractAsOf = map[string]string{"ledger": "date", "payments": "paid_on", "disclosures": "posted_on", "beneficiaries": "approved_on", "cadres": "term_start"}
