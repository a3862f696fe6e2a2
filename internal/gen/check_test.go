package gen

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/money"
)

// This file is an independent, deliberately plain re-implementation of the
// rules of domain.md over the written CSV files. The tests compare what it
// finds with expected.csv: anything it finds that was not planted is a hole
// in the clean baseline, anything planted it does not find is a planting
// that does not do what it says.

type rows []map[string]string

func readTable(t *testing.T, dir, name string) rows {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, name+".csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out rows
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

func date(t *testing.T, s string) civil.Date {
	t.Helper()
	d, err := civil.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func fen(t *testing.T, s string) money.Fen {
	t.Helper()
	f, err := money.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func validID(id, birth string) bool {
	if len(id) != 18 {
		return false
	}
	for i := 0; i < 17; i++ {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	if checkDigit([]byte(id)) != id[17] {
		return false
	}
	return id[6:14] == strings.ReplaceAll(birth, "-", "")
}

var closeRel = map[string]bool{"spouse": true, "parent": true, "child": true, "sibling": true, "grandparent": true, "grandchild": true, "parent_in_law": true, "child_in_law": true, "sibling_in_law": true}

// refCheck returns the findings "rule,subject" of the dataset in dir.
func refCheck(t *testing.T, dir string, asOf civil.Date) map[string]bool {
	t.Helper()
	got := map[string]bool{}
	add := func(rule, subj string) { got[rule+","+subj] = true }

	persons := map[string]map[string]string{}
	for _, p := range readTable(t, dir, "persons") {
		persons[p["person_id"]] = p
	}
	type term struct {
		village, role string
		from, to      civil.Date
	}
	cadres := map[string][]term{}
	for _, c := range readTable(t, dir, "cadres") {
		to := asOf
		if c["term_end"] != "" {
			to = date(t, c["term_end"])
		}
		cadres[c["person_id"]] = append(cadres[c["person_id"]], term{c["village_id"], c["role"], date(t, c["term_start"]), to})
	}
	roleOn := func(p, village string, d civil.Date, roles ...string) bool {
		for _, tm := range cadres[p] {
			if tm.village == village && tm.from <= d && d <= tm.to {
				for _, r := range roles {
					if tm.role == r {
						return true
					}
				}
			}
		}
		return false
	}
	cadreDuring := func(p, village string, from, to civil.Date) bool {
		for _, tm := range cadres[p] {
			if tm.village == village && tm.from <= to && from <= tm.to {
				return true
			}
		}
		return false
	}
	// close relatives: one household (any two members) or kinship either way
	rel := map[string]map[string]bool{}
	link := func(a, b string) {
		if rel[a] == nil {
			rel[a] = map[string]bool{}
		}
		rel[a][b] = true
	}
	byHH := map[string][]string{}
	for id, p := range persons {
		byHH[p["household_id"]] = append(byHH[p["household_id"]], id)
	}
	for _, ms := range byHH {
		for _, a := range ms {
			for _, b := range ms {
				if a != b {
					link(a, b)
				}
			}
		}
	}
	for _, k := range readTable(t, dir, "kinship") {
		if closeRel[k["relation"]] {
			link(k["person_id"], k["relative_id"])
			link(k["relative_id"], k["person_id"])
		}
	}

	// ---- cash ----
	ledger := readTable(t, dir, "ledger")
	byVillage := map[string]rows{}
	var villages []string
	for _, e := range ledger {
		v := e["village_id"]
		if byVillage[v] == nil {
			villages = append(villages, v)
		}
		byVillage[v] = append(byVillage[v], e)
	}
	start := map[string]civil.Date{}
	for _, v := range villages {
		es := byVillage[v]
		sort.SliceStable(es, func(i, j int) bool { return es[i]["date"] < es[j]["date"] })
		for _, e := range es {
			if e["category"] == "opening" {
				start[v] = date(t, e["date"])
				break
			}
		}
		// balances, pools, matching
		type rec struct {
			id       string
			due      civil.Date
			left     money.Fen
			lateLeft money.Fen // unmatched by the deadline
		}
		var recs []*rec
		var S, R, bal money.Fen
		over := false
		day := start[v]
		closeDay := func(d civil.Date) {
			if bal < 0 {
				t.Errorf("%s: negative cash balance on %s", v, d)
			}
			if bal > cashLimit {
				if !over {
					add("CASH-OVER-LIMIT", "village-day:"+v+"/"+d.String())
				}
				over = true
			} else {
				over = false
			}
		}
		for _, e := range es {
			d := date(t, e["date"])
			for ; day < d; day++ {
				closeDay(day)
				for _, r := range recs {
					if r.due == day {
						r.lateLeft = r.left
					}
				}
			}
			if e["account"] != "cash" {
				continue
			}
			amt := fen(t, e["amount"])
			cat := e["category"]
			if (cat == "collection" || cat == "income" || cat == "deposit") && !roleOn(e["handled_by"], v, d, "cashier", "accountant") {
				add("CASH-HANDLER", "entry:"+e["entry_id"])
			}
			if e["direction"] == "in" {
				bal += amt
				switch cat {
				case "collection", "income":
					R += amt
					if cat == "collection" {
						recs = append(recs, &rec{id: e["entry_id"], due: d.AddDays(3), left: amt, lateLeft: -1})
					}
				default:
					S += amt
				}
				continue
			}
			bal -= amt
			switch cat {
			case "deposit", "remit":
				x := min(R, amt)
				R -= x
				S -= amt - x
				a := amt
				for _, r := range recs {
					if a == 0 {
						break
					}
					y := min(r.left, a)
					r.left -= y
					a -= y
				}
			case "expense", "subsidy_payout":
				x := min(S, amt)
				S -= x
				if amt > x {
					R -= amt - x
					add("CASH-ZUOZHI", "entry:"+e["entry_id"])
				}
				if amt >= largeCash {
					add("CASH-LARGE", "entry:"+e["entry_id"])
				}
			default:
				S -= amt
			}
		}
		for ; day <= asOf; day++ {
			closeDay(day)
			for _, r := range recs {
				if r.due == day {
					r.lateLeft = r.left
				}
			}
		}
		for _, r := range recs {
			if r.lateLeft > 0 {
				add("CASH-UNBANKED", "entry:"+r.id)
			}
		}
		// CASH-SPLIT
		byCP := map[string]rows{}
		for _, e := range es {
			if e["category"] == "expense" && e["direction"] == "out" && fen(t, e["amount"]) < splitTier {
				byCP[e["counterparty"]] = append(byCP[e["counterparty"]], e)
			}
		}
		for _, l := range byCP {
			for i := 0; i < len(l); {
				d0 := date(t, l[i]["date"])
				j, sum := i, money.Fen(0)
				for ; j < len(l) && date(t, l[j]["date"]) <= d0.AddDays(7); j++ {
					sum += fen(t, l[j]["amount"])
				}
				if j-i >= 2 && sum >= splitTier {
					add("CASH-SPLIT", "entry:"+l[i]["entry_id"])
					i = j
				} else {
					i++
				}
			}
		}
	}

	// ---- disclosure ----
	notices := map[string][]map[string]string{} // village/item/period
	for _, d := range readTable(t, dir, "disclosures") {
		notices[d["village_id"]+"/"+d["item"]+"/"+d["period"]] = append(notices[d["village_id"]+"/"+d["item"]+"/"+d["period"]], d)
		if pd := date(t, d["posted_on"]); pd > asOf {
			t.Errorf("disclosure %s posted after as_of", d["disclosure_id"])
		}
		if d["removed_on"] != "" && date(t, d["removed_on"])-date(t, d["posted_on"]) < 15 {
			add("DIS-SHORT", "disclosure:"+d["disclosure_id"])
		}
	}
	for _, v := range villages {
		y, _, _ := start[v].YMD()
		for ; ; y++ {
			done := false
			for q := 0; q < 4; q++ {
				first := (civil.MonthOf(y, 1) + civil.Month(3*q)).First()
				end := (civil.MonthOf(y, 1) + civil.Month(3*q+3)).First() - 1
				if first < start[v] {
					continue
				}
				if end.AddDays(15) > asOf {
					done = true
					break
				}
				label := string(pad(nil, y, 4)) + "-Q" + string(rune('1'+q))
				for _, item := range []string{"finance", "dibao_roster"} {
					ns := notices[v+"/"+item+"/"+label]
					if len(ns) == 0 {
						add("DIS-MISSING", "obligation:"+v+"/"+item+"/"+label)
						continue
					}
					if date(t, ns[0]["posted_on"]) > end.AddDays(15) {
						add("DIS-LATE", "obligation:"+v+"/"+item+"/"+label)
					}
					if item == "finance" {
						var books money.Fen
						for _, e := range byVillage[v] {
							d := date(t, e["date"])
							if e["direction"] == "out" && d >= first && d <= end && e["category"] != "deposit" && e["category"] != "withdrawal" {
								books += fen(t, e["amount"])
							}
						}
						diff := fen(t, ns[0]["amount_total"]) - books
						if diff < 0 {
							diff = -diff
						}
						if diff > max(books/200, 10000) {
							add("DIS-MISMATCH", "disclosure:"+ns[0]["disclosure_id"])
						}
					}
				}
			}
			if done {
				break
			}
		}
	}

	// ---- relatives ----
	type spell struct {
		program, id string
		from, to    civil.Date
	}
	spells := map[string][]spell{}
	benefs := readTable(t, dir, "beneficiaries")
	for _, b := range benefs {
		p, v := b["person_id"], b["village_id"]
		from, to := date(t, b["approved_on"]), asOf
		if b["ended_on"] != "" {
			to = date(t, b["ended_on"])
		}
		spells[p] = append(spells[p], spell{b["program"], b["case_id"], from, to})
		if notes := notices[v+"/dibao_notice/"+b["case_id"]]; len(notes) == 0 {
			add("DIS-NO-NOTICE", "case:"+b["case_id"])
		} else if from-date(t, notes[0]["posted_on"]) < 7 {
			add("DIS-NOTICE-SHORT", "case:"+b["case_id"])
		}
		if cadreDuring(p, v, from, to) && b["relative_filed"] == "false" {
			add("REL-SELF", "person:"+p)
		}
		for r := range rel[p] {
			if cadreDuring(r, v, from, to) {
				if b["relative_filed"] == "true" {
					add("REL-KIN-FILED", "person:"+p)
				} else {
					add("REL-KIN", "person:"+p)
				}
			}
		}
		if h := b["handled_by"]; h == p || rel[p][h] {
			add("REL-HANDLER", "case:"+b["case_id"])
		}
		if pp, ok := persons[p]; !ok || !validID(p, pp["birth_date"]) {
			add("DQ-BAD-ID", "person:"+p)
		}
	}
	for p, ss := range spells {
		for i := range ss {
			for j := i + 1; j < len(ss); j++ {
				if ss[i].id != ss[j].id && ss[i].from <= ss[j].to && ss[j].from <= ss[i].to {
					add("REL-DOUBLE", "person:"+p)
				}
			}
		}
	}
	type acctMonth struct{ acct, period string }
	groups := map[acctMonth][]map[string]string{}
	for _, pay := range readTable(t, dir, "payments") {
		p, h := pay["person_id"], pay["account_holder_id"]
		if h != p && persons[h]["household_id"] != persons[p]["household_id"] {
			add("REL-ACCOUNT", "payment:"+pay["payment_id"])
		}
		k := acctMonth{pay["account_no"], pay["period"]}
		groups[k] = append(groups[k], pay)
		if dd := persons[p]["death_date"]; dd != "" {
			pm, _ := civil.ParseMonth(pay["period"])
			if pm > date(t, dd).Month()+3 {
				add("REL-DECEASED", "payment:"+pay["payment_id"])
			}
		}
		if date(t, pay["paid_on"]) > asOf {
			t.Errorf("payment %s paid after as_of", pay["payment_id"])
		}
	}
	for _, g := range groups {
		hh := map[string]bool{}
		for _, pay := range g {
			hh[persons[pay["person_id"]]["household_id"]] = true
		}
		if len(hh) >= 2 {
			for _, pay := range g {
				add("REL-SHARED-ACCOUNT", "payment:"+pay["payment_id"])
			}
		}
	}
	majorCheck(t, dir, asOf, add, persons)
	return got
}

func readExpected(t *testing.T, dir string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "expected.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if lines[0] != "rule_id,subject" {
		t.Fatalf("expected.csv header %q", lines[0])
	}
	if !sort.StringsAreSorted(lines[1:]) {
		t.Error("expected.csv is not sorted")
	}
	m := map[string]bool{}
	for _, l := range lines[1:] {
		if m[l] {
			t.Errorf("expected.csv repeats %s", l)
		}
		m[l] = true
	}
	return m
}

// compareFindings reports the difference between the reference checker and
// expected.csv.
func compareFindings(t *testing.T, dir string, asOf civil.Date) map[string]bool {
	t.Helper()
	got, want := refCheck(t, dir, asOf), readExpected(t, dir)
	var extra, missing []string
	for k := range got {
		if !want[k] {
			extra = append(extra, k)
		}
	}
	for k := range want {
		if !got[k] {
			missing = append(missing, k)
		}
	}
	sort.Strings(extra)
	sort.Strings(missing)
	for _, k := range extra {
		t.Errorf("found but not planted: %s", k)
	}
	for _, k := range missing {
		t.Errorf("planted but not found: %s", k)
	}
	return want
}

// majorCheck re-implements the power-list item's rules
// (../shared/power-items.md) plainly, row by row.
func majorCheck(t *testing.T, dir string, asOf civil.Date, add func(rule, subj string), persons map[string]map[string]string) {
	t.Helper()
	r := powerList.Rules
	decisions := readTable(t, dir, powerList.Tables.Decision.Name)
	contracts := readTable(t, dir, powerList.Tables.Contract.Name)
	links := readTable(t, dir, powerList.Tables.Payment.Name)
	cadreRows := readTable(t, dir, "cadres")
	declared := map[[2]string]string{} // either direction: the close sets are closed under inversion
	for _, k := range readTable(t, dir, "kinship") {
		declared[[2]string{k["person_id"], k["relative_id"]}] = k["relation"]
		declared[[2]string{k["relative_id"], k["person_id"]}] = k["relation"]
	}
	num := func(s string) (int, bool) {
		if s == "" {
			return 0, false
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatal(err)
		}
		return n, true
	}
	passes := func(d map[string]string) bool {
		el, ok1 := num(d["eligible"])
		at, ok2 := num(d["attended"])
		ag, ok3 := num(d["agreed"])
		return ok1 && ok2 && ok3 && 2*at > el && 2*ag > at
	}
	type mkey struct{ village, matter string }
	byMatter := map[mkey][]map[string]string{}
	for _, d := range decisions {
		if date(t, d["date"]) > asOf {
			continue
		}
		k := mkey{d["village_id"], d["matter_id"]}
		byMatter[k] = append(byMatter[k], d)
	}
	firstPass := func(k mkey) (civil.Date, bool) {
		var best civil.Date
		ok := false
		for _, d := range byMatter[k] {
			if d["step"] == "resolve" && passes(d) && (!ok || date(t, d["date"]) < best) {
				best, ok = date(t, d["date"]), true
			}
		}
		return best, ok
	}
	first := func(k mkey, step string) (civil.Date, bool) {
		var best civil.Date
		ok := false
		for _, d := range byMatter[k] {
			if d["step"] == step && (!ok || date(t, d["date"]) < best) {
				best, ok = date(t, d["date"]), true
			}
		}
		return best, ok
	}
	var signed []map[string]string
	for _, c := range contracts {
		if date(t, c["signed_on"]) <= asOf {
			signed = append(signed, c)
		}
	}
	for k := range byMatter {
		res, ok := firstPass(k)
		if !ok {
			continue
		}
		for _, s := range []string{"proposal", "consult", "review"} {
			if d, ok := first(k, s); !ok || d > res {
				add(r.Order, "matter:"+k.village+"/"+k.matter)
			}
		}
		if res+7 <= asOf {
			published := false
			for _, d := range byMatter[k] {
				dd := date(t, d["date"])
				published = published || d["step"] == "publish_resolution" && dd >= res && dd <= res+7
			}
			if !published {
				add(r.NotPublished, "matter:"+k.village+"/"+k.matter)
			}
		}
	}
	for _, ds := range byMatter {
		for _, d := range ds {
			if d["step"] == "resolve" && !passes(d) {
				add(r.Quorum, "decision:"+d["decision_id"])
			}
		}
	}
	for _, c := range signed {
		k := mkey{c["village_id"], c["matter_id"]}
		amt, day := fen(t, c["amount"]), date(t, c["signed_on"])
		var matterAmt money.Fen
		for _, d := range byMatter[k] {
			if d["amount"] != "" && c["matter_id"] != "" {
				matterAmt = max(matterAmt, fen(t, d["amount"]))
			}
		}
		res, ok := firstPass(k)
		if (amt >= 5000000 || matterAmt >= 5000000) && (c["matter_id"] == "" || !ok || res > day) {
			add(r.NoDecision, "contract:"+c["contract_id"])
		}
		if c["category"] == "project" && amt >= 10000000 && (c["procurement"] == "direct" || c["procurement"] == "negotiation") {
			add(r.Direct, "contract:"+c["contract_id"])
		}
		// A cadre of the village in office on the day, anyone in their
		// household, or a close declared relative (not grandparents or
		// grandchildren).
		owner := c["counterparty_owner_id"]
		for _, cd := range cadreRows {
			if cd["village_id"] != c["village_id"] || date(t, cd["term_start"]) > day || (cd["term_end"] != "" && date(t, cd["term_end"]) < day) {
				continue
			}
			p := cd["person_id"]
			sameHH := persons[owner] != nil && persons[p] != nil && persons[owner]["household_id"] == persons[p]["household_id"]
			if owner != "" && (owner == p || sameHH || declared[[2]string{p, owner}] != "" && prjClose[declared[[2]string{p, owner}]]) {
				add(r.Related, "contract:"+c["contract_id"])
			}
		}
	}
	// PRJ-SPLIT: any set of qualifying contracts of one owner (or name) and
	// category within 90 days (day 90 included) summing to 100,000.00.
	type skey struct{ village, owner, cat string }
	groups := map[skey][]map[string]string{}
	for _, c := range signed {
		if c["procurement"] == "public_bidding" || c["procurement"] == "invited_bidding" || fen(t, c["amount"]) >= 10000000 {
			continue
		}
		o := c["counterparty_owner_id"]
		if o == "" {
			o = c["counterparty"]
		}
		k := skey{c["village_id"], o, c["category"]}
		groups[k] = append(groups[k], c)
	}
	for _, g := range groups {
		for _, a := range g {
			var set []map[string]string
			var sum money.Fen
			for _, b := range g {
				da, db := date(t, a["signed_on"]), date(t, b["signed_on"])
				if db >= da && db <= da+90 {
					set = append(set, b)
					sum += fen(t, b["amount"])
				}
			}
			if len(set) >= 2 && sum >= 10000000 {
				for _, b := range set {
					add(r.Split, "contract:"+b["contract_id"])
				}
			}
		}
	}
	// PRJ-OVERPAY: linked ledger out entries on or before as_of above 110%.
	ledger := map[string]map[string]string{}
	for _, e := range readTable(t, dir, "ledger") {
		ledger[e["entry_id"]] = e
	}
	paid := map[string]money.Fen{}
	for _, l := range links {
		e := ledger[l["entry_id"]]
		if e != nil && e["direction"] == "out" && date(t, e["date"]) <= asOf {
			paid[l["contract_id"]] += fen(t, e["amount"])
		}
	}
	for _, c := range signed {
		if p, ok := paid[c["contract_id"]]; ok && p*10 > fen(t, c["amount"])*11 {
			add(r.Overpay, "contract:"+c["contract_id"])
		}
	}
}

var prjClose = map[string]bool{"spouse": true, "parent": true, "child": true, "sibling": true, "parent_in_law": true, "child_in_law": true, "sibling_in_law": true}
