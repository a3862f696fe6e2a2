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

// TestPowerItemsWalkthrough: docs/power-items.md's walk-through works as
// written. Every block that starts with "# file: PATH" is written to PATH
// (blocks naming one file are joined in order) beside the shipped rules,
// then the page's commands run: check, test (the page's rule test must pass
// and its expectations are the real findings) and inspect of the export
// through its mapping (every row loads).
func TestPowerItemsWalkthrough(t *testing.T) {
	b, err := os.ReadFile("../../docs/power-items.md")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string]string{}
	var order []string
	for _, m := range regexp.MustCompile("(?s)```(yaml|csv)\n# file: ([^\n]+)\n(.*?)```").FindAllStringSubmatch(string(b), -1) {
		path := m[2]
		if _, ok := files[path]; !ok {
			order = append(order, path)
		}
		files[path] += m[3]
	}
	for _, want := range []string{"rules/local/sanyi.yaml", "exports/sources.yaml", "exports/重大事项台账.csv", "rules/tests/sanyi.test.yaml", "rules/local/shijia.yaml"} {
		if _, ok := files[want]; !ok {
			t.Fatalf("the walk-through has no block for %s (blocks: %v)", want, order)
		}
	}
	for path, src := range files {
		p := filepath.Join(dir, path)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	shipped, _ := filepath.Glob("../../rules/*.yaml")
	for _, f := range shipped {
		data, _ := os.ReadFile(f)
		os.WriteFile(filepath.Join(dir, "rules", filepath.Base(f)), data, 0o644)
	}
	rulesDir := filepath.Join(dir, "rules")
	ctx := context.Background()
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"check", []string{"check", rulesDir}, []string{"ok:"}},
		{"test", []string{"test", filepath.Join(rulesDir, "local"), filepath.Join(rulesDir, "tests", "sanyi.test.yaml")}, []string{"sanyi.test.yaml:2:5: 缺审议的大额事项触发", " passed, 0 failed"}},
		{"inspect", []string{"inspect", filepath.Join(dir, "exports", "重大事项台账.csv"), "--mapping", filepath.Join(dir, "exports", "sources.yaml"), "--rules", rulesDir},
			[]string{"matter_register", "rows: read 4 = loaded 4 + rejected 0"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := dispatch(ctx, tc.args, &stdout, &stderr); code != exitOK {
				t.Fatalf("%v: exit %d\n%s%s", tc.args, code, stdout.String(), stderr.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("%v: output lacks %q:\n%s", tc.args, w, stdout.String())
				}
			}
		})
	}
}
