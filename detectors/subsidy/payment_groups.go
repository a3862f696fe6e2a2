package subsidy

import (
	"github.com/neijiang/xiaowei/internal/civil"
)

// paymentGroups counts the households paid into each account per month.
type paymentGroups struct {
	gid        []int32 // per payments row: its (account, month) group, -1 without account
	households []int32 // per group: the households paid into that account that month
}

// accountMonths numbers (account, month) groups in order of first
// appearance without hashing a key per row: accounts get ordinals through
// a map (looked up once per run of one account's rows), and each account
// keeps its groups as a chain, newest first. An account's rows mostly
// come together in month order, so a row's month is usually its account's
// newest group (a hit) or after every month of the account (a new group,
// no walk); only an account seen again later walks its chain.
type accountMonths struct {
	acctIdx  map[string]int32
	newest   []int32       // per account: its newest group
	maxMonth []civil.Month // per account: the latest month of its groups
	month    []civil.Month // per group
	older    []int32       // per group: the account's previous group, -1 at the end
}

// group returns the group of account a in month m, and whether it is new.
func (x *accountMonths) group(a int32, m civil.Month) (int32, bool) {
	if int(a) == len(x.newest) { // a new account
		x.newest = append(x.newest, -1)
		x.maxMonth = append(x.maxMonth, m)
	} else if m <= x.maxMonth[a] {
		for g := x.newest[a]; g >= 0; g = x.older[g] {
			if x.month[g] == m {
				return g, false
			}
		}
	} else {
		x.maxMonth[a] = m
	}
	g := int32(len(x.month))
	x.month = append(x.month, m)
	x.older = append(x.older, x.newest[a])
	x.newest[a] = g
	return g, true
}

// paymentHouseholds counts the households per account and month with
// integer keys (account ordinal, month, household ordinal): no key is
// built from strings per row. A person in a register household counts as
// that household (its ordinal); anyone else as a household of their own:
// graph nodes after the households, persons outside the graph after the
// nodes.
func (e *env) paymentHouseholds(in paymentsIn, node []int32) paymentGroups {
	n := len(node)
	gid := make([]int32, n)
	type groupHH struct{ group, hh int32 }
	am := accountMonths{acctIdx: make(map[string]int32)}
	seen := make(map[groupHH]struct{}) // households after the first of a group
	var households, firstHH []int32    // per group
	outside := map[string]int32{}
	nhh, nnodes := int32(e.g.Households()), int32(e.g.Len())
	prevAcct, prevA := "", int32(-1)
	for i := 0; i < n; i++ {
		gid[i] = -1
		if in.account.IsNull(i) {
			continue
		}
		if a := in.account.Value(i); prevA < 0 || a != prevAcct { // an account's payments mostly come together
			x, ok := am.acctIdx[a]
			if !ok {
				x = int32(len(am.acctIdx))
				am.acctIdx[a] = x
			}
			prevAcct, prevA = a, x
		}
		g, isNew := am.group(prevA, civil.Date(in.paidOn.Value(i)).Month())
		if isNew {
			households = append(households, 0)
			firstHH = append(firstHH, -1)
		}
		gid[i] = g
		var hh int32
		switch nd := node[i]; {
		case nd >= 0 && e.g.Household(nd) != "":
			hh = e.g.HouseholdOrdinal(nd)
		case nd >= 0:
			hh = nhh + nd
		default:
			p := in.person.Value(i)
			x, ok := outside[p]
			if !ok {
				x = nhh + nnodes + int32(len(outside))
				outside[p] = x
			}
			hh = x
		}
		// most groups hold one household: only a second one goes to the map
		switch {
		case households[g] == 0:
			households[g], firstHH[g] = 1, hh
		case hh == firstHH[g]:
		default:
			if _, ok := seen[groupHH{g, hh}]; !ok {
				seen[groupHH{g, hh}] = struct{}{}
				households[g]++
			}
		}
	}
	return paymentGroups{gid: gid, households: households}
}
