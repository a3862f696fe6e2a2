package subsidy_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/detectors/subsidy"
	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/run"
	"github.com/neijiang/xiaowei/internal/table"
)

const (
	vA = "511002101204" // 史家镇牛桥村
	vB = "511002101205" // same town
)

// data is a small dataset: rows without headers, by table.
type data map[string][]string

func header(name string) string {
	spec, _ := contract.Lookup(name)
	return spec.Header()
}

// evaluate runs the real pipeline (detectors + rules/relative.yaml) and
// returns "RULE subject severity" for the given rules.
func evaluate(t *testing.T, d data, only []string, overrides string) []string {
	t.Helper()
	ctx := context.Background()
	dirs := []string{"../../rules"}
	if overrides != "" { // an override file next to the shipped rules
		f := filepath.Join(t.TempDir(), "override.yaml")
		if err := os.WriteFile(f, []byte(overrides), 0o644); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, f)
	}
	set, err := rules.LoadDirs(dirs)
	if err != nil {
		t.Fatal(err)
	}
	d["villages"] = append(d["villages"], vA+",牛桥村,511002101,史家镇,511002,市中区", vB+",邻村,511002101,史家镇,511002,市中区")
	tables := map[string]*table.Table{}
	for _, spec := range contract.Tables {
		rows, ok := d[spec.Name]
		if !ok && spec.Optional {
			continue
		}
		text := header(spec.Name) + "\n" + strings.Join(rows, "\n") + "\n"
		tb, _, rej, err := load.Table(ctx, spec, spec.Name, strings.NewReader(text), load.Options{})
		if err != nil || len(rej) > 0 {
			t.Fatalf("%s: %v %+v", spec.Name, err, rej)
		}
		tables[spec.Name] = tb
		defer tb.Release()
	}
	m := map[string]bool{}
	for _, id := range only {
		m[id] = true
	}
	ev, err := run.Pipeline(ctx, tables, run.EvalConfig{Rules: set, Only: m, Scope: run.Scope{AsOf: civil.MustParse("2025-06-30")}, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Skipped) > 0 {
		t.Fatalf("skipped: %v", ev.Skipped)
	}
	var out []string
	for _, f := range ev.Result.Findings {
		out = append(out, f.RuleID+" "+f.Subject+" "+string(f.Severity))
	}
	sort.Strings(out)
	return out
}

func person(id, name, hh, rel, village, death string) string {
	return id + "," + name + ",M,1950-01-01," + hh + "," + rel + "," + village + "," + death
}

func cadre(id, village, role, from, to string) string {
	return id + "," + village + "," + role + "," + from + "," + to
}

func case_(id, program, person, village, approved, ended, handler, filed string) string {
	return id + "," + program + "," + person + "," + village + "," + approved + "," + approved + "," + ended + ",500.00," + handler + "," + filed
}

func pay(id, caseID, person, period, acct, holder string) string {
	return id + "," + caseID + "," + person + ",dibao," + period + ",500.00," + period + "-10," + acct + "," + holder
}

var relRules = []string{"REL-SELF", "REL-KIN", "REL-KIN-FILED", "REL-HANDLER"}

func TestBeneficiaryLinks(t *testing.T) {
	base := func() data {
		return data{"persons": {
			person("CAD", "张伟", "H1", "head", vA, ""),
			person("SPO", "李芳", "H1", "spouse", vA, ""),
			person("SIB", "张红", "H2", "head", vA, ""),
			person("NAM", "张伟", "H3", "head", vA, ""), // same name as the cadre, unrelated
			person("OUT", "陈静", "H4", "head", vB, ""),
			person("CLK", "王五", "H5", "head", vA, ""),
		}, "kinship": {"SIB,CAD,sibling"}}
	}
	cases := []struct {
		name      string
		cadres    []string
		ben       []string
		kin       []string
		overrides string
		want      []string
	}{
		{"spouse in the household, not filed", []string{cadre("CAD", vA, "director", "2021-01-01", "")},
			[]string{case_("B1", "dibao", "SPO", vA, "2024-03-01", "", "CLK", "false")}, nil, "",
			[]string{"REL-KIN person:SPO high"}},
		{"declared sibling, filed: low only", []string{cadre("CAD", vA, "director", "2021-01-01", "")},
			[]string{case_("B1", "dibao", "SIB", vA, "2024-03-01", "", "CLK", "true")}, nil, "",
			[]string{"REL-KIN-FILED person:SIB low"}},
		{"relative in another village: nothing by default", []string{cadre("CAD", vB, "director", "2021-01-01", "")},
			[]string{case_("B1", "dibao", "SPO", vA, "2024-03-01", "", "CLK", "false")}, nil, "", nil},
		{"relative in another village of the town, cadre_scope town", []string{cadre("CAD", vB, "director", "2021-01-01", "")},
			[]string{case_("B1", "dibao", "SPO", vA, "2024-03-01", "", "CLK", "false")}, nil,
			"overrides:\n  - town_id: \"511002101\"\n    settings: {subsidy: {cadre_scope: town}}\n",
			[]string{"REL-KIN person:SPO high"}},
		{"term ended the day before the case began: nothing", []string{cadre("CAD", vA, "director", "2021-01-01", "2024-02-29")},
			[]string{case_("B1", "dibao", "SPO", vA, "2024-03-01", "", "CLK", "false")}, nil, "", nil},
		{"term ended on the approval day: overlaps", []string{cadre("CAD", vA, "director", "2021-01-01", "2024-03-01")},
			[]string{case_("B1", "dibao", "SPO", vA, "2024-03-01", "", "CLK", "false")}, nil, "",
			[]string{"REL-KIN person:SPO high"}},
		{"term began after the case ended: nothing", []string{cadre("CAD", vA, "director", "2024-06-02", "")},
			[]string{case_("B1", "dibao", "SPO", vA, "2024-03-01", "2024-06-01", "CLK", "false")}, nil, "", nil},
		{"term began on the case's last day: overlaps", []string{cadre("CAD", vA, "director", "2024-06-01", "")},
			[]string{case_("B1", "dibao", "SPO", vA, "2024-03-01", "2024-06-01", "CLK", "false")}, nil, "",
			[]string{"REL-KIN person:SPO high"}},
		{"term ending after as_of counts as open", []string{cadre("CAD", vA, "director", "2021-01-01", "2026-01-01")},
			[]string{case_("B1", "dibao", "SPO", vA, "2025-03-01", "", "CLK", "false")}, nil, "",
			[]string{"REL-KIN person:SPO high"}},
		{"same-name stranger: nothing", []string{cadre("CAD", vA, "director", "2021-01-01", "")},
			[]string{case_("B1", "dibao", "NAM", vA, "2024-03-01", "", "CLK", "false")}, nil, "", nil},
		{"the cadre themself, not filed", []string{cadre("CAD", vA, "group_leader", "2021-01-01", "")},
			[]string{case_("B1", "dibao", "CAD", vA, "2024-03-01", "", "CLK", "false")}, nil, "",
			[]string{"REL-SELF person:CAD high"}},
		{"the cadre themself, filed: nothing", []string{cadre("CAD", vA, "group_leader", "2021-01-01", "")},
			[]string{case_("B1", "dibao", "CAD", vA, "2024-03-01", "", "CLK", "true")}, nil, "", nil},
		{"handled by the spouse (a cadre): REL-HANDLER and REL-KIN", []string{cadre("CAD", vA, "subsidy_clerk", "2021-01-01", "")},
			[]string{case_("B1", "dibao", "SPO", vA, "2024-03-01", "", "CAD", "false")}, nil, "",
			[]string{"REL-HANDLER case:B1 high", "REL-KIN person:SPO high"}},
		{"handled by themself (no cadre at all)", nil,
			[]string{case_("B1", "dibao", "CLK", vA, "2024-03-01", "", "CLK", "false")}, nil, "",
			[]string{"REL-HANDLER case:B1 high"}},
		{"handled by a same-name stranger: nothing", nil,
			[]string{case_("B1", "dibao", "NAM", vA, "2024-03-01", "", "CAD", "false")}, nil, "", nil},
		{"beneficiary outside the register, matched by ID through kinship", []string{cadre("CAD", vA, "director", "2021-01-01", "")},
			[]string{case_("B1", "dibao", "GHOST", vA, "2024-03-01", "", "CLK", "false")}, []string{"GHOST,CAD,child"}, "",
			[]string{"REL-KIN person:GHOST high"}},
		{"cadre outside the register is still matched as themself", []string{cadre("NOREG", vA, "cashier", "2021-01-01", "")},
			[]string{case_("B1", "dibao", "NOREG", vA, "2024-03-01", "", "CLK", "false")}, nil, "",
			[]string{"REL-SELF person:NOREG high"}},
		{"declared `other` is not a close relation", []string{cadre("CAD", vA, "director", "2021-01-01", "")},
			[]string{case_("B1", "dibao", "NAM", vA, "2024-03-01", "", "CLK", "false")}, []string{"NAM,CAD,other"}, "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := base()
			d["cadres"] = c.cadres
			d["beneficiaries"] = c.ben
			d["kinship"] = append(d["kinship"], c.kin...)
			got := evaluate(t, d, relRules, c.overrides)
			if strings.Join(got, "|") != strings.Join(c.want, "|") {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestPayments(t *testing.T) {
	base := data{
		"persons": {
			person("BEN", "赵一", "H1", "head", vA, ""),
			person("SPO", "钱二", "H1", "spouse", vA, ""),
			person("DEAD", "孙三", "H2", "head", vA, "2025-01-15"),
			person("LATE", "周六", "H5", "head", vA, "2025-07-15"), // dies after as_of
			person("OTH", "李四", "H3", "head", vA, ""),
			person("CSH", "吴五", "H4", "head", vA, ""),
			person("BRO", "赵七", "H6", "head", vA, ""),
		},
		"kinship": {"BEN,BRO,sibling"},
		"cadres":  {cadre("CSH", vA, "cashier", "2021-01-01", "")},
		"beneficiaries": {
			case_("B1", "dibao", "BEN", vA, "2024-01-01", "", "CSH", "false"),
			case_("B1", "dibao", "SPO", vA, "2024-01-01", "", "CSH", "false"),
			case_("B2", "dibao", "DEAD", vA, "2024-01-01", "", "CSH", "false"),
			case_("B3", "dibao", "OTH", vA, "2024-01-01", "", "CSH", "false"),
			case_("B4", "dibao", "LATE", vA, "2024-01-01", "", "CSH", "false"),
		},
		"payments": {
			pay("P1", "B1", "BEN", "2025-01", "A-BEN", "BEN"),    // own account
			pay("P2", "B1", "SPO", "2025-01", "A-BEN", "BEN"),    // spouse's money on the head's card: same household, one household
			pay("P3", "B1", "BEN", "2025-02", "A-CSH", "CSH"),    // cashier's card: high
			pay("P4", "B3", "OTH", "2025-02", "A-CSH", "CSH"),    // and another household's the same month: shared
			pay("P5", "B3", "OTH", "2025-03", "A-CSH", "CSH"),    // alone in March: REL-ACCOUNT only
			pay("P6", "B2", "DEAD", "2025-04", "A-DEAD", "DEAD"), // exactly 3 months after the death month: nothing
			pay("P7", "B2", "DEAD", "2025-05", "A-DEAD", "DEAD"), // 4 months: REL-DECEASED
			pay("P8", "B2", "DEAD", "2025-01", "A-DEAD", "DEAD"), // the death month itself
			pay("P9", "B1", "BEN", "2025-04", "A-BRO", "BRO"),    // brother, another household: medium, relation named
			pay("P10", "B4", "LATE", "2025-06", "A-LATE", "LATE"),
		},
	}
	got := evaluate(t, base, []string{"REL-ACCOUNT", "REL-SHARED-ACCOUNT", "REL-DECEASED"}, "")
	want := []string{
		"REL-ACCOUNT payment:P3 high", "REL-ACCOUNT payment:P4 high", "REL-ACCOUNT payment:P5 high", "REL-ACCOUNT payment:P9 medium",
		"REL-DECEASED payment:P7 high",
		"REL-SHARED-ACCOUNT payment:P3 medium", "REL-SHARED-ACCOUNT payment:P4 medium",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got\n%v\nwant\n%v", got, want)
	}
}

func TestEnrolments(t *testing.T) {
	d := data{
		"persons": {person("A", "甲", "H1", "head", vA, ""), person("B", "乙", "H2", "head", vA, ""),
			person("C", "丙", "H3", "head", vA, ""), person("D", "丁", "H4", "head", vA, "")},
		"beneficiaries": {
			case_("A1", "dibao", "A", vA, "2024-01-01", "", "X", "false"),
			case_("A2", "tekun", "A", vA, "2025-01-01", "", "X", "false"), // dibao + tekun at once
			case_("B1", "dibao", "B", vA, "2024-01-01", "2024-12-31", "X", "false"),
			case_("B2", "tekun", "B", vA, "2025-01-01", "", "X", "false"), // handed over the next day: nothing
			case_("C1", "dibao", "C", vA, "2024-01-01", "2025-01-01", "X", "false"),
			case_("C2", "tekun", "C", vA, "2025-01-01", "", "X", "false"), // one day in both
			case_("D1", "dibao", "D", vA, "2024-01-01", "", "X", "false"),
			case_("D2", "dibao", "D", vA, "2024-06-01", "2024-08-01", "X", "false"), // two dibao cases at once
		},
	}
	got := evaluate(t, d, []string{"REL-DOUBLE"}, "")
	want := []string{"REL-DOUBLE person:A medium", "REL-DOUBLE person:C medium", "REL-DOUBLE person:D medium"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestIDChecks(t *testing.T) {
	const ok, bad = "11010519491231002X", "11010519491231003X"
	d := data{
		"persons": {
			ok + ",甲,F,1949-12-31,H1,head," + vA + ",",
			bad + ",乙,F,1949-12-31,H2,head," + vA + ",",
			"110105194912310021,丙,F,1949-12-31,H3,head," + vA + ",", // check should be X
			"510105195103030000,丁,F,1951-04-03,H4,head," + vA + ",", // placeholder, fixed below
			"11010519491231002x,戊,F,1949-12-31,H5,head," + vA + ",", // lower-case x: the run normalises it to X (internal/ident; DQ-ID-ALTERED reports it), so the ID is valid
		},
	}
	unknown := withCheck("11010519500101003")
	// a valid ID whose embedded birth date differs from the register
	mism := withCheck("51010519510303001")
	d["persons"][3] = mism + ",丁,F,1951-04-03,H4,head," + vA + ","
	d["beneficiaries"] = []string{
		case_("K1", "dibao", ok, vA, "2024-01-01", "", "X", "false"),
		case_("K2", "dibao", bad, vA, "2024-01-01", "", "X", "false"),
		case_("K3", "dibao", "110105194912310021", vA, "2024-01-01", "", "X", "false"),
		case_("K4", "dibao", mism, vA, "2024-01-01", "", "X", "false"),
		case_("K5", "dibao", "11010519491231002x", vA, "2024-01-01", "", "X", "false"),
		case_("K6", "dibao", "110105194912310037", vA, "2024-01-01", "", "X", "false"), // not in the register, and a bad ID: both
		case_("K7", "dibao", unknown, vA, "2024-01-01", "", "X", "false"),              // not in the register, valid ID
	}
	got := evaluate(t, d, []string{"DQ-BAD-ID", "DQ-UNKNOWN-PERSON"}, "")
	want := []string{
		"DQ-BAD-ID person:110105194912310021 medium", "DQ-BAD-ID person:" + bad + " medium",
		"DQ-BAD-ID person:" + mism + " medium", "DQ-UNKNOWN-PERSON person:110105194912310037 medium",
		"DQ-BAD-ID person:110105194912310037 medium", "DQ-UNKNOWN-PERSON person:" + unknown + " medium",
	}
	sort.Strings(want)
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got\n%v\nwant\n%v", got, want)
	}
}

func withCheck(body string) string {
	w := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	s := 0
	for i := 0; i < 17; i++ {
		s += int(body[i]-'0') * w[i]
	}
	return body + string("10X98765432"[s%11])
}

func TestCheckID(t *testing.T) {
	cases := []struct {
		id          string
		format, sum bool
		birth       string
		gender      string
	}{
		{"11010519491231002X", true, true, "1949-12-31", "F"}, // GB 11643's own example
		{"11010519491231003X", true, false, "1949-12-31", "M"},
		{"11010519491231002", false, false, "", ""},
		{"1101051949123100X2", false, false, "", ""},
		{"11010519491332002X", true, false, "", "F"}, // no 32 Dec... and 13th month
		{"", false, false, "", ""},
	}
	for _, c := range cases {
		r := subsidy.CheckID(c.id)
		if r.FormatOK != c.format || r.ChecksumOK != c.sum || r.BirthOK != (c.birth != "") || c.birth != "" && r.Birth.String() != c.birth || r.Gender != c.gender {
			t.Errorf("CheckID(%q) = %+v", c.id, r)
		}
	}
	if n := testing.AllocsPerRun(100, func() { subsidy.CheckID("11010519491231002X") }); n != 0 {
		t.Errorf("CheckID allocates %v times", n)
	}
}

// TestDeterministic: the same tables give the same rows in the same order.
func TestDeterministic(t *testing.T) {
	tabs := synth(20000)
	set, err := rules.LoadDirs([]string{"../../rules"})
	if err != nil {
		t.Fatal(err)
	}
	res, errs := engine.NewSettingsResolver(set, nil, engine.GeographyOf(tabs["villages"]))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	_, d, _ := engine.LookupView(subsidy.ViewLinks)
	want := map[string]bool{}
	for _, v := range d.Views() {
		want[v.Name] = true
	}
	dump := func() string {
		in := engine.NewInput(d, tabs, civil.MustParse("2025-06-30"), 0, 0, want, memory.DefaultAllocator, res)
		out, err := d.Build(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		var sb strings.Builder
		for _, v := range d.Views() {
			tb := out[v.Name]
			if tb.Len() == 0 && v.Name != subsidy.ViewEnrolments {
				t.Errorf("view %s is empty", v.Name)
			}
			sb.WriteString(v.Name)
			for c := range tb.Cols {
				sb.WriteString(tb.Rec.Column(c).String())
			}
			tb.Release()
		}
		return sb.String()
	}
	if a, b := dump(), dump(); a != b {
		t.Error("two builds differ")
	}
}
