package views

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

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
		if t := b.in.Views[s.name]; t != nil {
			return t, nil // built earlier in the run: the run's to release
		}
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
		cols = retainedCols(t)
	}
	if err != nil {
		return nil, err
	}
	n := 0
	if len(cols) > 0 {
		n = cols[0].Len()
	}
	out := table.FromArrays(v.spec.Name, v.spec.Cols, cols, n)
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

// retainedCols are t's columns, each retained, for a view that passes its
// input's rows through unchanged (the caller releases them).
func retainedCols(t *table.Table) []arrow.Array {
	out := make([]arrow.Array, len(t.Cols))
	for i := range out {
		out[i] = t.Rec.Column(i)
		out[i].Retain()
	}
	return out
}
