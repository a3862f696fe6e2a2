package gen

import (
	"strconv"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/money"
)

// Rows are appended straight into byte slices: no fmt, no per-cell strings.

func field(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == ',' || c == '"' || c == '\n' || c == '\r' {
			return quoted(b, s)
		}
	}
	return append(b, s...)
}

func quoted(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

func dateCell(b []byte, d civil.Date) []byte {
	if d == noDate {
		return b
	}
	return d.AppendString(b)
}

func monthCell(b []byte, m civil.Month) []byte {
	y, mo := m.YM()
	b = pad(b, y, 4)
	b = append(b, '-')
	return pad(b, int(mo), 2)
}

func (v *village) pid(p int32) string {
	if p < 0 {
		return ""
	}
	return v.persons[p].id
}

// rowWriters append each contract table's rows for one village, in the
// table order of gen.go; each returns the grown buffer and its row count.
var rowWriters = [nTables]func(v *village, b []byte) ([]byte, int){
	tVillages:         (*village).villageRows,
	tPersons:          (*village).personRows,
	tKinship:          (*village).kinshipRows,
	tCadres:           (*village).cadreRows,
	tBenef:            (*village).beneficiaryRows,
	tPayments:         (*village).paymentRows,
	tLedger:           (*village).ledgerRows,
	tDisclosures:      (*village).disclosureRows,
	tDecisions:        (*village).decisionRows,
	tContracts:        (*village).contractRows,
	tContractPayments: (*village).contractPaymentRows,
}

// serialize writes the village's rows of every table, and its expected
// findings, into a pooled buffer set.
func (v *village) serialize() *villageOut {
	o := getOut()
	for t, w := range rowWriters {
		var n int
		o.buf[t], n = w(v, o.buf[t])
		o.rows[t] += int64(n)
	}
	for _, x := range v.exp {
		s := x.subj
		if x.e != nil {
			s = "entry:" + x.e.id
		}
		o.exp = append(o.exp, x.rule+","+s)
	}
	return o
}

func (v *village) villageRows(b []byte) ([]byte, int) {
	for _, s := range []string{v.g.villageID, v.g.villageName, v.g.townID, v.g.townName, v.g.countyID} {
		b = field(b, s)
		b = append(b, ',')
	}
	b = field(b, v.g.countyName)
	return append(b, '\n'), 1
}

func (v *village) personRows(b []byte) ([]byte, int) {
	vid := v.g.villageID
	for i := range v.persons {
		p := &v.persons[i]
		b = append(b, p.id...)
		b = append(b, ',')
		b = field(b, p.name)
		if p.male {
			b = append(b, ",M,"...)
		} else {
			b = append(b, ",F,"...)
		}
		b = dateCell(b, p.birth)
		b = append(b, ',')
		b = append(b, v.hhs[p.hh].id...)
		b = append(b, ',')
		b = append(b, p.rel...)
		b = append(b, ',')
		b = append(b, vid...)
		b = append(b, ',')
		b = dateCell(b, p.death)
		b = append(b, '\n')
	}
	return b, len(v.persons)
}

func (v *village) kinshipRows(b []byte) ([]byte, int) {
	for _, k := range v.kin {
		b = append(b, v.pid(k.a)...)
		b = append(b, ',')
		b = append(b, v.pid(k.b)...)
		b = append(b, ',')
		b = append(b, k.rel...)
		b = append(b, '\n')
	}
	return b, len(v.kin)
}

func (v *village) cadreRows(b []byte) ([]byte, int) {
	vid := v.g.villageID
	for _, c := range v.cadres {
		b = append(b, v.pid(c.p)...)
		b = append(b, ',')
		b = append(b, vid...)
		b = append(b, ',')
		b = append(b, c.role...)
		b = append(b, ',')
		b = dateCell(b, c.start)
		b = append(b, ',')
		b = dateCell(b, c.end)
		b = append(b, '\n')
	}
	return b, len(v.cadres)
}

// beneficiaryRows writes one row per case member.
func (v *village) beneficiaryRows(b []byte) ([]byte, int) {
	vid := v.g.villageID
	n := 0
	for _, c := range v.cases {
		for _, m := range c.members {
			b = append(b, c.id...)
			b = append(b, ',')
			b = append(b, c.program...)
			b = append(b, ',')
			b = append(b, v.pid(m.p)...)
			b = append(b, ',')
			b = append(b, vid...)
			b = append(b, ',')
			b = dateCell(b, c.applied)
			b = append(b, ',')
			b = dateCell(b, c.approved)
			b = append(b, ',')
			b = dateCell(b, m.ended)
			b = append(b, ',')
			b = money.Append(b, m.amount)
			b = append(b, ',')
			b = append(b, v.pid(c.handler)...)
			b = append(b, ',')
			b = strconv.AppendBool(b, c.filed)
			b = append(b, '\n')
			n++
		}
	}
	return b, n
}

func (v *village) paymentRows(b []byte) ([]byte, int) {
	for _, p := range v.pays {
		b = append(b, p.id...)
		b = append(b, ',')
		b = append(b, p.c.id...)
		b = append(b, ',')
		b = append(b, v.pid(p.m.p)...)
		b = append(b, ',')
		b = append(b, p.c.program...)
		b = append(b, ',')
		b = monthCell(b, p.period)
		b = append(b, ',')
		b = money.Append(b, p.amount)
		b = append(b, ',')
		b = dateCell(b, p.paid)
		b = append(b, ',')
		b = append(b, accountNo(v.idx, p.holder)...)
		b = append(b, ',')
		b = append(b, v.pid(p.holder)...)
		b = append(b, '\n')
	}
	return b, len(v.pays)
}

func (v *village) ledgerRows(b []byte) ([]byte, int) {
	vid := v.g.villageID
	for _, e := range v.ledger {
		b = append(b, e.id...)
		b = append(b, ',')
		b = append(b, vid...)
		b = append(b, ',')
		b = dateCell(b, e.date)
		b = append(b, ',')
		b = append(b, e.voucher...)
		if e.cash {
			b = append(b, ",cash,"...)
		} else {
			b = append(b, ",bank,"...)
		}
		if e.in {
			b = append(b, "in,"...)
		} else {
			b = append(b, "out,"...)
		}
		b = money.Append(b, e.amount)
		b = append(b, ',')
		b = append(b, e.cat...)
		b = append(b, ',')
		b = field(b, e.cp)
		b = append(b, ',')
		b = field(b, e.sum)
		b = append(b, ',')
		b = append(b, v.pid(e.handler)...)
		b = append(b, ',')
		b = append(b, v.pid(e.approver)...)
		b = append(b, '\n')
	}
	return b, len(v.ledger)
}

func (v *village) disclosureRows(b []byte) ([]byte, int) {
	vid := v.g.villageID
	for _, d := range v.discl {
		b = append(b, d.id...)
		b = append(b, ',')
		b = append(b, vid...)
		b = append(b, ',')
		b = append(b, d.item...)
		b = append(b, ',')
		b = field(b, d.period)
		b = append(b, ',')
		b = dateCell(b, d.posted)
		b = append(b, ',')
		b = dateCell(b, d.removed)
		b = append(b, ',')
		if d.hasAmount {
			b = money.Append(b, d.amount)
		}
		b = append(b, '\n')
	}
	return b, len(v.discl)
}
