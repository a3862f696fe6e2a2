package load

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/table"
)

// badCell is one bad (or borderline) value for a column of the given kinds:
// null is a null cell, else str / date / fen / flag by the column's type.
type badCell struct {
	kinds []contract.Kind
	null  bool
	str   string
	date  civil.Date
	fen   int64
}

var textKinds = []contract.Kind{contract.ID, contract.Text, contract.Enum, contract.Month}

// badCells covers every check of the per-cell path: required nulls, empty
// strings (null on every path), oversized cells (ASCII and multi-byte, so
// the shortened reject value is cut on a character), NUL bytes, GBK text,
// an enum miss, bad months, early dates, non-positive and huge amounts.
var badCells = []badCell{
	{kinds: []contract.Kind{contract.ID, contract.Text, contract.Enum, contract.Month, contract.Date, contract.Money, contract.Bool}, null: true},
	{kinds: textKinds, str: ""},
	{kinds: textKinds, str: strings.Repeat("a", MaxCell+1)},
	{kinds: textKinds, str: strings.Repeat("村", MaxCell/3+1)},
	{kinds: textKinds, str: "a\x00b"},
	{kinds: textKinds, str: "\xd5\xc5三"},
	{kinds: textKinds, str: "三\xe4"}, // cut inside a character
	{kinds: []contract.Kind{contract.Enum}, str: "bogus"},
	{kinds: []contract.Kind{contract.Month}, str: "2024-13"},
	{kinds: []contract.Kind{contract.Month}, str: "2024-1"},
	{kinds: []contract.Kind{contract.Date}, date: civil.New(1899, 12, 31)},
	{kinds: []contract.Kind{contract.Date}, date: civil.New(1900, 1, 1)},
	{kinds: []contract.Kind{contract.Money}, fen: 0},
	{kinds: []contract.Kind{contract.Money}, fen: -150},
	{kinds: []contract.Kind{contract.Money}, fen: 1 << 62},
}

// nativeRecord builds n rows of table name in the contract's own Arrow types
// (as WriteParquet writes them) plus an extra text column, with every bad
// cell of badCells placed in each column it fits, cycling over the rows so
// that some rows have several rejects, and with repeated keys.
func nativeRecord(t *testing.T, name string, n int) (arrow.RecordBatch, []table.Col) {
	t.Helper()
	s := spec(t, name)
	cols := append(table.ContractCols(s), table.Col{Name: "note", Kind: contract.Text})
	type cell struct {
		set bool
		bc  badCell
	}
	bad := make([][]cell, len(cols)) // [col][row]
	next := 0
	for j, c := range cols {
		bad[j] = make([]cell, n)
		for _, bc := range badCells {
			for _, k := range bc.kinds {
				if k == c.Kind {
					// Rows 1..n-3: row 0 stays good (the first of a repeated
					// key) and the last rows carry the repeats.
					bad[j][1+next%(n-3)] = cell{true, bc}
					next += 3
				}
			}
		}
	}
	isKey := map[string]bool{}
	for _, k := range s.Key {
		isKey[k] = true
	}
	// keyRow: the last row repeats row 0's key (a duplicate); the one before
	// repeats row 1's, which has a bad cell, so it is not a duplicate unless
	// another good row holds the key.
	keyRow := func(i int) int {
		switch i {
		case n - 1:
			return 0
		case n - 2:
			return 1
		case n - 3:
			return 0
		}
		return i
	}
	mem := memory.DefaultAllocator
	b := array.NewRecordBuilder(mem, table.Schema(cols))
	defer b.Release()
	for j, c := range cols {
		for i := 0; i < n; i++ {
			bc, hasBad := bad[j][i].bc, bad[j][i].set
			if isKey[c.Name] {
				hasBad = hasBad && keyRow(i) == i
			}
			if hasBad && bc.null {
				b.Field(j).AppendNull()
				continue
			}
			switch fb := b.Field(j).(type) {
			case *array.StringBuilder:
				switch {
				case hasBad:
					fb.Append(bc.str)
				case c.Kind == contract.Enum:
					fb.Append(s.Columns[j].Enum[i%len(s.Columns[j].Enum)])
				case c.Kind == contract.Month:
					fb.Append(fmt.Sprintf("2024-%02d", i%12+1))
				default:
					fb.Append(fmt.Sprintf("%s-%d", c.Name, keyRow(i)))
				}
			case *array.Date32Builder:
				if hasBad {
					fb.Append(arrow.Date32(bc.date))
				} else {
					fb.Append(arrow.Date32(civil.New(2024, 1, 1).AddDays(i % 400)))
				}
			case *array.Int64Builder:
				if hasBad {
					fb.Append(bc.fen)
				} else {
					fb.Append(int64(100 * (i + 1)))
				}
			case *array.BooleanBuilder:
				fb.Append(i%3 == 0)
			default:
				t.Fatalf("column %s: unexpected builder %T", c.Name, fb)
			}
		}
	}
	return b.NewRecordBatch(), cols
}

// The native Parquet path must give exactly what the per-cell path gives:
// the same table, stats and rejects (values, reasons, rows, order).
func TestParquetNativeSameAsPerCell(t *testing.T) {
	for _, tc := range []struct {
		table string
		rows  int
	}{
		{"ledger", 40}, {"payments", 40}, {"beneficiaries", 40}, {"persons", 40},
		// More than one 65536-row batch, so chunks are concatenated.
		{"payments", 70000},
	} {
		for _, writer := range []string{"plain", "dictionary", "small-groups"} {
			t.Run(fmt.Sprintf("%s-%d-%s", tc.table, tc.rows, writer), func(t *testing.T) {
				rec, cols := nativeRecord(t, tc.table, tc.rows)
				defer rec.Release()
				path := filepath.Join(t.TempDir(), tc.table+".parquet")
				switch writer {
				case "plain":
					writeRaw(t, path, rec) // pqarrow's defaults: no dictionary
				case "small-groups":
					// Many row groups of several small pages each, some
					// dictionary pages falling back to plain: the native
					// reader joins them all.
					writeRawProps(t, path, rec, parquet.NewWriterProperties(parquet.WithMaxRowGroupLength(997),
						parquet.WithDataPageSize(512), parquet.WithDictionaryPageSizeLimit(256), parquet.WithDictionaryDefault(true)))
				default:
					// As xiaowei gen writes: dictionary-encoded strings,
					// read back through undict.
					if err := WriteParquet(path, table.New(tc.table, cols, rec)); err != nil {
						t.Fatal(err)
					}
				}
				compareParquetPaths(t, tc.table, path)
			})
		}
	}
}

// compareParquetPaths loads path through both paths and compares them.
func compareParquetPaths(t *testing.T, name, path string) {
	t.Helper()
	load := func(native bool) (*table.Table, TableStats, []Reject) {
		defer func(old bool) { nativeParquet = old }(nativeParquet)
		nativeParquet = native
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		t.Cleanup(func() { mem.AssertSize(t, 0) })
		tb, st, rejects, err := loadParquetFile(context.Background(), spec(t, name), path, Options{Mem: mem})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(tb.Release)
		checkInvariant(t, st)
		return tb, st, rejects
	}
	slowT, slowSt, slowRej := load(false)
	fastT, fastSt, fastRej := load(true)
	if slowSt.Rejected == 0 || slowSt.Loaded == 0 {
		t.Fatalf("test data should have good and bad rows: %+v", slowSt)
	}
	if fastSt != slowSt {
		t.Errorf("stats: native %+v, per-cell %+v", fastSt, slowSt)
	}
	if !reflect.DeepEqual(fastRej, slowRej) {
		for i := range max(len(fastRej), len(slowRej)) {
			var f, s Reject
			if i < len(fastRej) {
				f = fastRej[i]
			}
			if i < len(slowRej) {
				s = slowRej[i]
			}
			if !reflect.DeepEqual(f, s) {
				t.Errorf("reject %d:\nnative   %+v\nper-cell %+v", i, shortReject(f), shortReject(s))
			}
		}
	}
	equalTables(t, slowT, fastT)
	var reasons []string
	for _, r := range fastRej {
		reasons = append(reasons, r.Reason)
	}
	all := strings.Join(reasons, "\n")
	for _, want := range []string{"required value is empty", "bytes: at most", "NUL byte", "duplicate key"} {
		if !strings.Contains(all, want) {
			t.Errorf("no %q reject: the test does not cover it", want)
		}
	}
}

func shortReject(r Reject) Reject {
	if len(r.Value) > 80 {
		r.Value = r.Value[:80] + "…"
	}
	return r
}
