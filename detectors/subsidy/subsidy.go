// Package subsidy derives the views the relative-beneficiary rules read
// (rules/relative.yaml): who among the subsidy beneficiaries is a cadre or a
// cadre's relative, who handled whose case, where each payment went, who
// receives twice, and whose ID number is wrong.
//
// Relations come from detectors/kinship (the household register plus the
// kinship table, read both ways). Matching is by ID only: names are carried
// for messages and never decide a match. Persons missing from the register
// are still matched by ID (through kinship rows and the cadres table) and
// reported in id_checks (DQ-UNKNOWN-PERSON).
//
// Every view is built in one pass over its driving table with hash indexes
// built once (cadres by person, beneficiaries by case, persons by id), so
// the cost is linear in persons + kinship + beneficiaries + payments: to
// find the cadres related to a beneficiary the detector walks the
// beneficiary's household and declared relatives (a handful) and looks each
// up in the cadre index; it never pairs beneficiaries with all cadres.
//
// Dates after as_of are not read: a term_end, ended_on or death_date after
// as_of counts as not yet happened.
package subsidy

import (
	"context"
	"runtime"
	"sync"

	"github.com/neijiang/xiaowei/detectors/kinship"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/table"
)

type detector struct{}

func init() { engine.Register(detector{}) }

// View names.
const (
	ViewLinks      = "beneficiary_links"
	ViewHandlers   = "case_handlers"
	ViewPayments   = "payment_checks"
	ViewEnrolments = "enrolment_overlaps"
	ViewIDChecks   = "id_checks"
)

func (detector) Name() string { return "subsidy" }

func (detector) Settings() []engine.SettingSpec {
	return []engine.SettingSpec{
		{Name: "close_relations", Default: append([]string(nil), kinship.DefaultClose...),
			Doc: "relations that count as close relatives (近亲属) for the `close` columns: spouse, parent, child, sibling, grandparent, grandchild, parent_in_law, child_in_law, sibling_in_law, other"},
		{Name: "cadre_scope", Default: "village",
			Doc: "which cadres a beneficiary is matched against: `village` (cadres of the beneficiary's village) or `town` (of any village in the same town)"},
	}
}

var (
	colVillage = table.Col{Name: "village_id", Kind: contract.ID, Doc: "the case's village"}
	colCase    = table.Col{Name: "case_id", Kind: contract.ID, Doc: "subsidy case"}
	colProgram = table.Col{Name: "program", Kind: contract.Enum, Doc: "dibao or tekun"}
	colProgCN  = table.Col{Name: "program_cn", Kind: contract.Text, Doc: "低保 or 特困"}
	colPerson  = table.Col{Name: "person_id", Kind: contract.ID, Doc: "the beneficiary (covered person)"}
	colName    = table.Col{Name: "person_name", Kind: contract.Text, Doc: "the beneficiary's name in the register (null when not in it)"}
)

func (detector) Views() []engine.ViewSpec {
	return []engine.ViewSpec{linksView(), handlersView(), paymentsView(), enrolmentsView(), idChecksView()}
}

// viewBuilders in the order they are scheduled: the largest first, so
// that the two cores finish together.
var viewBuilders = []struct {
	name  string
	build func(w *worker) (*table.Table, error)
}{
	{ViewPayments, (*worker).payments},
	{ViewIDChecks, (*worker).idChecks},
	{ViewLinks, (*worker).links},
	{ViewHandlers, (*worker).handlers},
	{ViewEnrolments, (*worker).enrolments},
}

// Build builds the wanted views only (a view no enabled rule reads costs
// nothing), from one graph and one set of indexes, the views side by side
// on all cores (each with its own builder and worker).
func (d detector) Build(ctx context.Context, in *engine.Input) (map[string]*table.Table, error) {
	var jobs []int
	for i, v := range viewBuilders {
		if in.Want[v.name] {
			jobs = append(jobs, i)
		}
	}
	if len(jobs) == 0 { // nothing to build: skip the graph and the indexes
		return map[string]*table.Table{}, nil
	}
	e := newEnv(in, envNeeds{paid: in.Want[ViewLinks] || in.Want[ViewHandlers],
		benNodes: in.Want[ViewLinks] || in.Want[ViewHandlers] || in.Want[ViewEnrolments] || in.Want[ViewIDChecks],
		payNodes: in.Want[ViewPayments] || in.Want[ViewIDChecks]})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	built := make([]*table.Table, len(viewBuilders))
	errs := make([]error, len(viewBuilders))
	next := make(chan int, len(jobs))
	for _, j := range jobs {
		next <- j
	}
	close(next)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := e.worker()
			for j := range next {
				if errs[j] = ctx.Err(); errs[j] == nil {
					built[j], errs[j] = viewBuilders[j].build(w)
				}
			}
		}()
	}
	wg.Wait()
	// the first error in view order (the order the views used to be built
	// in one after another), whatever finished first
	var err error
	for _, name := range []string{ViewLinks, ViewHandlers, ViewPayments, ViewEnrolments, ViewIDChecks} {
		for j, v := range viewBuilders {
			if v.name == name && errs[j] != nil && err == nil {
				err = errs[j]
			}
		}
	}
	out := map[string]*table.Table{}
	for j, t := range built {
		if t == nil {
			continue
		}
		if err != nil {
			t.Release()
			continue
		}
		out[viewBuilders[j].name] = t
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

func viewCols(name string) []table.Col {
	for _, v := range (detector{}).Views() {
		if v.Name == name {
			return v.Cols
		}
	}
	panic("no view " + name)
}
