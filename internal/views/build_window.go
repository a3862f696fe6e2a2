package views

import (
	"fmt"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/table"
)

// windowOp aggregates each row's time window within its group.
type windowOp struct {
	keys      [][]int
	order     int
	days      int64
	daysParam string
	per       string
	aggs      []agg
	best      int // index into aggs; -1 = the row count
}

func (b *builder) window(v *view, t *table.Table) []arrow.Array {
	op := v.window
	n := t.Len()
	gid, first := groups(t, op.keys)
	dates := t.Rec.Column(op.order).(*array.Date32)
	ws := b.windowSlots(v, t, gid, first, dates)
	slotStart, slotEnd, slotRows, members := ws.start, ws.end, ws.rows, ws.members
	assign := make([]int32, n)
	for i := range assign {
		assign[i] = -1
	}
	nslots := len(slotStart)
	accs := make([]*accum, len(op.aggs))
	for k, a := range op.aggs {
		accs[k] = newAccum(a, t, nslots)
		for _, m := range members {
			accs[k].add(m[0], int(m[1]))
		}
	}
	// Each row takes its heaviest window (by best; ties: the earliest).
	weight := func(s int32) int64 {
		if op.best < 0 {
			return slotRows[s]
		}
		return accs[op.best].ints[s]
	}
	for _, m := range members {
		s, r := m[0], m[1]
		if cur := assign[r]; cur < 0 || weight(s) > weight(cur) {
			assign[r] = s
		}
	}
	out := retainedCols(t)
	startIdx, endIdx := make([]int32, n), make([]int32, n)
	rowsCol := array.NewInt64Builder(b.mem)
	defer rowsCol.Release()
	for i, s := range assign {
		if s < 0 {
			startIdx[i], endIdx[i] = -1, -1
			rowsCol.AppendNull()
			continue
		}
		startIdx[i], endIdx[i] = slotStart[s], slotEnd[s]
		rowsCol.Append(slotRows[s])
	}
	out = append(out, take(b.mem, dates, startIdx), take(b.mem, dates, endIdx), rowsCol.NewArray())
	for _, x := range accs {
		out = append(out, x.emit(b.mem, assign))
	}
	return out
}

func bucket(per string, d civil.Date) int64 {
	if per == "quarter" {
		return quarterOf(d)
	}
	return monthOf(d)
}

func toInt64(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	}
	panic(fmt.Sprintf("views: setting %v (%T) is not a number", v, v))
}

// windows are a window view's slots: one per anchor row (days) or per
// period (per), each with its first and last row and its row count.
type windows struct {
	start, end []int32
	rows       []int64
	members    [][2]int32 // (slot, row) pairs in row order within a slot
}

// windowSlots makes the windows of every group: its rows sorted by date,
// then a window from each row over the next days (or each calendar
// period); days may be a setting, read for the group's first village.
func (b *builder) windowSlots(v *view, t *table.Table, gid, first []int32, dates *array.Date32) windows {
	op := v.window
	// Rows of each group sorted by date (stable: row order breaks ties).
	byGroup := make([][]int32, len(first))
	for i, g := range gid {
		if g >= 0 && dates.IsValid(i) {
			byGroup[g] = append(byGroup[g], int32(i))
		}
	}
	slotStart, slotEnd, slotRows := []int32{}, []int32{}, []int64{}
	var members [][2]int32 // (slot, row) pairs in row order within a slot
	var villages *array.String
	if t.Index("village_id") >= 0 {
		villages = t.Str("village_id")
	}
	for g, rows := range byGroup {
		sort.SliceStable(rows, func(a, c int) bool { return dates.Value(int(rows[a])) < dates.Value(int(rows[c])) })
		days := op.days
		if op.daysParam != "" {
			village := ""
			if villages != nil && villages.IsValid(int(first[g])) {
				village = villages.Value(int(first[g]))
			}
			days = toInt64(b.in.Settings.Get(v.owner.name, op.daysParam, village))
		}
		end := 0
		for a := 0; a < len(rows); {
			lo := a
			var hi int // exclusive
			if op.per != "" {
				p := bucket(op.per, civil.Date(dates.Value(int(rows[a]))))
				hi = a
				for hi < len(rows) && bucket(op.per, civil.Date(dates.Value(int(rows[hi])))) == p {
					hi++
				}
			} else {
				limit := int64(dates.Value(int(rows[a]))) + days
				if end < a {
					end = a
				}
				for end < len(rows) && int64(dates.Value(int(rows[end]))) <= limit {
					end++
				}
				hi = end
			}
			s := int32(len(slotStart))
			slotStart = append(slotStart, rows[lo])
			slotEnd = append(slotEnd, rows[hi-1])
			slotRows = append(slotRows, int64(hi-lo))
			for _, r := range rows[lo:hi] {
				members = append(members, [2]int32{s, r})
			}
			if op.per != "" {
				a = hi
			} else {
				a++
			}
		}
	}
	return windows{start: slotStart, end: slotEnd, rows: slotRows, members: members}
}
