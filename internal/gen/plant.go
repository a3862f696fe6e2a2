package gen

// Planting kinds. Most are named after the rule they are built to trigger;
// the variants say how (UNBANKED-NEVER: never banked, critical; BAD-BIRTH: a
// valid check digit but a birth_date that disagrees with the ID).
var (
	cashKinds       = []string{"CASH-ZUOZHI", "CASH-LARGE", "CASH-SPLIT", "CASH-HANDLER", "CASH-UNBANKED", "CASH-OVER-LIMIT", "CASH-UNBANKED-NEVER"}
	disclosureKinds = []string{"DIS-MISSING", "DIS-LATE", "DIS-SHORT", "DIS-NO-NOTICE", "DIS-NOTICE-SHORT", "DIS-MISMATCH"}
	relativeKinds   = []string{"REL-SELF", "REL-KIN", "REL-KIN-FILED", "REL-HANDLER", "REL-ACCOUNT", "REL-SHARED-ACCOUNT", "REL-DECEASED", "REL-DOUBLE", "DQ-BAD-ID", "DQ-BAD-BIRTH"}
)

// fixturePlan is the hand-chosen planted set of fixtures/shizhong, by
// village index (see fixtureVillages). Villages 7-9 and 17-19 stay clean.
var fixturePlan = map[int][]string{
	0:  {"CASH-ZUOZHI", "DIS-MISMATCH"},             // 牛桥村
	1:  {"CASH-LARGE", "DIS-MISSING"},               // 史家村
	2:  {"CASH-SPLIT", "DIS-LATE"},                  // 高石村
	3:  {"CASH-HANDLER", "DIS-SHORT"},               // 黄桷村
	4:  {"CASH-UNBANKED", "DIS-NO-NOTICE"},          // 石燕村
	5:  {"CASH-UNBANKED-NEVER", "DIS-NOTICE-SHORT"}, // 大坡村
	6:  {"CASH-OVER-LIMIT"},                         // 玉溪社区
	10: {"REL-SELF", "REL-ACCOUNT"},                 // 红牌坊村
	11: {"REL-KIN", "REL-SHARED-ACCOUNT"},           // 永安村
	12: {"REL-KIN-FILED", "REL-DECEASED"},           // 尖山村
	13: {"REL-HANDLER", "REL-DOUBLE"},               // 大佛寺村
	14: {"DQ-BAD-ID", "DQ-BAD-BIRTH"},               // 石河村
	15: {"MEITANGWAN"},                              // 梅堂湾村
	// 朝阳村: several families at once, to show plantings do not interfere.
	16: {"CASH-LARGE", "CASH-SPLIT", "CASH-HANDLER", "CASH-UNBANKED", "DIS-LATE", "DIS-MISMATCH", "REL-KIN", "REL-DECEASED"},
}

// choosePlantings decides what village v gets: the fixed plan in fixture
// mode, otherwise each kind independently with probability AnomalyRate.
// It draws from the village stream first, so the choice is deterministic.
func choosePlantings(v *village) map[string]bool {
	k := map[string]bool{}
	if v.cfg.Fixture {
		for _, s := range fixturePlan[v.idx] {
			k[s] = true
		}
		return k
	}
	if v.cfg.AnomalyRate <= 0 {
		return k
	}
	for _, list := range [][]string{cashKinds, disclosureKinds, relativeKinds} {
		for _, s := range list {
			if v.r.Float64() < v.cfg.AnomalyRate {
				k[s] = true
			}
		}
	}
	return k
}
