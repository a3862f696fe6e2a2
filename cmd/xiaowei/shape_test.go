package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// Size limits of issue #18 ("one file, one idea"): a non-test Go file over
// maxFileLines or a function over maxFuncLines must say why in its doc
// comment ("Long because …"; for a file, in the comment above its package
// clause). The limits are where a newcomer stops reading a
// piece as one idea; the reason keeps a hot loop that must stay one loop.
const (
	maxFileLines = 420
	maxFuncLines = 80
)

func TestCodeShape(t *testing.T) {
	root := "../.."
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "data") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if n := fset.Position(f.End()).Line; n > maxFileLines && !fileSaysWhy(f) {
			t.Errorf("%s: %d lines (more than %d): split it by idea, or say why in a \"Long because\" comment", rel, n, maxFileLines)
		}
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			n := fset.Position(fd.End()).Line - fset.Position(fd.Pos()).Line + 1
			if n > maxFuncLines && !strings.Contains(fd.Doc.Text(), "Long because") {
				t.Errorf("%s: func %s: %d lines (more than %d): split it into named steps, or say why in its doc comment (\"Long because …\")",
					rel, fd.Name.Name, n, maxFuncLines)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// fileSaysWhy: a long file gives its reason in the comment above its
// package clause.
func fileSaysWhy(f *ast.File) bool {
	return strings.Contains(f.Doc.Text(), "Long because")
}
