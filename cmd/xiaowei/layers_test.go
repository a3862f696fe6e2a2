package main

import (
	"bufio"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/neijiang/xiaowei/"

// layers reads docs/architecture.md's package table: each package's group
// index, in the order the page lists them ("imports point down this
// list"). A `detectors/<family>` row stands for every detectors/ package
// not listed on its own.
func layers(t *testing.T) (group map[string]int, detectors int) {
	t.Helper()
	f, err := os.Open("../../docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	header := regexp.MustCompile(`^\| \*\*[^*]+\*\* \|`)
	pkg := regexp.MustCompile("^\\| `([^`]+)`")
	group, detectors, g := map[string]int{}, -1, -1
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch m := pkg.FindStringSubmatch(line); {
		case header.MatchString(line):
			g++
		case m != nil && g >= 0:
			if m[1] == "detectors/<family>" {
				detectors = g
			} else {
				group[m[1]] = g
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(group) < 20 || detectors < 0 {
		t.Fatalf("docs/architecture.md: read %d packages in the table (detectors row %d); has the table's shape changed?", len(group), detectors)
	}
	return group, detectors
}

// TestLayersAsDocumented: every package listed in docs/architecture.md
// imports only packages of its own group or an earlier one, as the page
// says; and no package but internal/store (and the test helper pgtest)
// imports pgx, so all SQL stays in the store.
func TestLayersAsDocumented(t *testing.T) {
	group, detectors := layers(t)
	groupOf := func(p string) (int, bool) {
		if g, ok := group[p]; ok {
			return g, true
		}
		if strings.HasPrefix(p, "detectors/") {
			return detectors, true
		}
		return 0, false
	}
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir("../..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != "../.." && (strings.HasPrefix(n, ".") || n == "testdata" || n == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel("../..", filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		file, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		from, listed := groupOf(rel)
		for _, im := range file.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			if strings.HasPrefix(p, "github.com/jackc/pgx") && rel != "internal/store" && rel != "internal/pgtest" {
				t.Errorf("%s imports %s: SQL belongs in internal/store (add a store method that returns plain data)", path, p)
			}
			if !listed || !strings.HasPrefix(p, module) {
				continue
			}
			checked++
			to, ok := groupOf(strings.TrimPrefix(p, module))
			if ok && to > from {
				t.Errorf("%s imports %s, which docs/architecture.md lists in a later group: imports must point down the list", path, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("checked only %d imports: the walk did not see the packages", checked)
	}
}
