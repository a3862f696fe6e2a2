package load

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
)

// The native path's column checks: the per-cell rules of setString,
// setMoney, setDate, setNull and checkKey, applied to a whole column.

// checkNulls rejects the nulls of a required column.
func (nc *nativeCheck) checkNulls(c *column, a arrow.Array) {
	if !c.required || a.NullN() == 0 {
		return
	}
	for i := 0; i < nc.n; i++ {
		if a.IsNull(i) {
			nc.reject(i, c.name, "", "required value is empty")
		}
	}
}

// checkDates applies setDate's rule (no date before 1900) and required.
func (nc *nativeCheck) checkDates(c *column, a *array.Date32) {
	nc.checkNulls(c, a)
	nulls := a.NullN() > 0
	for i, v := range a.Date32Values() {
		if civil.Date(v) < minDate && !(nulls && a.IsNull(i)) {
			nc.reject(i, c.name, civil.Date(v).String(), "date before 1900-01-01")
		}
	}
}

// checkMoney applies the money range and the column's amount check
// (setMoney) and required.
func (nc *nativeCheck) checkMoney(c *column, a *array.Int64) {
	nc.checkNulls(c, a)
	nulls := a.NullN() > 0
	for i, v := range a.Int64Values() {
		if nulls && a.IsNull(i) {
			continue
		}
		if shown, reason := c.moneyProblem(v, ""); reason != "" {
			nc.reject(i, c.name, shown, reason)
		}
	}
}

// checkStrings applies setString's checks to a text column. An empty
// string is null on every path (CSV cannot tell them apart), so if the
// file has non-null empty strings the column is returned with them made
// null; otherwise nil (the column is kept as is). One pass over the
// offsets and bytes (over 80 lines): the checks of setString inlined for
// the whole column, without a call per cell.
func (nc *nativeCheck) checkStrings(c *column, a *array.String, mem memory.Allocator) arrow.Array {
	offs := a.ValueOffsets()
	text := c.kind == contract.ID || c.kind == contract.Text
	clean := nc.cleanStrings(a, text)
	nulls := a.NullN() > 0
	var empties []int
	for i := 0; i < nc.n; i++ {
		if nulls && a.IsNull(i) {
			if c.required {
				nc.reject(i, c.name, "", "required value is empty")
			}
			continue
		}
		size := int(offs[i+1] - offs[i])
		if size == 0 {
			empties = append(empties, i)
			if c.required {
				nc.reject(i, c.name, "", "required value is empty")
			}
			continue
		}
		if size > MaxCell {
			s := a.Value(i)
			nc.reject(i, c.name, shownValue(s), fmt.Sprintf("cell is %d bytes: at most %d are loaded", len(s), MaxCell))
			continue
		}
		if clean && text {
			continue
		}
		s := a.Value(i)
		if !clean {
			if strings.IndexByte(s, 0) >= 0 {
				nc.reject(i, c.name, shownValue(s), "contains a NUL byte (binary data, not text)")
				continue
			}
			if text && !utf8.ValidString(s) {
				nc.reject(i, c.name, s, "not valid UTF-8 (save the file as UTF-8, not GBK)")
				continue
			}
		}
		switch c.kind {
		case contract.Enum:
			if !slices.Contains(c.enum, s) {
				nc.reject(i, c.name, s, c.enumWant)
			}
		case contract.Month:
			if _, err := civil.ParseMonth(s); err != nil {
				nc.reject(i, c.name, s, "want YYYY-MM")
			}
		}
	}
	if len(empties) == 0 {
		return nil
	}
	return nullEmpties(a, nc.n, empties, mem)
}

// cleanStrings is the whole-column screen: with no NUL byte anywhere,
// and (for free text) the whole buffer valid UTF-8 with every cell
// starting on a character boundary (so each cell is whole characters), no
// cell can fail those checks and the per-cell work is only lengths and
// nulls.
func (nc *nativeCheck) cleanStrings(a *array.String, text bool) bool {
	offs := a.ValueOffsets()
	data := a.ValueBytes()
	base := offs[0]
	clean := bytes.IndexByte(data, 0) < 0
	if clean && text {
		clean = utf8.Valid(data)
		for i := 0; clean && i < nc.n; i++ {
			if p := offs[i] - base; p < int32(len(data)) && !utf8.RuneStart(data[p]) {
				clean = false
			}
		}
	}
	return clean
}

// nullEmpties makes the empty cells of a null: a new validity bitmap (at
// the array's offset) over the same offsets and bytes buffers.
func nullEmpties(a *array.String, n int, empties []int, mem memory.Allocator) arrow.Array {
	nulls := a.NullN() > 0
	d := a.Data()
	off := d.Offset()
	bm := memory.NewResizableBuffer(mem)
	bm.Resize(int(bitutil.BytesForBits(int64(off + n))))
	bits := bm.Bytes()
	if nulls {
		bitutil.CopyBitmap(d.Buffers()[0].Bytes(), off, n, bits, off)
	} else {
		bitutil.SetBitsTo(bits, int64(off), int64(n), true)
	}
	for _, i := range empties {
		bitutil.ClearBit(bits, off+i)
	}
	nd := array.NewData(d.DataType(), n, []*memory.Buffer{bm, d.Buffers()[1], d.Buffers()[2]}, nil, a.NullN()+len(empties), off)
	bm.Release()
	out := array.MakeFromData(nd)
	nd.Release()
	return out
}

// checkKeys rejects each accepted row whose key repeats an earlier accepted
// row's, as the per-cell path does: rows with a cell reject take no part,
// and the reject names the first row (findDuplicates).
func (nc *nativeCheck) checkKeys() {
	l := nc.l
	if len(l.keyCols) == 0 {
		return
	}
	var views []keyView
	for _, kc := range l.keyCols {
		for ci, c := range l.cols {
			if c == kc {
				views = append(views, stringView(nc.cols[ci].(*array.String)))
			}
		}
	}
	for _, d := range findDuplicates(keyRows{cols: views, n: nc.n, skip: nc.bad}, l.seed) {
		cell := func(j int) string { return string(views[j].cell(d.row)) }
		nc.reject(d.row, strings.Join(l.spec.Key, ","), keyValues(l.keyCols, cell),
			fmt.Sprintf("duplicate key %s, first on %s %d", describeKey(l.keyCols, cell), l.lineWord, d.first+1))
	}
}

// stringView is a string array as a key column: a null cell is "", as the
// per-cell path stages it.
func stringView(a *array.String) keyView {
	v := keyView{data: a.ValueBytes(), offs: a.ValueOffsets()}
	if a.NullN() > 0 {
		v.valid, v.validOff = a.NullBitmapBytes(), a.Data().Offset()
	}
	return v
}
