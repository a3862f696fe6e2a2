package source

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestInspectXLSXFixture: inspect on the mapped ledger workbook shows the
// sheets, the header with the mapping applied, the unmapped column, the
// types, samples and the row accounting.
func TestInspectXLSXFixture(t *testing.T) {
	m, err := ReadMapping(exportFixture + "/sources.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Inspect(context.Background(), &b, exportFixture+"/财务台账.xlsx", InspectOptions{Mapping: m}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	t.Log("\n" + out)
	for _, want := range []string{
		"1. 说明  (1 rows × 1 columns)", "2. 现金银行日记账  (4305 rows × 13 columns)", "← ledger",
		"table: ledger (mapping ../../fixtures/shizhong-export/sources.yaml:",
		"header: row 1 of", "→ amount (money)", "→ date (date)",
		"M       附件张数", "(unmapped: not loaded)",
		"Excel date serial ×200", "values: ", "收→in",
		"rows: read 4303 = loaded 4303 + rejected 0",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect output lacks %q", want)
		}
	}
}

// TestInspectGuessesTable: with no mapping, a GBK register is recognised
// by its Chinese headers and its encoding is reported.
func TestInspectGuessesTable(t *testing.T) {
	var b bytes.Buffer
	if err := Inspect(context.Background(), &b, exportFixture+"/户籍人口.csv", InspectOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	t.Log("\n" + out)
	for _, want := range []string{"encoding: gb18030 (detected)", "table: persons (guessed", "公民身份号码  → person_id (id)", "户主→head", "rows: read 1250 = loaded 1250"} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect output lacks %q", want)
		}
	}
}
