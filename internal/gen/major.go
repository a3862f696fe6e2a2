package gen

import (
	_ "embed"
	"math/rand/v2"

	"go.yaml.in/yaml/v3"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/money"
)

// The power-list item 村级重大事项决策 and village contracts: major matters
// pass the four deliberations and two disclosures (四议两公开) before their
// contracts are signed and paid. Every village gets 1–4 ordinary matters a
// year, each with its steps, one contract carrying it out and ledger bank
// payments linked to that contract; plantings add one case of each rule of
// the item and its hard negatives.
//
// The item's names come from powerlist.yaml. Its rows draw on a stream of
// their own (not the village stream), so adding the item left the
// contract's tables byte-identical.

//go:embed powerlist.yaml
var powerListYAML []byte

type plTable struct {
	Name   string `yaml:"name"`
	Header string `yaml:"header"`
}

var powerList = func() (pl struct {
	Tables struct {
		Decision plTable `yaml:"decision"`
		Contract plTable `yaml:"contract"`
		Payment  plTable `yaml:"payment"`
	} `yaml:"tables"`
	Rules struct {
		NoDecision   string `yaml:"no_decision"`
		Order        string `yaml:"order"`
		Quorum       string `yaml:"quorum"`
		NotPublished string `yaml:"not_published"`
		Split        string `yaml:"split"`
		Direct       string `yaml:"direct"`
		Related      string `yaml:"related"`
		Overpay      string `yaml:"overpay"`
	} `yaml:"rules"`
}) {
	if err := yaml.Unmarshal(powerListYAML, &pl); err != nil {
		panic("gen: powerlist.yaml: " + err.Error())
	}
	return pl
}()

// majorHardNeg plants the item's hard negatives: cases a correct
// implementation must leave alone.
const majorHardNeg = "major-hard-negatives"

// majorKinds are the item's planting kinds: its rule ids and the negatives.
func majorKinds() []string {
	r := powerList.Rules
	return []string{r.NoDecision, r.Order, r.Quorum, r.NotPublished, r.Split, r.Direct, r.Related, r.Overpay, majorHardNeg}
}

// fixtureMajor plants the item in the fixture's otherwise clean villages.
func fixtureMajor(idx int) []string {
	r := powerList.Rules
	switch idx {
	case 7: // 五里店社区
		return []string{r.NoDecision, r.Quorum}
	case 8: // 桂湖村
		return []string{r.Order, r.NotPublished}
	case 9: // 新桥村
		return []string{r.Split, r.Direct}
	case 17: // 金鹅村
		return []string{r.Related, r.Overpay}
	case 18: // 双河村
		return []string{majorHardNeg}
	}
	return nil
}

type decisionRow struct {
	id, matter, name, cat, step string
	amount                      money.Fen
	date                        civil.Date
	eligible, attended, agreed  int // 0 = empty
}

type contractRow struct {
	id, matter, name, cat, cp, owner, proc string
	amount                                 money.Fen
	signed                                 civil.Date
}

type majorState struct {
	r         *rand.Rand
	kinds     map[string]bool
	decisions []decisionRow
	contracts []contractRow
	links     [][2]string // entry_id, contract_id
	linked    map[*entry]bool
	nMatter   int
	nDec      int
	nCon      int
	nOwner    int
	failed    string // the last failed vote's decision_id
}

var matterNames = []struct{ name, cat, ccat string }{
	{"村道硬化工程", "project", "project"}, {"村活动室维修", "project", "project"}, {"山坪塘整治", "project", "project"},
	{"集体厂房出租", "asset", "lease"}, {"集体林地承包", "asset", "lease"}, {"集体发展资金入股", "fund", "service"},
	{"人居环境整治", "project", "project"}, {"高标准农田配套", "project", "project"},
}

var contractors = []string{"内江市兴农建筑劳务有限公司", "内江市安居建材有限公司", "市中区宏达建筑队", "内江市川南路桥有限公司",
	"市中区绿源园林工程部", "内江市永盛物业管理有限公司", "市中区鑫达运输队", "内江市华瑞水利工程有限公司"}

// buildMajor writes the item after the journal is numbered (payments link
// to ledger entry ids).
func (v *village) buildMajor() {
	m := &majorState{r: rand.New(rand.NewPCG(uint64(v.cfg.Seed)^0x6d616a6f72, uint64(v.idx)*0x9E3779B97F4A7C15+7)), kinds: map[string]bool{}, linked: map[*entry]bool{}}
	v.major = m
	if v.cfg.Fixture {
		for _, k := range fixtureMajor(v.idx) {
			m.kinds[k] = true
		}
	} else if v.cfg.AnomalyRate > 0 {
		for _, k := range majorKinds() {
			if m.r.Float64() < v.cfg.AnomalyRate {
				m.kinds[k] = true
			}
		}
	}
	span := int(v.cfg.AsOf - v.cfg.Start)
	years := float64(span) / 365
	n := max(1, int(years*float64(1+m.r.IntN(4))+0.5))
	for range n {
		v.ordinaryMatter(v.randStart(span), 0)
	}
	r := powerList.Rules
	if m.kinds[r.NoDecision] {
		// Signed 1-5 days before its resolve.
		c := v.ordinaryMatter(v.randStart(span), 1+m.r.IntN(5))
		v.expectSubj(r.NoDecision, "contract:"+c.id)
	}
	if m.kinds[r.Order] {
		mid, _ := v.matterSteps(v.randStart(span), stepOpts{skipReview: true})
		v.expectSubj(r.Order, "matter:"+v.g.villageID+"/"+mid)
	}
	if m.kinds[r.Quorum] {
		// A failed vote, then a passing one before signing: only the failed
		// vote is a finding (low).
		mid, res := v.matterSteps(v.randStart(span), stepOpts{failFirst: true})
		v.contractFor(mid, res+1+civil.Date(m.r.IntN(10)), "")
		v.expectSubj(r.Quorum, "decision:"+m.failed)
	}
	if m.kinds[r.NotPublished] {
		mid, _ := v.matterSteps(v.randStart(span), stepOpts{publishDay: 8})
		v.expectSubj(r.NotPublished, "matter:"+v.g.villageID+"/"+mid)
	}
	if m.kinds[r.Split] {
		// Three contracts with one owner within 90 days summing to exactly
		// 100,000.00, each below 50,000.00 (no decision needed).
		d := v.randBefore(span, 95)
		a := money.Fen(3000000 + m.r.IntN(600000))
		b := money.Fen(3000000 + m.r.IntN(600000))
		owner, cp := v.ownerID(), contractors[m.r.IntN(len(contractors))]
		for k, amt := range []money.Fen{a, b, 10000000 - a - b} {
			day := d + civil.Date([]int{0, 10 + m.r.IntN(30), 41 + m.r.IntN(50)}[k])
			c := v.addContract("", "零星维修工程", "project", cp, owner, "direct", amt, day)
			v.expectSubj(r.Split, "contract:"+c.id)
		}
	}
	if m.kinds[r.Direct] {
		mid, res := v.matterSteps(v.randStart(span), stepOpts{amount: money.Fen(10000000 + m.r.IntN(20000000)), project: true})
		c := v.contractFor(mid, res+1, "direct")
		v.expectSubj(r.Direct, "contract:"+c.id)
	}
	if m.kinds[r.Related] {
		if p, ok := v.cadreKin(false); ok {
			day := v.randStart(span)
			c := v.addContract("", "保洁服务", "service", v.persons[p].name, v.persons[p].id, "direct", money.Fen(1000000+m.r.IntN(3000000)), day)
			v.expectSubj(r.Related, "contract:"+c.id)
		}
	}
	if m.kinds[r.Overpay] {
		// Linked payments just over 110% of the contract amount.
		if c, ok := v.overpaid(span, false); ok {
			v.expectSubj(r.Overpay, "contract:"+c.id)
		}
	}
	if m.kinds[majorHardNeg] {
		v.majorNegatives(span)
	}
}
