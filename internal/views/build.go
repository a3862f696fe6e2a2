package views

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/table"
)

// detector is the views of one rule file.
type detector struct {
	name     string
	file     string
	views    map[string]*view
	order    []*view
	params   map[string]any
	settings []engine.SettingSpec
}

func (d *detector) Name() string                   { return d.name }
func (d *detector) Settings() []engine.SettingSpec { return d.settings }
func (d *detector) Views() []engine.ViewSpec {
	out := make([]engine.ViewSpec, len(d.order))
	for i, v := range d.order {
		out[i] = v.spec
	}
	return out
}

// Build builds the wanted views and what they read, each once per call.
func (d *detector) Build(ctx context.Context, in *engine.Input) (map[string]*table.Table, error) {
	b := &builder{ctx: ctx, in: in, mem: in.Mem, built: map[string]*table.Table{}}
	if b.mem == nil {
		b.mem = memory.DefaultAllocator
	}
	out := map[string]*table.Table{}
	defer func() {
		for name, t := range b.built {
			if out[name] != t {
				t.Release()
			}
		}
	}()
	for _, v := range d.order {
		if !in.Want[v.spec.Name] {
			continue
		}
		t, err := b.view(v)
		if err != nil {
			return nil, err
		}
		out[v.spec.Name] = t
	}
	return out, nil
}

type builder struct {
	ctx   context.Context
	in    *engine.Input
	mem   memory.Allocator
	built map[string]*table.Table // views this call made (released unless returned)
}

// source returns a view's input table (not owned when it is a loaded table).
func (b *builder) source(s source) (*table.Table, error) {
	switch {
	case s.decl != nil:
		return b.view(s.decl)
	case s.det != nil:
		if t := b.built[s.name]; t != nil {
			return t, nil
		}
		got, err := s.det.Build(b.ctx, engine.NewInput(s.det, b.in.Tables, b.in.AsOf, b.in.From, b.in.To, map[string]bool{s.name: true}, b.mem, b.in.Settings))
		if err != nil {
			return nil, fmt.Errorf("view %s: %w", s.name, err)
		}
		for name, t := range got {
			if name != s.name {
				t.Release()
			}
		}
		b.built[s.name] = got[s.name]
		return got[s.name], nil
	}
	t := b.in.Tables[s.name]
	if t == nil {
		return nil, fmt.Errorf("table %s absent", s.name)
	}
	return t, nil
}

func (b *builder) view(v *view) (*table.Table, error) {
	if t := b.built[v.spec.Name]; t != nil {
		return t, nil
	}
	src, err := b.source(v.input)
	if err != nil {
		return nil, err
	}
	t := src
	if v.filter != nil {
		keep, err := v.filter.Select(src, b.in.AsOf, func(village string) map[string]any {
			vals := make(map[string]any, len(v.owner.settings))
			for _, s := range v.owner.settings {
				vals[s.Name] = b.in.Settings.Get(v.owner.name, s.Name, village)
			}
			return vals
		})
		if err != nil {
			return nil, fmt.Errorf("view %s: filter: %w", v.spec.Name, err)
		}
		t, err = filter(b.ctx, src, keep, b.mem)
		if err != nil {
			return nil, fmt.Errorf("view %s: filter: %w", v.spec.Name, err)
		}
		defer t.Release()
	}
	var cols []arrow.Array
	switch {
	case v.lookup != nil:
		cols, err = b.lookup(v, t)
	case v.group != nil:
		cols = b.group(v, t)
	case v.window != nil:
		cols = b.window(v, t)
	case v.seq != nil:
		cols = b.sequence(v, t)
	default:
		for i := range t.Cols {
			a := t.Rec.Column(i)
			a.Retain()
			cols = append(cols, a)
		}
	}
	if err != nil {
		return nil, err
	}
	n := int64(0)
	if len(cols) > 0 {
		n = int64(cols[0].Len())
	}
	rec := array.NewRecordBatch(table.Schema(v.spec.Cols), cols, n)
	for _, c := range cols {
		c.Release()
	}
	out := table.New(v.spec.Name, v.spec.Cols, rec)
	b.built[v.spec.Name] = out
	return out, nil
}

// filter keeps the rows marked true, with Arrow's filter kernel.
func filter(ctx context.Context, t *table.Table, keep []bool, mem memory.Allocator) (*table.Table, error) {
	bb := array.NewBooleanBuilder(mem)
	bb.AppendValues(keep, nil)
	mask := bb.NewBooleanArray()
	bb.Release()
	defer mask.Release()
	rec, err := compute.FilterRecordBatch(compute.WithAllocator(ctx, mem), t.Rec, mask, compute.DefaultFilterOptions())
	if err != nil {
		return nil, err
	}
	return table.New(t.Name, t.Cols, rec.(arrow.RecordBatch)), nil
}

// lookupOp joins the rows of right.
type lookupOp struct {
	right     source
	left      [][]int
	rightKeys [][]int
	inner     bool
	expand    bool
	take      []int // expanded: right columns to take
	aggs      []agg // otherwise: aggregates per match group
}

func (b *builder) lookup(v *view, t *table.Table) ([]arrow.Array, error) {
	op := v.lookup
	r, err := b.source(op.right)
	if err != nil {
		return nil, err
	}
	// Index the input's keys (slots), then stream the looked-up rows past
	// the index: the map holds only the input's distinct keys, and a right
	// row costs one key encoding and one probe, with no allocation, however
	// large the looked-up table (a ledger) is.
	n := t.Len()
	lk := newKeyer(t, op.left)
	slotOf := map[string]int32{}
	match := make([]int32, n)
	for i := 0; i < n; i++ {
		match[i] = -1
		kb, ok := lk.key(i)
		if !ok {
			continue
		}
		s, seen := slotOf[string(kb)]
		if !seen {
			s = int32(len(slotOf))
			slotOf[string(kb)] = s
		}
		match[i] = s
	}
	nslots := len(slotOf)
	rk := newKeyer(r, op.rightKeys)
	rslot := make([]int32, r.Len()) // the slot of each right row, -1 = no input row wants it
	hits := make([]int32, nslots)
	for i := range rslot {
		rslot[i] = -1
		if kb, ok := rk.key(i); ok {
			if s, ok := slotOf[string(kb)]; ok {
				rslot[i] = s
				hits[s]++
			}
		}
	}
	for i, s := range match {
		if s >= 0 && hits[s] == 0 {
			match[i] = -1 // no row to look up: a left row without a match
		}
	}
	var leftRows []int32 // rows of t in the output, in order
	var out []arrow.Array
	if op.expand {
		// Rows of each slot, in right order (CSR).
		start := make([]int32, nslots+1)
		for s := 0; s < nslots; s++ {
			start[s+1] = start[s] + hits[s]
		}
		rows := make([]int32, start[nslots])
		fill := append([]int32(nil), start[:nslots]...)
		for i, s := range rslot {
			if s >= 0 {
				rows[fill[s]] = int32(i)
				fill[s]++
			}
		}
		var rightRows []int32
		for i := 0; i < n; i++ {
			s := match[i]
			if s < 0 {
				if !op.inner {
					leftRows = append(leftRows, int32(i))
					rightRows = append(rightRows, -1)
				}
				continue
			}
			for _, rr := range rows[start[s]:start[s+1]] {
				leftRows = append(leftRows, int32(i))
				rightRows = append(rightRows, rr)
			}
		}
		for i := range t.Cols {
			out = append(out, take(b.mem, t.Rec.Column(i), leftRows))
		}
		for _, c := range op.take {
			out = append(out, take(b.mem, r.Rec.Column(c), rightRows))
		}
		return out, nil
	}
	accs := make([]*accum, len(op.aggs))
	for k, a := range op.aggs {
		accs[k] = newAccum(a, r, nslots)
		for i, s := range rslot {
			if s >= 0 {
				accs[k].add(s, i)
			}
		}
	}
	at := match
	if op.inner {
		at = at[:0:0]
		for i := 0; i < n; i++ {
			if match[i] >= 0 {
				leftRows = append(leftRows, int32(i))
				at = append(at, match[i])
			}
		}
		for i := range t.Cols {
			out = append(out, take(b.mem, t.Rec.Column(i), leftRows))
		}
	} else {
		for i := range t.Cols {
			a := t.Rec.Column(i)
			a.Retain()
			out = append(out, a)
		}
	}
	for _, x := range accs {
		out = append(out, x.emit(b.mem, at))
	}
	return out, nil
}

// groupOp is one row per key.
type groupOp struct {
	keys [][]int
	aggs []agg
}

func (b *builder) group(v *view, t *table.Table) []arrow.Array {
	op := v.group
	gid, first := groups(t, op.keys)
	var out []arrow.Array
	for _, ii := range op.keys {
		out = append(out, coalesceTake(b.mem, t, ii, first))
	}
	at := make([]int32, len(first))
	for g := range at {
		at[g] = int32(g)
	}
	for _, a := range op.aggs {
		x := newAccum(a, t, len(first))
		for i, g := range gid {
			if g >= 0 {
				x.add(g, i)
			}
		}
		out = append(out, x.emit(b.mem, at))
	}
	return out
}

// coalesceTake takes an a|b key column: the first non-null of its columns.
func coalesceTake(mem memory.Allocator, t *table.Table, cols []int, rows []int32) arrow.Array {
	if len(cols) == 1 {
		return take(mem, t.Rec.Column(cols[0]), rows)
	}
	idx := make([]int32, len(rows))
	src := make([]int, len(rows))
	for k, r := range rows {
		idx[k], src[k] = r, -1
		for j, c := range cols {
			if t.Rec.Column(c).IsValid(int(r)) {
				src[k] = j
				break
			}
		}
	}
	// Strings only (keys of one class; a|b of dates or ints is rare):
	// take each row from the column that holds it.
	sb := array.NewStringBuilder(mem)
	defer sb.Release()
	for k, r := range rows {
		if src[k] < 0 {
			sb.AppendNull()
			continue
		}
		switch a := t.Rec.Column(cols[src[k]]).(type) {
		case *array.String:
			sb.Append(a.Value(int(r)))
		default:
			sb.Append(a.ValueStr(int(r)))
		}
	}
	return sb.NewArray()
}

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
	// Rows of each group sorted by date (stable: row order breaks ties).
	byGroup := make([][]int32, len(first))
	for i, g := range gid {
		if g >= 0 && dates.IsValid(i) {
			byGroup[g] = append(byGroup[g], int32(i))
		}
	}
	// Slots are windows: one per anchor row (days) or per period (per).
	slotStart, slotEnd, slotRows := []int32{}, []int32{}, []int64{}
	var members [][2]int32 // (slot, row) pairs in row order within a slot
	assign := make([]int32, n)
	for i := range assign {
		assign[i] = -1
	}
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
	var out []arrow.Array
	for i := range t.Cols {
		a := t.Rec.Column(i)
		a.Retain()
		out = append(out, a)
	}
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
	ns := len(op.steps)
	stepIdx := make(map[string]int, ns)
	for i, s := range op.steps {
		stepIdx[s] = i
	}
	steps := t.Rec.Column(op.step).(*array.String)
	dates := t.Rec.Column(op.order).(*array.Date32)
	ng := len(first)
	firstOn := make([]int32, ng*ns) // date+1; 0 = none
	counted := make([]int64, ng)
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
