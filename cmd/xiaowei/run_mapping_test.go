package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMappedFixtureSameFindings: the xlsx + GBK CSV export of the shizhong
// fixture, read through its sources.yaml, gives a findings.jsonl
// byte-identical to the contract fixture's.
func TestMappedFixtureSameFindings(t *testing.T) {
	runTo := func(args ...string) []byte {
		t.Helper()
		out := t.TempDir()
		args = append([]string{"run", "--out", out, "--rules", "../../rules", "--as-of", "2025-06-30"}, args...)
		var stdout, stderr bytes.Buffer
		if code := dispatch(context.Background(), args, &stdout, &stderr); code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, stderr.String())
		}
		b, err := os.ReadFile(filepath.Join(out, "findings.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		rej, err := os.ReadFile(filepath.Join(out, "rejected.csv"))
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(rej), "\n"); n != 1 {
			t.Errorf("%v: %d rejected rows:\n%s", args, n-1, rej)
		}
		return b
	}
	want := runTo("--data", "../../fixtures/shizhong")
	got := runTo("--mapping", "../../fixtures/shizhong-export/sources.yaml")
	if len(want) == 0 {
		t.Fatal("the contract fixture gave no findings")
	}
	if !bytes.Equal(got, want) {
		t.Errorf("findings differ:\n got %d bytes\nwant %d bytes", len(got), len(want))
	}
}

func TestRunMappingUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--data", "../../fixtures/shizhong", "--mapping", "../../fixtures/shizhong-export/sources.yaml"}, "exclusive"},
		{[]string{"--mapping", "does-not-exist.yaml"}, "does-not-exist.yaml"},
		{[]string{"--mapping", "../../fixtures/shizhong-export/sources.yaml", "--partition", "county"}, "--partition"},
	} {
		var stdout, stderr bytes.Buffer
		args := append([]string{"run", "--out", t.TempDir(), "--rules", "../../rules", "--as-of", "2025-06-30"}, tc.args...)
		code := dispatch(context.Background(), args, &stdout, &stderr)
		if code != exitBadInput || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 mentioning %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}
