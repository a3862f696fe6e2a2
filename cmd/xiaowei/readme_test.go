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

// The rule, override and rule-test examples in the README and the docs pages
// are real files: each YAML block that is one of those passes `xiaowei check`
// together with the shipped rules it refers to (shipped rules are left out
// where the example redefines one of them), and each rule-test example passes
// against them.
func TestReadmeExamplesCheck(t *testing.T) {
	pages, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	for _, p := range append([]string{"../../README.md"}, pages...) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(all), -1)
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
			t.Errorf("docs yaml block %d (%s) fails check:\n%s", i+1, kind, stderr.String())
		}
		if kind == "tests" {
			stdout.Reset()
			if code := dispatch(context.Background(), []string{"test", "--builtin-rules=false", dir}, &stdout, &stderr); code != exitOK {
				t.Errorf("docs rule-test example fails against the shipped rules:\n%s%s", stdout.String(), stderr.String())
			}
		}
		checked++
	}
	if checked < 3 {
		t.Errorf("checked %d docs examples, want the rule, override and test examples", checked)
	}
}

// The README is a short front page that links into docs/: every relative
// link in it and in the docs pages must name a file that exists, so a
// newcomer never follows a link into nothing.
func TestReadmeLinksResolve(t *testing.T) {
	pages, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	link := regexp.MustCompile(`\]\(([^)#:\s]+)(#[^)]*)?\)`)
	for _, p := range append([]string{"../../README.md"}, pages...) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(string(b), -1) {
			target := filepath.Join(filepath.Dir(p), m[1])
			if _, err := os.Stat(target); err != nil {
				t.Errorf("%s links to %s, which does not exist", p, m[1])
			}
		}
	}
}
