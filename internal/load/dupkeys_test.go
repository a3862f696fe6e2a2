package load

import (
	"context"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/money"
	"github.com/neijiang/xiaowei/internal/table"
)

// hashMasks are the key-hash masks the duplicate tests run under: the
// full hash, and masks that make most or all different keys collide.
var hashMasks = []uint64{^uint64(0), 3, 0}

func withHashMask(t *testing.T, mask uint64) {
	old := keyHashMask
	keyHashMask = mask
	t.Cleanup(func() { keyHashMask = old })
}

// naiveDuplicates is the per-row definition findDuplicates must match.
func naiveDuplicates(keys [][]string, skip []bool) []duplicate {
	first := map[string]int{}
	var dups []duplicate
	for i, k := range keys {
		if skip != nil && skip[i] {
			continue
		}
		s := strings.Join(k, "\x00") + "\x00"
		if f, ok := first[s]; ok {
			dups = append(dups, duplicate{row: i, first: f})
		} else {
			first[s] = i
		}
	}
	return dups
}

// viewOf is a column of cells as a key column.
func viewOf(cells []string) keyView {
	v := keyView{offs: []int32{0}}
	for _, c := range cells {
		v.data = append(v.data, c...)
		v.offs = append(v.offs, int32(len(v.data)))
	}
	return v
}

// TestFindDuplicatesMatchesNaive compares findDuplicates with a map on
// keys of every order it treats differently: sorted, sorted runs
// (disjoint or not), unsorted; one and two columns (where ("a","bc") and
// ("ab","c") differ); with skipped rows; under forced hash collisions.
func TestFindDuplicatesMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	id := func(v, k int) string { return fmt.Sprintf("V%03d-%05d", v, k) }
	gens := map[string]func(n int) [][]string{
		"sorted": func(n int) (out [][]string) {
			for i := range n {
				out = append(out, []string{id(0, i)})
			}
			return out
		},
		"sorted-with-repeat": func(n int) (out [][]string) {
			for i := range n {
				out = append(out, []string{id(0, i-i%97/96)})
			}
			return out
		},
		"village-runs": func(n int) (out [][]string) {
			for _, v := range r.Perm(10) {
				for k := range n / 10 {
					out = append(out, []string{id(v, k)})
				}
			}
			return out
		},
		"overlapping-runs": func(n int) (out [][]string) {
			for v := range 10 {
				for k := range n / 10 {
					out = append(out, []string{id(0, 3*k+v%4)})
				}
			}
			return out
		},
		"unsorted": func(n int) (out [][]string) {
			for range n {
				out = append(out, []string{id(r.IntN(3), r.IntN(n))})
			}
			return out
		},
		"two-columns": func(n int) (out [][]string) {
			for range n {
				a := []string{"a", "ab", ""}[r.IntN(3)]
				b := []string{"bc", "c", ""}[r.IntN(3)]
				out = append(out, []string{a, b + fmt.Sprint(r.IntN(n/4+1))})
			}
			return out
		},
	}
	for name, gen := range gens {
		for _, n := range []int{0, 1, 5, 3000} {
			keys := gen(n)
			for _, withSkip := range []bool{false, true} {
				var skip []bool
				if withSkip {
					skip = make([]bool, len(keys))
					for i := range skip {
						skip[i] = r.IntN(5) == 0
					}
				}
				for _, mask := range hashMasks {
					t.Run(fmt.Sprintf("%s/%d/skip=%v/mask=%x", name, n, withSkip, mask), func(t *testing.T) {
						withHashMask(t, mask)
						k := keyRows{n: len(keys), skip: skip}
						ncols := 1
						if name == "two-columns" {
							ncols = 2
						}
						for j := range ncols {
							col := make([]string, len(keys))
							for i := range keys {
								col[i] = keys[i][j]
							}
							k.cols = append(k.cols, viewOf(col))
						}
						got := findDuplicates(k, maphash.MakeSeed())
						want := naiveDuplicates(keys, skip)
						if !reflect.DeepEqual(got, want) && len(got)+len(want) > 0 {
							t.Fatalf("got %d duplicates %v, want %d %v", len(got), got[:min(5, len(got))], len(want), want[:min(5, len(want))])
						}
					})
				}
			}
		}
	}
}

// dupCase is a ledger whose rows are given by entry_id and amount (an
// amount of 0 is a cell reject); wantDup maps each 1-based data row that
// is a duplicate to the row it repeats.
type dupCase struct {
	name    string
	ids     []string
	amounts map[int]string // 1-based row -> amount; default "1"
	wantDup map[int]int
}

func dupCases() []dupCase {
	cases := []dupCase{
		{name: "empty"},
		{name: "sorted", ids: []string{"E1", "E2", "E3", "E4"}},
		{name: "sorted-repeat", ids: []string{"E1", "E2", "E2", "E3"}, wantDup: map[int]int{3: 2}},
		{name: "unsorted", ids: []string{"E3", "E1", "E3", "E2", "E1", "E3"}, wantDup: map[int]int{3: 1, 5: 2, 6: 1}},
		{name: "village-runs", ids: []string{"V2-1", "V2-2", "V1-1", "V1-2", "V3-1"}},
		{name: "overlapping-runs", ids: []string{"A1", "A3", "A2", "A3"}, wantDup: map[int]int{4: 2}},
		// The first E1 is rejected for its amount, so it takes no part:
		// the second is kept and the third repeats it.
		{name: "first-was-bad", ids: []string{"E1", "E2", "E1", "E1"}, amounts: map[int]string{1: "0"}, wantDup: map[int]int{4: 3}},
		{name: "bad-repeat", ids: []string{"E1", "E1", "E2"}, amounts: map[int]string{2: "0"}},
	}
	// Repeats across CSV chunks, in unsorted order.
	var ids []string
	for i := range 2*csvChunk + 10 {
		ids = append(ids, fmt.Sprintf("E%06d", (i*7919)%(2*csvChunk+10)))
	}
	ids = append(ids, ids[5], ids[csvChunk+3])
	cases = append(cases, dupCase{name: "across-chunks", ids: ids, wantDup: map[int]int{len(ids) - 1: 6, len(ids): csvChunk + 4}})
	return cases
}

func (dc dupCase) csv() string {
	var sb strings.Builder
	sb.WriteString(ledgerHeader + "\n")
	for i, id := range dc.ids {
		amount, ok := dc.amounts[i+1]
		if !ok {
			amount = "1"
		}
		sb.WriteString(ledgerRow(id, "2024-01-02", amount) + "\n")
	}
	return sb.String()
}

// TestDuplicateKeysEveryPath loads each case as CSV, as native Parquet and
// as Parquet through the per-cell path, under forced hash collisions too,
// and checks the duplicate rejects, their first rows and the rows kept.
func TestDuplicateKeysEveryPath(t *testing.T) {
	for _, dc := range dupCases() {
		dir := t.TempDir()
		pq := filepath.Join(dir, "ledger.parquet")
		rec := nativeFromCSV(t, "ledger", dc.csv())
		writeRaw(t, pq, rec)
		rec.Release()
		for _, mask := range hashMasks {
			for _, path := range []string{"csv", "native", "per-cell"} {
				t.Run(fmt.Sprintf("%s/%s/mask=%x", dc.name, path, mask), func(t *testing.T) {
					withHashMask(t, mask)
					defer func(old bool) { nativeParquet = old }(nativeParquet)
					nativeParquet = path == "native"
					mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
					defer mem.AssertSize(t, 0)
					var tb *table.Table
					var st TableStats
					var rejects []Reject
					var err error
					lineOf, word := func(row int) int { return row + 1 }, "line"
					if path == "csv" {
						tb, st, rejects, err = Table(context.Background(), spec(t, "ledger"), "ledger.csv", strings.NewReader(dc.csv()), Options{Mem: mem})
					} else {
						tb, st, rejects, err = loadParquetFile(context.Background(), spec(t, "ledger"), pq, Options{Mem: mem})
						lineOf, word = func(row int) int { return row }, "row"
					}
					if err != nil {
						t.Fatal(err)
					}
					defer tb.Release()
					checkInvariant(t, st)
					checkDupRejects(t, dc, rejects, tb, lineOf, word)
				})
			}
		}
	}
}

func checkDupRejects(t *testing.T, dc dupCase, rejects []Reject, tb *table.Table, lineOf func(int) int, word string) {
	t.Helper()
	got := map[int]string{}
	for _, r := range rejects {
		if strings.HasPrefix(r.Reason, "duplicate key") {
			got[r.Line] = r.Reason
		}
	}
	var wantIDs []string
	for row := 1; row <= len(dc.ids); row++ {
		first, dup := dc.wantDup[row]
		if !dup {
			if dc.amounts[row] != "0" {
				wantIDs = append(wantIDs, dc.ids[row-1])
			}
			continue
		}
		want := fmt.Sprintf("duplicate key entry_id=%s, first on %s %d", dc.ids[row-1], word, lineOf(first))
		if got[lineOf(row)] != want {
			t.Errorf("row %d: reject %q, want %q", row, got[lineOf(row)], want)
		}
		delete(got, lineOf(row))
	}
	for line, reason := range got {
		t.Errorf("unexpected reject on %s %d: %s", word, line, reason)
	}
	if !slices.IsSortedFunc(rejects, func(a, b Reject) int { return a.Line - b.Line }) {
		t.Errorf("rejects not sorted by line")
	}
	ids := tb.Str("entry_id")
	var gotIDs []string
	for i := 0; i < ids.Len(); i++ {
		gotIDs = append(gotIDs, ids.Value(i))
	}
	if !slices.Equal(gotIDs, wantIDs) {
		t.Errorf("kept %d ids %v..., want %d %v...", len(gotIDs), gotIDs[:min(6, len(gotIDs))], len(wantIDs), wantIDs[:min(6, len(wantIDs))])
	}
}

// nativeFromCSV builds a record of the contract's own Arrow types (as
// WriteParquet writes them, field metadata included) from CSV text of
// valid cells, rows and all:
// the rows a load would reject (repeated keys, non-positive amounts) stay.
func nativeFromCSV(t *testing.T, name, text string) arrow.RecordBatch {
	t.Helper()
	s := spec(t, name)
	cols := table.ContractCols(s)
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")[1:]
	b := array.NewRecordBuilder(memory.DefaultAllocator, table.Schema(cols))
	defer b.Release()
	for _, line := range lines {
		cells := strings.Split(line, ",")
		for j, c := range cols {
			cell := cells[j]
			if cell == "" {
				b.Field(j).AppendNull()
				continue
			}
			switch c.Kind {
			case contract.Date:
				d, err := civil.Parse(cell)
				if err != nil {
					t.Fatal(err)
				}
				b.Field(j).(*array.Date32Builder).Append(arrow.Date32(d))
			case contract.Money:
				f, err := money.Parse(cell)
				if err != nil {
					t.Fatal(err)
				}
				b.Field(j).(*array.Int64Builder).Append(f)
			default:
				b.Field(j).(*array.StringBuilder).Append(cell)
			}
		}
	}
	// Columns without nulls are written as required (no definition
	// levels), the others as optional, so the native reader meets both.
	rec := b.NewRecordBatch()
	defer rec.Release()
	fields := slices.Clone(rec.Schema().Fields())
	for j := range fields {
		fields[j].Nullable = rec.Column(j).NullN() > 0
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), rec.Columns(), rec.NumRows())
}

// TestPersonNames checks the distinct sorted names (nulls and empty names
// left out), and that a second call (from the cache) gives the same list.
func TestPersonNames(t *testing.T) {
	cells := []string{"张三", "", "李四", "张三", "-", "王五", "李四", "张三丰", "", "张三"}
	want := []string{"张三", "张三丰", "李四", "王五"}
	b := array.NewStringBuilder(memory.DefaultAllocator)
	defer b.Release()
	for _, c := range cells {
		if c == "-" {
			b.AppendNull()
		} else {
			b.Append(c) // "" stays an empty, non-null string
		}
	}
	col := b.NewArray()
	schema := arrow.NewSchema([]arrow.Field{{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	rec := array.NewRecordBatch(schema, []arrow.Array{col}, int64(col.Len()))
	col.Release()
	d := &Dataset{Tables: map[string]*table.Table{"persons": table.New("persons", []table.Col{{Name: "name", Kind: contract.Text}}, rec)}}
	defer d.Release()
	for range 2 {
		if got := d.PersonNames(); !slices.Equal(got, want) {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}

// BenchmarkFindDuplicates checks 2.4M distinct 18-digit ids (the M
// persons register), shuffled so no sorted run helps, and the same ids
// sorted.
func BenchmarkFindDuplicates(b *testing.B) {
	const n = 2_400_000
	r := rand.New(rand.NewPCG(1, 2))
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("5110021%07d%04d", i/7, r.IntN(10000))
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	sorted := viewOf(ids)
	r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	shuffled := viewOf(ids)
	seed := maphash.MakeSeed()
	for _, tc := range []struct {
		name string
		v    keyView
	}{{"sorted", sorted}, {"shuffled", shuffled}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if d := findDuplicates(keyRows{cols: []keyView{tc.v}, n: len(ids)}, seed); len(d) > 0 {
					b.Fatal(d[:1])
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(len(ids)*b.N), "ns/row")
		})
	}
}
