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

func (v *village) serialize() *villageOut {
	o := getOut()
	vid := v.g.villageID
	row := func(t int, b []byte) { o.buf[t] = append(b, '\n'); o.rows[t]++ }

	b := o.buf[tVillages]
	for _, s := range []string{vid, v.g.villageName, v.g.townID, v.g.townName, v.g.countyID} {
		b = field(b, s)
		b = append(b, ',')
	}
	b = field(b, v.g.countyName)
	row(tVillages, b)

	b = o.buf[tPersons]
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
		o.rows[tPersons]++
	}
	o.buf[tPersons] = b

	b = o.buf[tKinship]
	for _, k := range v.kin {
		b = append(b, v.pid(k.a)...)
		b = append(b, ',')
		b = append(b, v.pid(k.b)...)
		b = append(b, ',')
		b = append(b, k.rel...)
		b = append(b, '\n')
		o.rows[tKinship]++
	}
	o.buf[tKinship] = b

	b = o.buf[tCadres]
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
		o.rows[tCadres]++
	}
	o.buf[tCadres] = b

	b = o.buf[tBenef]
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
			o.rows[tBenef]++
		}
	}
	o.buf[tBenef] = b

	b = o.buf[tPayments]
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
		o.rows[tPayments]++
	}
	o.buf[tPayments] = b

	b = o.buf[tLedger]
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
		o.rows[tLedger]++
	}
	o.buf[tLedger] = b

	b = o.buf[tDisclosures]
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
		o.rows[tDisclosures]++
	}
	o.buf[tDisclosures] = b

	for _, x := range v.exp {
		s := x.subj
		if x.e != nil {
			s = "entry:" + x.e.id
		}
		o.exp = append(o.exp, x.rule+","+s)
	}
	return o
}
