package cash

import (
	"runtime"
	"strings"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/table"
)

// roleBit is the bit of a contract role (0 for an unknown one).
func roleBit(role string) uint16 {
	for k, r := range contract.Roles {
		if r == role {
			return 1 << k
		}
	}
	return 0
}

type term struct {
	village    string
	bit        uint16
	start, end civil.Date // end: last day in office (inclusive); maxDate while in office
}

const maxDate = civil.Date(1<<31 - 1)

type roleNames struct{ codes, cn string }

// roleIndex answers "which roles did this person hold in this village on
// this day" from the cadres table.
type roleIndex struct {
	terms map[string][]term
}

func newRoleIndex(cadres *table.Table) *roleIndex {
	ri := &roleIndex{terms: map[string][]term{}}
	if cadres == nil {
		return ri
	}
	pid, vid, role := cadres.Str("person_id"), cadres.Str("village_id"), cadres.Str("role")
	start, end := cadres.Date("term_start"), cadres.Date("term_end")
	for i := 0; i < cadres.Len(); i++ {
		if pid.IsNull(i) || vid.IsNull(i) || role.IsNull(i) || start.IsNull(i) {
			continue
		}
		t := term{village: vid.Value(i), bit: roleBit(role.Value(i)), start: civil.Date(start.Value(i)), end: maxDate}
		if !end.IsNull(i) {
			t.end = civil.Date(end.Value(i))
		}
		ri.terms[pid.Value(i)] = append(ri.terms[pid.Value(i)], t)
	}
	return ri
}

// names formats a role set (chunks cache it: handlerCache.rolesOf).
func (ri *roleIndex) names(mask uint16) roleNames {
	var codes, cn []string
	for k, r := range contract.Roles {
		if mask&(1<<k) != 0 {
			codes = append(codes, r)
			cn = append(cn, contract.RoleLabels[r])
		}
	}
	n := roleNames{codes: strings.Join(codes, ","), cn: strings.Join(cn, "、")}
	if mask == 0 {
		n.cn = "无村干部职务"
	}
	return n
}

// handlerNames maps the handlers of the given ledger rows to their names
// in persons: one pass over persons, keeping only the ids needed.
func handlerNames(persons *table.Table, L ledgerCols, rowSets ...[]int32) map[string]string {
	names := map[string]string{}
	if persons == nil || !persons.Has("name") {
		return names
	}
	for _, rows := range rowSets {
		last := ""
		for _, row := range rows {
			// consecutive rows mostly share a handler: skip the map then
			if i := int(row); !L.handledBy.IsNull(i) {
				if who := L.handledBy.Value(i); who != last || last == "" {
					names[who], last = "", who
				}
			}
		}
	}
	if len(names) == 0 {
		return names
	}
	// The scan of persons (millions of rows, a map lookup each) is cut
	// into parts looked up side by side; the names are then set in row
	// order, so that a person listed twice gets the same name as before.
	pid, name := persons.Str("person_id"), persons.Str("name")
	parts := max(1, min(runtime.GOMAXPROCS(0), persons.Len()/minChunkRows))
	found := make([][]int32, parts)
	parallel(parts, func(k int) {
		for i := persons.Len() * k / parts; i < persons.Len()*(k+1)/parts; i++ {
			if pid.IsNull(i) || name.IsNull(i) {
				continue
			}
			if _, ok := names[pid.Value(i)]; ok {
				found[k] = append(found[k], int32(i))
			}
		}
	})
	for _, rows := range found {
		for _, i := range rows {
			names[pid.Value(int(i))] = name.Value(int(i))
		}
	}
	return names
}
