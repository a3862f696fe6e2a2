package views

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/neijiang/xiaowei/internal/table"
)

// seqOp checks an ordered procedure per key.
type seqOp struct {
	keys  [][]int
	order int
	step  int
	steps []string
}

func (b *builder) sequence(v *view, t *table.Table) []arrow.Array {
	op := v.seq
	gid, first := groups(t, op.keys)
	ns, ng := len(op.steps), len(first)
	firstOn, counted := firstSteps(op, t, gid, ng)
	var out []arrow.Array
	for _, ii := range op.keys {
		out = append(out, coalesceTake(b.mem, t, ii, first))
	}
	for k := 0; k < ns; k++ {
		db := array.NewDate32Builder(b.mem)
		for g := 0; g < ng; g++ {
			if d := firstOn[g*ns+k]; d != 0 {
				db.Append(arrow.Date32(d - 1))
			} else {
				db.AppendNull()
			}
		}
		out = append(out, db.NewArray())
		db.Release()
	}
	missing := array.NewStringBuilder(b.mem)
	count := array.NewInt64Builder(b.mem)
	order := array.NewBooleanBuilder(b.mem)
	rows := array.NewInt64Builder(b.mem)
	defer func() { missing.Release(); count.Release(); order.Release(); rows.Release() }()
	var sb strings.Builder
	for g := 0; g < ng; g++ {
		sb.Reset()
		nm := int64(0)
		late := false
		maxSeen := int32(0)
		for k := 0; k < ns; k++ {
			d := firstOn[g*ns+k]
			if d == 0 {
				if nm > 0 {
					sb.WriteByte(',')
				}
				sb.WriteString(op.steps[k])
				nm++
				continue
			}
			if d < maxSeen {
				late = true
			}
			maxSeen = max(maxSeen, d)
		}
		if nm == 0 {
			missing.AppendNull()
		} else {
			missing.Append(sb.String())
		}
		count.Append(nm)
		order.Append(late)
		rows.Append(counted[g])
	}
	return append(out, missing.NewArray(), count.NewArray(), order.NewArray(), rows.NewArray())
}

// firstSteps finds, per group and step, the date of the step's first
// occurrence (firstOn[g*steps+k], date+1; 0 = none) and counts the group's
// rows naming a step.
func firstSteps(op *seqOp, t *table.Table, gid []int32, ng int) (firstOn []int32, counted []int64) {
	ns := len(op.steps)
	stepIdx := make(map[string]int, ns)
	for i, s := range op.steps {
		stepIdx[s] = i
	}
	steps := t.Rec.Column(op.step).(*array.String)
	dates := t.Rec.Column(op.order).(*array.Date32)
	firstOn = make([]int32, ng*ns) // date+1; 0 = none
	counted = make([]int64, ng)
	for i, g := range gid {
		if g < 0 || steps.IsNull(i) {
			continue
		}
		k, ok := stepIdx[steps.Value(i)]
		if !ok {
			continue
		}
		counted[g]++
		if dates.IsNull(i) {
			continue
		}
		d := int32(dates.Value(i)) + 1
		if s := &firstOn[int(g)*ns+k]; *s == 0 || d < *s {
			*s = d
		}
	}
	return firstOn, counted
}
