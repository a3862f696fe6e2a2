package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestShippedRules runs `xiaowei check rules` and `xiaowei test rules` on
// the shipped rule folder, so `go test ./...` runs every rule test file
// through the real engine, and a shipped rule without a test fails.
func TestShippedRules(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := dispatch(context.Background(), []string{"check", "../../rules"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("check rules: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	code := dispatch(context.Background(), []string{"test", "../../rules"}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("test rules: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	set, _, err := loadAndCheck([]string{"../../rules"})
	if err != nil {
		t.Fatal(err)
	}
	tested := map[string]bool{}
	for _, tf := range set.Tests {
		for _, tc := range tf.Cases {
			for _, id := range tc.Rules {
				tested[id] = true
			}
			for _, e := range tc.Expect {
				tested[e.Rule] = true
			}
		}
	}
	var untested []string
	for _, r := range set.Rules() {
		if !tested[r.ID] {
			untested = append(untested, r.ID)
		}
	}
	if len(untested) > 0 {
		t.Errorf("shipped rules without a rule test: %s", strings.Join(untested, ", "))
	}
}
