package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInspectCommand: `xiaowei inspect` on the mapped xlsx fixture prints
// its sheets, headers and the mapping applied.
func TestInspectCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	args := []string{"inspect", "../../fixtures/shizhong-export/财务台账.xlsx", "--mapping", "../../fixtures/shizhong-export/sources.yaml"}
	if code := dispatch(context.Background(), args, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"sheets:", "2. 现金银行日记账", "table: ledger (mapping", "金额", "→ amount (money)", "附件张数", "(unmapped: not loaded)", "rows: read 4303 = loaded 4303 + rejected 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, bad := range [][]string{{"inspect"}, {"inspect", "x.csv", "--mapping", "../../fixtures/shizhong-export/nope.yaml"}} {
		stdout.Reset()
		stderr.Reset()
		if code := dispatch(context.Background(), bad, &stdout, &stderr); code != exitBadInput {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
}

// TestInspectXLSIsUsageError: `xiaowei inspect` on an Excel 97 workbook says
// to save it as .xlsx (as `run --mapping` does) and exits 2, instead of
// reporting the binary as a file in an unknown encoding.
func TestInspectXLSIsUsageError(t *testing.T) {
	p := filepath.Join(t.TempDir(), "台账.xls")
	if err := os.WriteFile(p, append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 504)...), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := dispatch(context.Background(), []string{"inspect", p}, &stdout, &stderr); code != exitBadInput {
		t.Errorf("exit %d, want 2", code)
	}
	if !strings.Contains(stderr.String(), "save it as .xlsx") || strings.Contains(stdout.String()+stderr.String(), "encoding") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
}
