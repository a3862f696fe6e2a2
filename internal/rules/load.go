package rules

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	rulefiles "github.com/neijiang/xiaowei/rules"
)

// Builtin names the shipped rule set (package rulefiles, compiled into the
// binary) in a list of rule paths; its files read as "builtin:<name>".
const Builtin = "builtin:"

// builtinFS is the shipped set; a variable so tests can swap it.
var builtinFS fs.FS = rulefiles.FS

// BuiltinFiles lists the shipped files (relative slash paths) and their
// contents, for `xiaowei rules export`.
func BuiltinFiles() (map[string][]byte, error) {
	out := map[string][]byte{}
	err := fs.WalkDir(builtinFS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(builtinFS, path)
		out[path] = b
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("shipped rules: %w", err)
	}
	return out, nil
}

// LoadDirs reads every *.yaml / *.yml file below the given directories (or
// the files themselves) and classifies each by its top-level key: `rules`
// (and `settings`) make a rule file, `overrides` an override file, `tests`
// a rule test file. All problems in all files are returned together; a
// duplicate rule id across files is one of them.
//
// The path Builtin stands for the shipped set. A shipped file whose bytes
// are identical to a file of the other paths is read once, from that path:
// `--rules rules` in the source tree (or in a folder written by `xiaowei
// rules export`, unedited) adds nothing twice. An edited copy is a
// different file, so its rule ids clash with the shipped ones: the error
// says to leave the shipped set out.
func LoadDirs(paths []string) (*Set, error) {
	files, withBuiltin, err := listRuleFiles(paths)
	if err != nil {
		return nil, err
	}
	sort.Slice(files, func(i, j int) bool { return files[i].path < files[j].path })
	local := map[string]bool{}
	for i := range files {
		src, err := os.ReadFile(files[i].path)
		if err != nil {
			return nil, fmt.Errorf("rules: %w", err)
		}
		files[i].src = src
		local[hashText(src)] = true
	}
	if withBuiltin {
		shipped, err := BuiltinFiles()
		if err != nil {
			return nil, err
		}
		// Shipped files first: a clash names the local copy as the duplicate.
		files = append(builtinNotIn(shipped, local), files...)
	}
	set := &Set{}
	var errs Errors
	for _, f := range files {
		if e := set.add(f.path, f.src); e != nil {
			errs = append(errs, e...)
		}
	}
	errs = append(errs, set.checkDuplicates()...)
	if len(errs) == 0 {
		errs = set.DeclareTables()
	}
	if len(errs) > 0 {
		errs.Sort()
		return set, errs
	}
	return set, nil
}

// ruleSrc is one rule or override file to parse.
type ruleSrc struct {
	path string
	src  []byte
}

// listRuleFiles lists the YAML files of paths (files, or folders walked),
// not yet read; withBuiltin says whether paths names the shipped set.
func listRuleFiles(paths []string) (files []ruleSrc, withBuiltin bool, err error) {
	for _, p := range paths {
		if p == Builtin {
			withBuiltin = true
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			return nil, false, fmt.Errorf("rules: %w", err)
		}
		if !st.IsDir() {
			files = append(files, ruleSrc{path: p})
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			if !isYAML(path) {
				return nil
			}
			if d.Type()&fs.ModeSymlink != 0 {
				// Rules are read only from the configured folders: a link
				// could pull in any file the process can read.
				return fmt.Errorf("%s is a symbolic link: rule and override files must be regular files inside the rules folder", path)
			}
			files = append(files, ruleSrc{path: path})
			return nil
		})
		if err != nil {
			return nil, false, fmt.Errorf("rules: %w", err)
		}
	}
	return files, withBuiltin, nil
}

// builtinNotIn lists the shipped YAML files, by name, except those whose
// text is in local (the same file given again from a folder).
func builtinNotIn(shipped map[string][]byte, local map[string]bool) []ruleSrc {
	names := make([]string, 0, len(shipped))
	for n := range shipped {
		names = append(names, n)
	}
	sort.Strings(names)
	var bf []ruleSrc
	for _, n := range names {
		if isYAML(n) && !local[hashText(shipped[n])] {
			bf = append(bf, ruleSrc{path: Builtin + n, src: shipped[n]})
		}
	}
	return bf
}

// isYAML says whether a file name is a rule, override or test file's.
func isYAML(name string) bool {
	ext := filepath.Ext(name)
	return ext == ".yaml" || ext == ".yml"
}

// add reads one file's bytes into the set (used by tests and LoadDirs).
func (s *Set) add(path string, src []byte) Errors {
	p := newParser(path, src)
	if e := notUTF8(path, src); e != nil {
		return Errors{e}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(src, &root); err != nil {
		return Errors{p.yamlError(err)}
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return Errors{{Pos: Pos{path, 1, 1}, Msg: "empty file: want a mapping with rules, overrides or tests"}}
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return Errors{p.at(doc, "want a mapping with rules, overrides or tests")}
	}
	kind := ""
	for i := 0; i < len(doc.Content); i += 2 {
		switch k := doc.Content[i].Value; k {
		case "rules", "settings", "tables", "views":
			kind = pick(kind, "rules")
		case "overrides":
			kind = pick(kind, "overrides")
		case "tests":
			kind = pick(kind, "tests")
		}
	}
	switch kind {
	case "rules":
		f := p.ruleFile(doc)
		f.SHA256 = hashText(src)
		s.Files = append(s.Files, f)
	case "overrides":
		f := p.overrideFile(doc)
		f.SHA256 = hashText(src)
		s.Overrides = append(s.Overrides, f)
	case "tests":
		s.Tests = append(s.Tests, p.testFile(doc))
	case "mixed":
		p.errs = append(p.errs, p.at(doc, "a file holds rules (with settings), overrides or tests, not several"))
	default:
		p.errs = append(p.errs, p.at(doc, "want a top-level rules (with settings, tables, views), overrides or tests key"))
	}
	return p.errs
}

func pick(have, want string) string {
	if have == "" || have == want {
		return want
	}
	return "mixed"
}

func (s *Set) checkDuplicates() Errors {
	var errs Errors
	seen := map[string]*Rule{}
	for _, f := range s.Files {
		for _, r := range f.Rules {
			if r.ID == "" {
				continue
			}
			if prev, ok := seen[r.ID]; ok {
				msg := fmt.Sprintf("duplicate rule id %q (first defined at %s)", r.ID, prev.Pos)
				if strings.HasPrefix(prev.Pos.File, Builtin) && !strings.HasPrefix(r.Pos.File, Builtin) {
					msg += "; to replace the shipped rules with your edited copy, leave them out (--builtin-rules=false, or builtin_rules: false in the serve config)"
				}
				errs = append(errs, &Error{Pos: r.Pos, Msg: msg})
				continue
			}
			seen[r.ID] = r
		}
	}
	return errs
}

// notUTF8 names the first byte that is not UTF-8 (a rule or override file
// saved as GBK): YAML's own error says only "invalid leading UTF-8
// octet", which the position it gives (1:1) does not locate.
func notUTF8(path string, src []byte) *Error {
	if utf8.Valid(src) {
		return nil
	}
	line, col := 1, 1
	for i := 0; i < len(src); {
		r, n := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && n <= 1 {
			return &Error{Pos: Pos{path, line, col}, Msg: fmt.Sprintf("byte 0x%02X is not UTF-8: save the file as UTF-8 (it looks like GBK or another legacy encoding)", src[i])}
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += n
	}
	return nil
}
