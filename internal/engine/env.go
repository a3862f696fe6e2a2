package engine

import (
	"fmt"
	"reflect"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/table"
)

// The expr environment of a rule is a struct type built at run time with
// reflect.StructOf: one typed field per view column (plus has_<column>),
// params, as_of, from and to. A struct pointer is reused row after row and
// only the columns the rule reads are written, through precomputed field
// offsets, so filling it costs a few stores and no allocation. (A map env
// would box every value on every row.)
//
// Types seen by rules: text/id/enum/month -> string; money -> float64 yuan
// (exact for comparisons, see money.Yuan); date -> int days since
// 1970-01-01 (so posted_on - due_on is a number of days); int -> int;
// float -> float64; bool -> bool. A null cell reads as the zero value and
// has_<column> is false.

type envCol struct {
	name   string
	kind   contract.Kind
	off    uintptr // value field offset
	hasOff uintptr // has_<name> field offset
}

type envLayout struct {
	typ       reflect.Type
	cols      []envCol // in view column order
	paramsOff uintptr
	paramsIdx int
	asOfOff   uintptr
	fromOff   uintptr
	toOff     uintptr
}

// reserved names a view column may not take.
var reserved = map[string]bool{"params": true, "as_of": true, "from": true, "to": true}

func goType(k contract.Kind) reflect.Type {
	switch k {
	case contract.Money, contract.Float:
		return reflect.TypeOf(float64(0))
	case contract.Date, contract.Int:
		return reflect.TypeOf(int(0))
	case contract.Bool:
		return reflect.TypeOf(false)
	default:
		return reflect.TypeOf("")
	}
}

func newLayout(cols []table.Col, paramsType reflect.Type) (*envLayout, error) {
	var fields []reflect.StructField
	add := func(name string, t reflect.Type) {
		fields = append(fields, reflect.StructField{Name: fmt.Sprintf("F%d", len(fields)), Type: t, Tag: reflect.StructTag(`expr:"` + name + `"`)})
	}
	seen := map[string]bool{}
	for _, c := range cols {
		if reserved[c.Name] {
			return nil, fmt.Errorf("view column %q is a reserved name", c.Name)
		}
		if seen[c.Name] {
			return nil, fmt.Errorf("view column %q appears twice", c.Name)
		}
		seen[c.Name] = true
		add(c.Name, goType(c.Kind))
	}
	for _, c := range cols {
		if !seen["has_"+c.Name] {
			add("has_"+c.Name, reflect.TypeOf(false))
		}
	}
	add("params", paramsType)
	add("as_of", reflect.TypeOf(int(0)))
	add("from", reflect.TypeOf(int(0)))
	add("to", reflect.TypeOf(int(0)))
	typ := reflect.StructOf(fields)
	l := &envLayout{typ: typ}
	byName := map[string]uintptr{}
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		byName[f.Tag.Get("expr")] = f.Offset
	}
	for _, c := range cols {
		hasOff, ok := byName["has_"+c.Name]
		if !ok {
			hasOff = ^uintptr(0)
		}
		l.cols = append(l.cols, envCol{name: c.Name, kind: c.Kind, off: byName[c.Name], hasOff: hasOff})
	}
	l.paramsIdx = fieldIndex(typ, "params")
	l.paramsOff, l.asOfOff, l.fromOff, l.toOff = byName["params"], byName["as_of"], byName["from"], byName["to"]
	return l, nil
}

// paramsStruct builds the params type of a rule from its defaults.
func paramsStruct(names []string, defaults map[string]any) reflect.Type {
	fields := make([]reflect.StructField, 0, len(names))
	for i, n := range names {
		var t reflect.Type
		switch defaults[n].(type) {
		case int64:
			t = reflect.TypeOf(int(0))
		case float64:
			t = reflect.TypeOf(float64(0))
		case bool:
			t = reflect.TypeOf(false)
		case []string:
			t = reflect.TypeOf([]string(nil))
		default:
			t = reflect.TypeOf("")
		}
		fields = append(fields, reflect.StructField{Name: fmt.Sprintf("P%d", i), Type: t, Tag: reflect.StructTag(`expr:"` + n + `"`)})
	}
	return reflect.StructOf(fields)
}

// fillParams makes a *params struct value for expr.
func fillParams(typ reflect.Type, names []string, values map[string]any) reflect.Value {
	p := reflect.New(typ)
	for i, n := range names {
		f := p.Elem().Field(i)
		switch v := values[n].(type) {
		case int64:
			f.SetInt(v)
		case float64:
			f.SetFloat(v)
		case bool:
			f.SetBool(v)
		case string:
			f.SetString(v)
		case []string:
			f.Set(reflect.ValueOf(v))
		}
	}
	return p
}

// env is one reusable instance of a layout bound to a table's columns.
type env struct {
	l     *envLayout
	val   reflect.Value // *struct
	ptr   any           // val.Interface(), passed to the VM without re-boxing
	base  unsafe.Pointer
	cols  []boundCol // only the columns the rule reads
	table *table.Table
}

type boundCol struct {
	c   envCol
	arr arrow.Array
	str *array.String
	i64 *array.Int64
	f64 *array.Float64
	d32 *array.Date32
	bln *array.Boolean
}

func (l *envLayout) newEnv(t *table.Table, used map[string]bool) *env {
	e := &env{l: l, val: reflect.New(l.typ), table: t}
	e.ptr = e.val.Interface()
	e.base = e.val.UnsafePointer()
	for i, c := range l.cols {
		if !used[c.name] && !used["has_"+c.name] {
			continue
		}
		a := t.Rec.Column(i)
		bc := boundCol{c: c, arr: a}
		switch x := a.(type) {
		case *array.String:
			bc.str = x
		case *array.Int64:
			bc.i64 = x
		case *array.Float64:
			bc.f64 = x
		case *array.Date32:
			bc.d32 = x
		case *array.Boolean:
			bc.bln = x
		}
		e.cols = append(e.cols, bc)
	}
	return e
}

func (e *env) setGlobals(params reflect.Value, asOf, from, to int) {
	e.setParams(params)
	*(*int)(unsafe.Add(e.base, e.l.asOfOff)) = asOf
	*(*int)(unsafe.Add(e.base, e.l.fromOff)) = from
	*(*int)(unsafe.Add(e.base, e.l.toOff)) = to
}

// setParams copies a village's params (a *struct) into the env; it runs
// only when the village changes between rows.
func (e *env) setParams(params reflect.Value) {
	e.val.Elem().Field(e.l.paramsIdx).Set(params.Elem())
}

// load writes row i's values into the struct.
func (e *env) load(i int) {
	for k := range e.cols {
		bc := &e.cols[k]
		valid := bc.arr.IsValid(i)
		if bc.c.hasOff != ^uintptr(0) {
			*(*bool)(unsafe.Add(e.base, bc.c.hasOff)) = valid
		}
		p := unsafe.Add(e.base, bc.c.off)
		switch {
		case bc.str != nil:
			if valid {
				*(*string)(p) = bc.str.Value(i)
			} else {
				*(*string)(p) = ""
			}
		case bc.i64 != nil:
			v := int64(0)
			if valid {
				v = bc.i64.Value(i)
			}
			if bc.c.kind == contract.Money {
				*(*float64)(p) = float64(v) / 100
			} else {
				*(*int)(p) = int(v)
			}
		case bc.f64 != nil:
			v := 0.0
			if valid {
				v = bc.f64.Value(i)
			}
			*(*float64)(p) = v
		case bc.d32 != nil:
			v := 0
			if valid {
				v = int(bc.d32.Value(i))
			}
			*(*int)(p) = v
		case bc.bln != nil:
			*(*bool)(p) = valid && bc.bln.Value(i)
		}
	}
}
