package gen

import (
	"slices"
	"strconv"

	"github.com/neijiang/xiaowei/internal/money"
)

// The major item's tables (buildMajor fills v.major before serialize).

func (v *village) decisionRows(b []byte) ([]byte, int) {
	m := v.major
	vid := v.g.villageID
	slices.SortStableFunc(m.decisions, func(a, c decisionRow) int { return int(a.date - c.date) })
	for _, d := range m.decisions {
		b = append(b, d.id...)
		b = append(b, ',')
		b = append(b, vid...)
		b = append(b, ',')
		b = append(b, d.matter...)
		b = append(b, ',')
		b = field(b, d.name)
		b = append(b, ',')
		b = append(b, d.cat...)
		b = append(b, ',')
		b = money.Append(b, d.amount)
		b = append(b, ',')
		b = append(b, d.step...)
		b = append(b, ',')
		b = dateCell(b, d.date)
		for _, x := range []int{d.eligible, d.attended, d.agreed} {
			b = append(b, ',')
			if d.step == "resolve" {
				b = strconv.AppendInt(b, int64(x), 10)
			}
		}
		b = append(b, '\n')
	}
	return b, len(m.decisions)
}

func (v *village) contractRows(b []byte) ([]byte, int) {
	m := v.major
	vid := v.g.villageID
	for _, c := range m.contracts {
		b = append(b, c.id...)
		b = append(b, ',')
		b = append(b, vid...)
		b = append(b, ',')
		b = append(b, c.matter...)
		b = append(b, ',')
		b = field(b, c.name)
		b = append(b, ',')
		b = append(b, c.cat...)
		b = append(b, ',')
		b = field(b, c.cp)
		b = append(b, ',')
		b = append(b, c.owner...)
		b = append(b, ',')
		b = money.Append(b, c.amount)
		b = append(b, ',')
		b = dateCell(b, c.signed)
		b = append(b, ',')
		b = append(b, c.proc...)
		b = append(b, '\n')
	}
	return b, len(m.contracts)
}

func (v *village) contractPaymentRows(b []byte) ([]byte, int) {
	for _, l := range v.major.links {
		b = append(b, l[0]...)
		b = append(b, ',')
		b = append(b, l[1]...)
		b = append(b, '\n')
	}
	return b, len(v.major.links)
}
