package gen

import (
	"math/rand/v2"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/money"
)

// noDate marks an absent date (alive, in office, still receiving, posted).
const noDate civil.Date = -1 << 31

type person struct {
	id      string
	name    string
	male    bool
	birth   civil.Date
	hh      int32
	rel     string
	death   civil.Date
	cadre   bool // holds or held a cadre post: never a baseline beneficiary
	benef   bool // covered by a case
	planted bool // used by a planting: not picked again
}

type household struct {
	id      string
	members []int32 // members[0] is the head
}

type cadre struct {
	p          int32
	role       string
	start, end civil.Date
}

type kinRow struct {
	a, b int32
	rel  string // what b is to a
}

type member struct {
	p      int32
	amount money.Fen
	ended  civil.Date
	holder int32 // account holder of this member's payments
}

type caseT struct {
	id, program       string
	applied, approved civil.Date
	members           []*member
	handler           int32
	filed             bool
}

type payment struct {
	id     string
	c      *caseT
	m      *member
	period civil.Month
	amount money.Fen
	paid   civil.Date
	holder int32
}

type entry struct {
	date     civil.Date
	seq      int32
	voucher  string
	cash, in bool
	amount   money.Fen
	cat      string
	cp, sum  string
	handler  int32
	approver int32
	id       string
}

type disclosure struct {
	id, item, period string
	posted, removed  civil.Date
	amount           money.Fen
	hasAmount        bool
}

// expect is one finding a planting must cause; entry subjects are resolved
// once the journal is sorted and numbered.
type expect struct {
	rule string
	e    *entry
	subj string
}

type village struct {
	cfg  *Config
	idx  int
	r    *rand.Rand
	g    geo
	kind map[string]bool // planted kinds

	persons []person
	hhs     []household
	cadres  []cadre
	kin     []kinRow
	cases   []*caseT
	pays    []*payment
	ledger  []*entry
	discl   []*disclosure
	exp     []expect

	idCount  map[int64]uint8
	nextCase int
	nextPay  int
	nextDis  int
	nextVch  int
	cashSim  cashState
	cashPlan []*cashPlanting
	major    *majorState
}

func (v *village) expectSubj(rule, subj string) {
	v.exp = append(v.exp, expect{rule: rule, subj: subj})
}
func (v *village) expectEntry(rule string, e *entry) {
	v.exp = append(v.exp, expect{rule: rule, e: e})
}

// generateVillage builds, plants and serializes village i.
func generateVillage(cfg *Config, i int) *villageOut {
	v := &village{cfg: cfg, idx: i, r: villageRand(cfg.Seed, i), g: geoFor(i), idCount: map[int64]uint8{}}
	v.kind = choosePlantings(v)
	v.buildPersons()
	v.buildCadres()
	v.buildKinship()
	v.buildCases()
	v.buildDeaths()
	after := v.plantRelative() // cases, persons, kinship; returns payment-phase work
	v.prepareDisclosure()
	v.buildPayments()
	for _, f := range after {
		f()
	}
	v.planCash()
	v.buildLedger()
	v.finishCash()
	v.buildDisclosures()
	v.plantDisclosure()
	v.numberLedger()
	v.buildMajor()
	return v.serialize()
}
