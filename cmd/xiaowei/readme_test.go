package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The README's rule, override and rule-test examples are real files: each
// YAML block that is one of those passes `xiaowei check` together with the
// shipped rules it refers to (shipped rules are left out where the example
// redefines one of them), and the rule-test example passes against them.
func TestReadmeExamplesCheck(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(b), -1)
	checked := 0
	for i, m := range blocks {
		src := m[1]
		kind := ""
		switch {
		case strings.HasPrefix(src, "rules:"):
			kind = "rules"
		case strings.HasPrefix(src, "overrides:"):
			kind = "overrides"
		case strings.HasPrefix(src, "tests:"):
			kind = "tests"
		default:
			continue
		}
		dir := t.TempDir()
		// The shipped rules, so overrides and tests can name them; a rules
		// example replaces the shipped file of its family.
		for _, f := range []string{"cash.yaml", "disclosure.yaml", "relative.yaml", "data_quality.yaml"} {
			if kind == "rules" && f == "cash.yaml" {
				continue
			}
			data, err := os.ReadFile(filepath.Join("../../rules", f))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, f), data, 0o644)
		}
		os.WriteFile(filepath.Join(dir, "example.yaml"), []byte(src), 0o644)
		var stdout, stderr bytes.Buffer
		if code := dispatch(context.Background(), []string{"check", "--builtin-rules=false", dir}, &stdout, &stderr); code != exitOK {
			t.Errorf("README yaml block %d (%s) fails check:\n%s", i+1, kind, stderr.String())
		}
		if kind == "tests" {
			stdout.Reset()
			if code := dispatch(context.Background(), []string{"test", "--builtin-rules=false", dir}, &stdout, &stderr); code != exitOK {
				t.Errorf("README rule-test example fails against the shipped rules:\n%s%s", stdout.String(), stderr.String())
			}
		}
		checked++
	}
	if checked < 3 {
		t.Errorf("checked %d README examples, want the rule, override and test examples", checked)
	}
}
