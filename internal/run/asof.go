package run

import (
	"fmt"
	"maps"
	"slices"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/table"
)

// AsOfSlackDays is how far past the data's last date an as_of given by a
// person may lie: two years. Obligations (disclosures due, cases to
// review) are counted up to as_of, so 9999-12-31 once built millions of
// missing-disclosure rows and exhausted memory. One year was too tight
// for real use: an archived export is re-run "as of" a date 18 months
// after its last entry (our own lead and campaign tests do exactly
// that); two years keeps the obligations view to at most eight quarters
// beyond the books.
const AsOfSlackDays = 731

// AsOfError is an as_of too far beyond the data (a bad input: exit 2).
type AsOfError struct {
	AsOf, Last civil.Date
	Where      string // table.column holding the last date
}

func (e *AsOfError) Error() string {
	return fmt.Sprintf("as_of %s is more than %d days after the data's last date %s (%s): obligations would be counted for years without data; give an as_of up to %s",
		e.AsOf, AsOfSlackDays, e.Last, e.Where, e.Last+AsOfSlackDays)
}

// checkAsOf refuses an as_of more than AsOfSlackDays after the latest
// date in any date column of any table (rows after as_of included: they
// are data too). Column-wise: one pass over each Date32 column.
func checkAsOf(tables map[string]*table.Table, asOf civil.Date) error {
	var last civil.Date
	where := ""
	for _, n := range slices.Sorted(maps.Keys(tables)) {
		t := tables[n]
		for _, c := range t.Cols {
			if c.Kind != contract.Date {
				continue
			}
			a := t.Date(c.Name)
			vals := a.Date32Values()
			nulls := a.NullN() > 0
			for i, v := range vals {
				if nulls && a.IsNull(i) {
					continue
				}
				if d := civil.Date(v); d > last {
					last, where = d, n+"."+c.Name
				}
			}
		}
	}
	if last == 0 {
		return nil // no dates at all: nothing to bound against
	}
	if asOf > last+AsOfSlackDays {
		return &AsOfError{AsOf: asOf, Last: last, Where: where}
	}
	return nil
}
