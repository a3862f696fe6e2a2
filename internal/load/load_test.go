package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/table"
)

func spec(t testing.TB, name string) *contract.Table {
	t.Helper()
	s, ok := contract.Lookup(name)
	if !ok {
		t.Fatalf("no contract table %s", name)
	}
	return s
}

func header(s *contract.Table) string {
	names := make([]string, len(s.Columns))
	for i, c := range s.Columns {
		names[i] = c.Name
	}
	return strings.Join(names, ",")
}

const ledgerHeader = "entry_id,village_id,date,voucher_no,account,direction,amount,category,counterparty,summary,handled_by,approved_by"

func ledgerRow(id, date, amount string) string {
	return id + ",V1," + date + ",P1,cash,out," + amount + ",expense,shop,pens,H1,"
}

// writeDataset writes every required table as a header-only CSV, then the
// given files (name -> content) over them.
func writeDataset(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for _, s := range contract.Tables {
		if s.Optional {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, s.Name+".csv"), []byte(header(s)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func checkInvariant(t *testing.T, stats ...TableStats) {
	t.Helper()
	for _, st := range stats {
		if st.Read != st.Loaded+st.Rejected {
			t.Errorf("%s: Read %d != Loaded %d + Rejected %d", st.Table, st.Read, st.Loaded, st.Rejected)
		}
	}
}

func TestLoadBadDateLine7(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)

	rows := []string{ledgerHeader}
	for i := 2; i <= 10; i++ {
		date := "2024-03-01"
		if i == 7 {
			date = "2024/03/07"
		}
		rows = append(rows, ledgerRow(fmt.Sprintf("E%d", i), date, "12.50"))
	}
	dir := writeDataset(t, map[string]string{"ledger.csv": strings.Join(rows, "\n") + "\n"})
	d, err := Load(context.Background(), dir, Options{Mem: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Release()

	checkInvariant(t, d.Stats...)
	if len(d.Stats) != len(contract.Tables)-1 {
		t.Errorf("stats for %d tables, want %d", len(d.Stats), len(contract.Tables)-1)
	}
	led := d.Tables["ledger"]
	if led.Len() != 8 {
		t.Fatalf("ledger loaded %d rows, want 8", led.Len())
	}
	if len(d.Rejects) != 1 {
		t.Fatalf("rejects = %+v, want 1", d.Rejects)
	}
	r := d.Rejects[0]
	if r.Table != "ledger" || r.Line != 7 || r.Column != "date" || r.Value != "2024/03/07" || !strings.Contains(r.Reason, "YYYY-MM-DD") || r.File != filepath.Join(dir, "ledger.csv") {
		t.Errorf("reject = %+v", r)
	}
	ids := led.Str("entry_id")
	for i := 0; i < ids.Len(); i++ {
		if ids.Value(i) == "E7" {
			t.Error("rejected row E7 was loaded")
		}
	}
	if got := led.Money("amount").Value(0); got != 1250 {
		t.Errorf("amount = %d fen, want 1250", got)
	}
	if got, _ := table.DateAt(led.Date("date"), 0); got != civil.MustParse("2024-03-01") {
		t.Errorf("date = %v", got)
	}
	for _, st := range d.Stats {
		if st.Table == "ledger" && (st.Read != 9 || st.Rejected != 1 || len(st.SHA256) != 64) {
			t.Errorf("ledger stats = %+v", st)
		}
	}
	if len(d.Missing) != 1 || d.Missing[0] != "kinship" {
		t.Errorf("Missing = %v, want [kinship]", d.Missing)
	}
}

type wantReject struct {
	line          int
	column, value string
	reason        string // substring
}

func TestLoadTableCSV(t *testing.T) {
	tests := []struct {
		name    string
		table   string
		csv     string
		loaded  int
		rejects []wantReject
		check   func(t *testing.T, tb *table.Table)
	}{
		{
			name:   "shuffled header",
			table:  "ledger",
			csv:    "amount,entry_id,category,village_id,date,voucher_no,account,direction,counterparty,summary,handled_by,approved_by\n1.5,E1,income,V1,2024-01-02,,bank,in,,,,\n",
			loaded: 1,
			check: func(t *testing.T, tb *table.Table) {
				if tb.Cols[0].Name != "entry_id" || tb.Str("entry_id").Value(0) != "E1" || tb.Money("amount").Value(0) != 150 || tb.Str("account").Value(0) != "bank" {
					t.Errorf("columns not matched by name: %v", tb.Rec)
				}
				if !tb.Str("voucher_no").IsNull(0) {
					t.Error("empty cell is not null")
				}
			},
		},
		{
			name:   "extra column kept as text",
			table:  "ledger",
			csv:    "note," + ledgerHeader + ",src\nhello," + ledgerRow("E1", "2024-01-02", "3") + ",x\n",
			loaded: 1,
			check: func(t *testing.T, tb *table.Table) {
				n := len(spec(t, "ledger").Columns)
				if len(tb.Cols) != n+2 || tb.Cols[n].Name != "note" || tb.Cols[n+1].Name != "src" || tb.Cols[n].Kind != contract.Text {
					t.Fatalf("cols = %+v", tb.Cols)
				}
				if tb.Str("note").Value(0) != "hello" || tb.Str("src").Value(0) != "x" {
					t.Error("extra values wrong")
				}
			},
		},
		{
			name:   "BOM and spaces around header names",
			table:  "villages",
			csv:    "\uFEFF village_id ,village_name,town_id,town_name,county_id,county_name\nV1,一村,T1,,C1,\n",
			loaded: 1,
			check: func(t *testing.T, tb *table.Table) {
				if tb.Str("village_id").Value(0) != "V1" || tb.Str("village_name").Value(0) != "一村" {
					t.Error("BOM header not matched")
				}
			},
		},
		{
			name:    "CRLF",
			table:   "ledger",
			csv:     ledgerHeader + "\r\n" + ledgerRow("E1", "2024-01-02", "3") + "\r\n" + ledgerRow("E2", "2024-01-32", "3") + "\r\n",
			loaded:  1,
			rejects: []wantReject{{3, "date", "2024-01-32", "not a calendar date"}},
			check: func(t *testing.T, tb *table.Table) {
				if v := tb.Str("approved_by"); !v.IsNull(0) {
					t.Errorf("CR leaked into the last cell: %q", v.Value(0))
				}
			},
		},
		{
			name:  "quoted newline keeps line numbers",
			table: "ledger",
			csv: ledgerHeader + "\n" +
				"E1,V1,2024-01-02,P1,cash,out,3,expense,\"shop\nsecond line\nthird\",pens,H1,\n" +
				ledgerRow("E2", "2024-01-02", "x") + "\n",
			loaded:  1,
			rejects: []wantReject{{5, "amount", "x", "want yuan"}},
			check: func(t *testing.T, tb *table.Table) {
				if tb.Str("counterparty").Value(0) != "shop\nsecond line\nthird" {
					t.Error("quoted newline lost")
				}
			},
		},
		{
			name:    "enum typo",
			table:   "ledger",
			csv:     ledgerHeader + "\nE1,V1,2024-01-02,P1,cahs,out,3,expense,,,,\n",
			rejects: []wantReject{{2, "account", "cahs", "want one of: cash, bank"}},
		},
		{
			name:    "money with three decimals",
			table:   "ledger",
			csv:     ledgerHeader + "\n" + ledgerRow("E1", "2024-01-02", "1.234") + "\n",
			rejects: []wantReject{{2, "amount", "1.234", "at most two"}},
		},
		{
			name:    "negative and zero ledger amounts",
			table:   "ledger",
			csv:     ledgerHeader + "\n" + ledgerRow("E1", "2024-01-02", "-5.00") + "\n" + ledgerRow("E2", "2024-01-02", "0") + "\n",
			rejects: []wantReject{{2, "amount", "-5.00", "positive"}, {3, "amount", "0", "positive"}},
		},
		{
			name:   "negative amount allowed where the contract does not forbid it",
			table:  "disclosures",
			csv:    "disclosure_id,village_id,item,period,posted_on,removed_on,amount_total\nD1,V1,finance,2024-01,2024-02-01,,-10.00\n",
			loaded: 1,
		},
		{
			name:    "required cell empty",
			table:   "ledger",
			csv:     ledgerHeader + "\nE1,,2024-01-02,P1,cash,out,3,expense,,,,\n",
			rejects: []wantReject{{2, "village_id", "", "required"}},
		},
		{
			name:  "several bad cells reject the row once",
			table: "ledger",
			csv:   ledgerHeader + "\nE1,V1,01/02/2024,P1,cash,sideways,3,expense,,,,\n" + ledgerRow("E2", "2024-01-02", "1") + "\n",
			// two rejects, one row
			loaded:  1,
			rejects: []wantReject{{2, "date", "01/02/2024", "YYYY-MM-DD"}, {2, "direction", "sideways", "in, out"}},
		},
		{
			name:    "wrong field count",
			table:   "ledger",
			csv:     ledgerHeader + "\nE1,V1,2024-01-02\n" + ledgerRow("E2", "2024-01-02", "1") + ",extra\n" + ledgerRow("E3", "2024-01-02", "1") + "\n",
			loaded:  1,
			rejects: []wantReject{{2, "", "", "found 3 fields, want 12"}, {3, "", "", "found 13 fields, want 12"}},
		},
		{
			name:  "duplicate key names both lines",
			table: "ledger",
			csv: ledgerHeader + "\n" + ledgerRow("E1", "2024-01-02", "1") + "\n" + ledgerRow("E2", "2024-01-02", "1") + "\n" +
				ledgerRow("E1", "2024-01-03", "2") + "\n",
			loaded:  2,
			rejects: []wantReject{{4, "entry_id", "E1", "duplicate key entry_id=E1, first on line 2"}},
		},
		{
			name:  "a rejected row does not claim its key",
			table: "ledger",
			csv:   ledgerHeader + "\n" + ledgerRow("E1", "bad", "1") + "\n" + ledgerRow("E1", "2024-01-02", "1") + "\n",
			// the second E1 is the first good one
			loaded:  1,
			rejects: []wantReject{{2, "date", "bad", "YYYY-MM-DD"}},
		},
		{
			name:  "composite key",
			table: "beneficiaries",
			csv: "case_id,program,person_id,village_id,applied_on,approved_on,ended_on,monthly_amount,handled_by,relative_filed\n" +
				"C1,dibao,P1,V1,,2024-01-01,,500,,false\n" +
				"C1,dibao,P2,V1,,2024-01-01,,500,,true\n" +
				"C1,tekun,P1,V1,,2024-01-01,,500,,maybe\n" +
				"C1,tekun,P1,V1,,2024-01-01,,500,,true\n",
			loaded: 2,
			rejects: []wantReject{{4, "relative_filed", "maybe", "want true or false"},
				{5, "case_id,person_id", "C1,P1", "duplicate key case_id=C1, person_id=P1, first on line 2"}},
			check: func(t *testing.T, tb *table.Table) {
				if tb.Bool("relative_filed").Value(0) || !tb.Bool("relative_filed").Value(1) {
					t.Error("bools wrong")
				}
			},
		},
		{
			name:    "bad month",
			table:   "payments",
			csv:     "payment_id,case_id,person_id,program,period,amount,paid_on,account_no,account_holder_id\nY1,C1,P1,dibao,2024-13,500,2024-01-05,,\nY2,C1,P1,dibao,2024-12,500,2024-01-05,,\n",
			loaded:  1,
			rejects: []wantReject{{2, "period", "2024-13", "YYYY-MM"}},
		},
		{
			name:    "malformed quoting is a reject and reading goes on",
			table:   "ledger",
			csv:     ledgerHeader + "\nE1,V1,2024-01-02,P1,cash,out,3,expense,a \"quoted\" b,,,\n" + ledgerRow("E2", "2024-01-02", "1") + "\n",
			loaded:  1,
			rejects: []wantReject{{2, "", "", "malformed CSV"}},
		},
		{
			name:    "GBK text is rejected, not loaded as mojibake",
			table:   "villages",
			csv:     "village_id,village_name,town_id,town_name,county_id,county_name\nV1,\xd2\xbb\xb4\xe5,T1,,C1,\n",
			rejects: []wantReject{{2, "village_name", "\xd2\xbb\xb4\xe5", "UTF-8"}},
		},
		{
			name:   "header only",
			table:  "ledger",
			csv:    ledgerHeader + "\n",
			loaded: 0,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			tb, st, rejects, err := Table(context.Background(), spec(t, tc.table), "in.csv", strings.NewReader(tc.csv), Options{Mem: mem})
			if err != nil {
				t.Fatal(err)
			}
			defer tb.Release()
			checkInvariant(t, st)
			if st.Loaded != tc.loaded || tb.Len() != tc.loaded {
				t.Errorf("loaded %d (table %d rows), want %d; rejects %+v", st.Loaded, tb.Len(), tc.loaded, rejects)
			}
			if len(rejects) != len(tc.rejects) {
				t.Fatalf("rejects = %+v, want %d", rejects, len(tc.rejects))
			}
			for i, w := range tc.rejects {
				r := rejects[i]
				if r.Line != w.line || r.Column != w.column || r.Value != w.value || !strings.Contains(r.Reason, w.reason) || r.Table != tc.table || r.File != "in.csv" {
					t.Errorf("reject %d = %+v, want %+v", i, r, w)
				}
			}
			if tc.check != nil {
				tc.check(t, tb)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		drop  string // a required table to delete
		want  []string
		is    error
	}{
		{name: "missing contract column", files: map[string]string{"ledger.csv": strings.Replace(ledgerHeader, ",category", "", 1) + "\n"},
			want: []string{"ledger.csv", "category"}, is: ErrHeader},
		{name: "duplicate column", files: map[string]string{"ledger.csv": ledgerHeader + ",amount\n"},
			want: []string{"ledger.csv", `duplicate column "amount"`}, is: ErrHeader},
		{name: "empty file", files: map[string]string{"ledger.csv": ""}, want: []string{"ledger.csv"}, is: ErrEmpty},
		{name: "required table missing", drop: "payments.csv", want: []string{"payments.csv"}, is: ErrMissingTable},
		{name: "csv and parquet both present", files: map[string]string{"kinship.csv": "person_id,relative_id,relation\n", "kinship.parquet": "x"},
			want: []string{"kinship.csv", "kinship.parquet"}, is: ErrAmbiguous},
		{name: "corrupt parquet", files: map[string]string{"kinship.parquet": "PAR1 not really a parquet file"},
			want: []string{"kinship.parquet"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeDataset(t, tc.files)
			if tc.drop != "" {
				os.Remove(filepath.Join(dir, tc.drop))
			}
			d, err := Load(context.Background(), dir, Options{})
			if err == nil {
				d.Release()
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
		})
	}
}

func TestWriteRejects(t *testing.T) {
	var buf bytes.Buffer
	err := WriteRejects(&buf, []Reject{{Table: "ledger", File: "d/ledger.csv", Line: 7, Column: "date", Value: "2024,03", Reason: "want YYYY-MM-DD"}})
	if err != nil {
		t.Fatal(err)
	}
	want := "table,file,line,column,value,reason\nledger,d/ledger.csv,7,date,\"2024,03\",want YYYY-MM-DD\n"
	if buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
}

func equalTables(t *testing.T, a, b *table.Table) {
	t.Helper()
	if len(a.Cols) != len(b.Cols) || a.Len() != b.Len() {
		t.Fatalf("shape differs: %d cols %d rows vs %d cols %d rows", len(a.Cols), a.Len(), len(b.Cols), b.Len())
	}
	for i := range a.Cols {
		if !reflect.DeepEqual(a.Cols[i], b.Cols[i]) {
			t.Errorf("col %d: %+v vs %+v", i, a.Cols[i], b.Cols[i])
		}
		if !array.Equal(a.Rec.Column(i), b.Rec.Column(i)) {
			t.Errorf("column %s differs:\n%v\n%v", a.Cols[i].Name, a.Rec.Column(i), b.Rec.Column(i))
		}
	}
	if !a.Rec.Schema().Equal(b.Rec.Schema()) {
		t.Errorf("schema differs:\n%v\n%v", a.Rec.Schema(), b.Rec.Schema())
	}
}

func TestParquetRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	inputs := map[string]string{
		"ledger": ledgerHeader + ",note\n" + ledgerRow("E1", "2024-01-02", "168000.00") + ",n1\n" +
			"E2,V1,1999-12-31,,bank,in,0.01,opening,,\"multi\nline\",,A1,\n",
		"beneficiaries": "case_id,program,person_id,village_id,applied_on,approved_on,ended_on,monthly_amount,handled_by,relative_filed\n" +
			"C1,dibao,P1,V1,,2024-01-01,,500,,false\nC1,dibao,P2,V1,2023-12-01,2024-01-01,2024-06-30,-1.5,H1,true\n",
	}
	dir := t.TempDir()
	for name, in := range inputs {
		orig, _, rejects, err := Table(context.Background(), spec(t, name), name+".csv", strings.NewReader(in), Options{Mem: mem})
		if err != nil || len(rejects) > 0 {
			t.Fatalf("%s: %v %+v", name, err, rejects)
		}
		defer orig.Release()
		if err := WriteParquet(filepath.Join(dir, name+".parquet"), orig); err != nil {
			t.Fatal(err)
		}
		back, st, rejects, err := loadParquetFile(context.Background(), spec(t, name), filepath.Join(dir, name+".parquet"), Options{Mem: mem})
		if err != nil || len(rejects) > 0 {
			t.Fatalf("%s: %v %+v", name, err, rejects)
		}
		checkInvariant(t, st)
		equalTables(t, orig, back)
		back.Release()
	}

	// And through Load, mixing formats in one folder.
	ddir := writeDataset(t, nil)
	for name := range inputs {
		os.Remove(filepath.Join(ddir, name+".csv"))
		data, _ := os.ReadFile(filepath.Join(dir, name+".parquet"))
		os.WriteFile(filepath.Join(ddir, name+".parquet"), data, 0o644)
	}
	d, err := Load(context.Background(), ddir, Options{Mem: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Release()
	if d.Tables["ledger"].Len() != 2 || d.Tables["beneficiaries"].Len() != 2 {
		t.Errorf("Load of parquet: %d, %d rows", d.Tables["ledger"].Len(), d.Tables["beneficiaries"].Len())
	}
}

// writeRaw writes an arbitrary Arrow record as Parquet, as another tool would.
func writeRaw(t *testing.T, path string, rec arrow.RecordBatch) {
	t.Helper()
	writeRawProps(t, path, rec, nil)
}

// writeRawProps is writeRaw with the given Parquet writer properties.
func writeRawProps(t *testing.T, path string, rec arrow.RecordBatch, props *parquet.WriterProperties) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	fw, err := pqarrow.NewFileWriter(rec.Schema(), f, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		t.Fatal(err)
	}
	if err := fw.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
}

// ledgerRecord builds a ledger with strings for every column except the
// given overrides.
func ledgerRecord(t *testing.T, rows [][]string, override map[string]arrow.Array) arrow.RecordBatch {
	t.Helper()
	s := spec(t, "ledger")
	var fields []arrow.Field
	var cols []arrow.Array
	for j, c := range s.Columns {
		if a, ok := override[c.Name]; ok {
			fields = append(fields, arrow.Field{Name: c.Name, Type: a.DataType(), Nullable: true})
			cols = append(cols, a)
			continue
		}
		b := array.NewStringBuilder(memory.DefaultAllocator)
		for _, r := range rows {
			if r[j] == "" {
				b.AppendNull()
			} else {
				b.Append(r[j])
			}
		}
		fields = append(fields, arrow.Field{Name: c.Name, Type: arrow.BinaryTypes.String, Nullable: true})
		cols = append(cols, b.NewArray())
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, int64(len(rows)))
}

func TestParquetBadEnumRow(t *testing.T) {
	rows := [][]string{
		strings.Split(ledgerRow("E1", "2024-01-02", "1"), ","),
		strings.Split(ledgerRow("E2", "2024-01-02", "2"), ","),
		strings.Split("E3,V1,2024-01-02,P1,cash,out,3,expnse,,,,", ","),
		strings.Split(ledgerRow("E1", "2024-01-02", "4"), ","),
	}
	rec := ledgerRecord(t, rows, nil)
	defer rec.Release()
	dir := writeDataset(t, nil)
	os.Remove(filepath.Join(dir, "ledger.csv"))
	writeRaw(t, filepath.Join(dir, "ledger.parquet"), rec)

	d, err := Load(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Release()
	checkInvariant(t, d.Stats...)
	if d.Tables["ledger"].Len() != 2 || len(d.Rejects) != 2 {
		t.Fatalf("loaded %d, rejects %+v", d.Tables["ledger"].Len(), d.Rejects)
	}
	r := d.Rejects[0]
	if r.Line != 3 || r.Column != "category" || r.Value != "expnse" || !strings.Contains(r.Reason, "want one of") || !strings.HasSuffix(r.File, "ledger.parquet") {
		t.Errorf("reject = %+v", r)
	}
	if r := d.Rejects[1]; r.Line != 4 || !strings.Contains(r.Reason, "first on row 1") {
		t.Errorf("dup reject = %+v", r)
	}
}

func TestParquetForeignTypes(t *testing.T) {
	mem := memory.DefaultAllocator
	rows := [][]string{
		strings.Split(ledgerRow("E1", "", ""), ","),
		strings.Split(ledgerRow("E2", "", ""), ","),
		strings.Split(ledgerRow("E3", "", ""), ","),
	}
	amt := array.NewDecimal128Builder(mem, &arrow.Decimal128Type{Precision: 12, Scale: 1})
	amt.Append(decimal128.FromI64(1685)) // 168.5 yuan
	amt.Append(decimal128.FromI64(-10))  // -1.0: rejected, not positive
	amt.AppendNull()                     // required: rejected
	tsType := &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}
	ts := array.NewTimestampBuilder(mem, tsType)
	// 2024-01-01 20:00 UTC is 2024-01-02 04:00 in Shanghai.
	ts.Append(arrow.Timestamp(civil.MustParse("2024-01-01").AddDays(0))*86400000 + 20*3600000)
	ts.Append(0)
	ts.Append(0)
	rec := ledgerRecord(t, rows, map[string]arrow.Array{"amount": amt.NewArray(), "date": ts.NewArray()})
	defer rec.Release()
	path := filepath.Join(t.TempDir(), "ledger.parquet")
	writeRaw(t, path, rec)

	tb, st, rejects, err := loadParquetFile(context.Background(), spec(t, "ledger"), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tb.Release()
	checkInvariant(t, st)
	if tb.Len() != 1 || len(rejects) != 2 {
		t.Fatalf("loaded %d, rejects %+v", tb.Len(), rejects)
	}
	if got := tb.Money("amount").Value(0); got != 16850 {
		t.Errorf("amount = %d fen, want 16850", got)
	}
	if got, _ := table.DateAt(tb.Date("date"), 0); got != civil.MustParse("2024-01-02") {
		t.Errorf("date = %v, want 2024-01-02 (Shanghai)", got)
	}
	if rejects[0].Line != 2 || rejects[0].Value != "-1.00" || rejects[1].Line != 3 || !strings.Contains(rejects[1].Reason, "required") {
		t.Errorf("rejects = %+v", rejects)
	}

	// int64 money without kind metadata is ambiguous (yuan or fen?).
	ib := array.NewInt64Builder(mem)
	ib.AppendValues([]int64{1, 2, 3}, nil)
	rec2 := ledgerRecord(t, rows, map[string]arrow.Array{"amount": ib.NewArray()})
	defer rec2.Release()
	writeRaw(t, path, rec2)
	if _, _, _, err := loadParquetFile(context.Background(), spec(t, "ledger"), path, Options{}); err == nil || !errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), "amount") {
		t.Errorf("int64 money without metadata: err = %v", err)
	}
}

func TestParquetTruncated(t *testing.T) {
	in := ledgerHeader + "\n" + ledgerRow("E1", "2024-01-02", "1") + "\n"
	tb, _, _, err := Table(context.Background(), spec(t, "ledger"), "x", strings.NewReader(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tb.Release()
	path := filepath.Join(t.TempDir(), "ledger.parquet")
	if err := WriteParquet(path, tb); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	for _, cut := range []int{len(data) / 2, len(data) - 3} {
		os.WriteFile(path, data[:cut], 0o644)
		if got, _, _, err := loadParquetFile(context.Background(), spec(t, "ledger"), path, Options{}); err == nil {
			got.Release()
			t.Errorf("cut at %d: no error", cut)
		} else if !strings.Contains(err.Error(), path) {
			t.Errorf("error %v does not name the file", err)
		}
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, _, err := Table(ctx, spec(t, "ledger"), "x", strings.NewReader(ledgerHeader+"\n"+ledgerRow("E1", "2024-01-02", "1")+"\n"), Options{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// A rejected GBK cell is written to the report with its bad bytes escaped,
// so rejected.csv stays valid UTF-8.
func TestWriteRejectsEscapesInvalidUTF8(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteRejects(&buf, []Reject{{Table: "persons", File: "p.csv", Line: 2, Column: "name", Value: "\xd5\xc5三", Reason: "not UTF-8"}}); err != nil {
		t.Fatal(err)
	}
	if !utf8.Valid(buf.Bytes()) || !strings.Contains(buf.String(), `\xD5\xC5三`) {
		t.Errorf("report %q", buf.String())
	}
}
