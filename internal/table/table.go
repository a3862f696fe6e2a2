// Package table is the in-memory form of a contract table or a detector view:
// one Arrow record batch plus each column's contract kind. Every table is a
// single record so detectors can index rows 0..N-1 directly; the engine slices
// it (zero-copy) to spread evaluation over cores.
//
// Physical types: id/text/enum/month -> string, date -> date32 (days since
// 1970-01-01, civil.Date), money -> int64 fen, bool -> boolean, int -> int64,
// float -> float64. The contract kind travels in field metadata "kind".
package table

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
)

// Col describes one column of a table or view.
type Col struct {
	Name string
	Kind contract.Kind
	Doc  string // what the column means; shown by `xiaowei views`
}

// Table is a named record batch with column kinds.
type Table struct {
	Name string
	Cols []Col
	Rec  arrow.RecordBatch
	idx  map[string]int
}

// New wraps a record; cols must match the record's fields by position.
func New(name string, cols []Col, rec arrow.RecordBatch) *Table {
	t := &Table{Name: name, Cols: cols, Rec: rec, idx: make(map[string]int, len(cols))}
	for i, c := range cols {
		t.idx[c.Name] = i
	}
	return t
}

// Len is the number of rows.
func (t *Table) Len() int {
	if t == nil || t.Rec == nil {
		return 0
	}
	return int(t.Rec.NumRows())
}

// Has reports whether the table has the column.
func (t *Table) Has(name string) bool { _, ok := t.idx[name]; return ok }

// Index returns the column's position or -1.
func (t *Table) Index(name string) int {
	if i, ok := t.idx[name]; ok {
		return i
	}
	return -1
}

// Column returns the named Arrow column; it panics on an unknown name,
// which is a programming error (names come from the contract or the view spec).
func (t *Table) Column(name string) arrow.Array {
	i, ok := t.idx[name]
	if !ok {
		panic(fmt.Sprintf("table %s has no column %q", t.Name, name))
	}
	return t.Rec.Column(i)
}

// Str returns a string-typed column (id, text, enum, month).
func (t *Table) Str(name string) *array.String { return t.Column(name).(*array.String) }

// Money returns a money column (int64 fen).
func (t *Table) Money(name string) *array.Int64 { return t.Column(name).(*array.Int64) }

// Int returns an int column.
func (t *Table) Int(name string) *array.Int64 { return t.Column(name).(*array.Int64) }

// Float returns a float column.
func (t *Table) Float(name string) *array.Float64 { return t.Column(name).(*array.Float64) }

// Date returns a date column.
func (t *Table) Date(name string) *array.Date32 { return t.Column(name).(*array.Date32) }

// Bool returns a bool column.
func (t *Table) Bool(name string) *array.Boolean { return t.Column(name).(*array.Boolean) }

// DateAt reads a date cell; ok is false for null.
func DateAt(a *array.Date32, i int) (civil.Date, bool) {
	if a.IsNull(i) {
		return 0, false
	}
	return civil.Date(a.Value(i)), true
}

// Release frees the record.
func (t *Table) Release() {
	if t != nil && t.Rec != nil {
		t.Rec.Release()
		t.Rec = nil
	}
}

// ArrowType is the physical type of a kind.
func ArrowType(k contract.Kind) arrow.DataType {
	switch k {
	case contract.Date:
		return arrow.FixedWidthTypes.Date32
	case contract.Money, contract.Int:
		return arrow.PrimitiveTypes.Int64
	case contract.Float:
		return arrow.PrimitiveTypes.Float64
	case contract.Bool:
		return arrow.FixedWidthTypes.Boolean
	default:
		return arrow.BinaryTypes.String
	}
}

// Schema builds the Arrow schema for cols, recording kinds in metadata.
func Schema(cols []Col) *arrow.Schema {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c.Name, Type: ArrowType(c.Kind), Nullable: true,
			Metadata: arrow.NewMetadata([]string{"kind"}, []string{c.Kind.String()})}
	}
	return arrow.NewSchema(fields, nil)
}

// Builder appends rows to a table or view column by column. Detectors use it
// to emit their views: call the typed setters for each column of a row (any
// order), then Next; a column left unset in a row is null.
type Builder struct {
	name string
	cols []Col
	b    *array.RecordBuilder
	set  []bool
	idx  map[string]int
}

// NewBuilder starts a table with the given columns.
func NewBuilder(mem memory.Allocator, name string, cols []Col) *Builder {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	b := &Builder{name: name, cols: cols, b: array.NewRecordBuilder(mem, Schema(cols)), set: make([]bool, len(cols)), idx: map[string]int{}}
	for i, c := range cols {
		b.idx[c.Name] = i
	}
	return b
}

// Col returns the position of a column for the fast setters; it panics on
// an unknown name (a programming error).
func (b *Builder) Col(name string) int {
	i, ok := b.idx[name]
	if !ok {
		panic(fmt.Sprintf("view %s has no column %q", b.name, name))
	}
	return i
}

// Reserve preallocates n rows.
func (b *Builder) Reserve(n int) { b.b.Reserve(n) }

// ReserveData preallocates n bytes of value data for a string column, so
// that a view whose size is known up front does not regrow its buffers.
func (b *Builder) ReserveData(col, n int) {
	if sb, ok := b.b.Field(col).(*array.StringBuilder); ok {
		sb.ReserveData(n)
	}
}

// SetStr sets a string column of the current row.
func (b *Builder) SetStr(col int, v string) {
	b.b.Field(col).(*array.StringBuilder).Append(v)
	b.set[col] = true
}

// SetInt sets an int or money (fen) column.
func (b *Builder) SetInt(col int, v int64) {
	b.b.Field(col).(*array.Int64Builder).Append(v)
	b.set[col] = true
}

// SetFloat sets a float column.
func (b *Builder) SetFloat(col int, v float64) {
	b.b.Field(col).(*array.Float64Builder).Append(v)
	b.set[col] = true
}

// SetDate sets a date column.
func (b *Builder) SetDate(col int, v civil.Date) {
	b.b.Field(col).(*array.Date32Builder).Append(arrow.Date32(v))
	b.set[col] = true
}

// SetBool sets a bool column.
func (b *Builder) SetBool(col int, v bool) {
	b.b.Field(col).(*array.BooleanBuilder).Append(v)
	b.set[col] = true
}

// Next ends the current row, filling unset columns with null.
func (b *Builder) Next() {
	for i, ok := range b.set {
		if !ok {
			b.b.Field(i).AppendNull()
		}
		b.set[i] = false
	}
}

// Finish returns the table; the builder is spent.
func (b *Builder) Finish() *Table {
	rec := b.b.NewRecordBatch()
	b.b.Release()
	return New(b.name, b.cols, rec)
}

// ContractCols converts a contract table's columns.
func ContractCols(t *contract.Table) []Col {
	cols := make([]Col, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = Col{Name: c.Name, Kind: c.Kind, Doc: c.Doc}
	}
	return cols
}
