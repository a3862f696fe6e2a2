package main

import (
	"bytes"
	"context"
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
