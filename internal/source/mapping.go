// Package source loads real-world exports (Excel workbooks, GBK or UTF-8
// CSV with Chinese headers, local codes and date and money formats) into
// the contract tables, as described by a source mapping (sources.yaml).
//
// A mapped table goes: file → decoded text rows (each with its source
// position) → header aliases and value conversion (dates, money, enums) →
// the loader's own per-cell validation (load.Records), so the rejects
// report and the Read = Loaded + Rejected accounting are the contract
// loader's. Rejects point at the original file, sheet and cell.
package source

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/yamlpos"
)

// ErrMapping marks a bad mapping file (exit 2 on the command line).
var ErrMapping = errors.New("bad source mapping")

// ErrFormat marks a data file in a format xiaowei cannot read (an Excel 97
// .xls): a usage error like a bad mapping, exit 2.
var ErrFormat = errors.New("unreadable file format")

// Mapping is a parsed sources.yaml.
type Mapping struct {
	Path   string // the file, or "" for a mapping built in code
	Dir    string // files are relative to it
	Tables map[string]*TableMap
	// Aliases and Values extend the built-in header aliases and enum value
	// maps for every table, by contract column name.
	Aliases map[string][]string
	Values  map[string]map[string]string
}

// TableMap says where one contract table comes from.
type TableMap struct {
	Table     string
	File      string // relative to the mapping's folder, or absolute
	Sheet     string // xlsx: "" = the first sheet
	HeaderRow int    // 1-based; 0 = detect in the first rows
	Encoding  string // CSV: "" or "auto", "utf-8", "gb18030" (gbk, gb2312 are read as gb18030)
	SkipRows  []string
	Columns   map[string]*ColumnMap // by contract column name
	Line      int                   // in the mapping file
}

// ColumnMap says where one contract column comes from.
type ColumnMap struct {
	From   []string          // source header names, first found wins
	Values map[string]string // source value → contract value
	Unit   string            // money: "元" (default) or "万元"
	Const  *string           // the same value in every row (no source column)
	Line   int
}

// Units accepted for money columns.
var units = map[string]int{"": 0, "元": 0, "yuan": 0, "万元": 4, "万": 4, "wan": 4}

// ReadMapping parses and checks a mapping file.
func ReadMapping(path string) (*Mapping, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("source mapping: %w", err)
	}
	m, err := ParseMapping(path, b)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// ParseMapping parses a mapping; path names it in errors and sets the
// folder files are relative to.
func ParseMapping(path string, src []byte) (*Mapping, error) {
	m := &Mapping{Path: path, Dir: filepath.Dir(path), Tables: map[string]*TableMap{},
		Aliases: map[string][]string{}, Values: map[string]map[string]string{}}
	errs := &mapErrs{path: path}
	if line, col, b, bad := firstNonUTF8(src); bad {
		return nil, &mappingError{yamlpos.Errors{{File: path, Line: line, Col: col, Msg: fmt.Sprintf("byte 0x%02X is not UTF-8: save the mapping as UTF-8", b)}}}
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(src))
	if err := dec.Decode(&doc); err != nil {
		return nil, &mappingError{yamlpos.Errors{yamlpos.Syntax(path, err)}}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		errs.add(root, "want a mapping with tables:")
		return nil, &mappingError{errs.list}
	}
	dupKeys(root, errs, "")
	eachKey(root, errs, []string{"version", "tables", "aliases", "values"}, func(k string, kn, v *yaml.Node) {
		switch k {
		case "version":
			if v.Value != "1" {
				errs.add(v, "version %q: only version 1 exists", v.Value)
			}
		case "tables":
			if v.Kind != yaml.MappingNode {
				errs.add(v, "tables: want a mapping of contract table names")
				return
			}
			for i := 0; i+1 < len(v.Content); i += 2 {
				name, tv := v.Content[i].Value, v.Content[i+1]
				spec, ok := contract.Lookup(name)
				if !ok {
					errs.add(v.Content[i], "tables.%s: not a contract table or one the rule folders declare (tables: %s)", name, tableNames())
					continue
				}
				if tm := parseTable(spec, tv, errs); tm != nil {
					m.Tables[name] = tm
				}
			}
		case "aliases":
			eachColumnKey(v, errs, "aliases", func(col string, n *yaml.Node) {
				if s, ok := strings1(n, errs, "aliases."+col); ok {
					m.Aliases[col] = append(m.Aliases[col], s...)
				}
			})
		case "values":
			eachColumnKey(v, errs, "values", func(col string, n *yaml.Node) {
				if vm := valueMap(n, errs, "values."+col); vm != nil {
					m.Values[col] = vm
				}
			})
		}
	})
	if len(m.Tables) == 0 && len(errs.list) == 0 {
		errs.add(root, "no tables: say which file holds which contract table under tables:")
	}
	if len(errs.list) > 0 {
		return nil, &mappingError{errs.list}
	}
	return m, nil
}

func tableNames() string {
	var n []string
	for _, t := range contract.All() {
		n = append(n, t.Name)
	}
	return strings.Join(n, ", ")
}

func columnNames(spec *contract.Table) string {
	var n []string
	for _, c := range spec.Columns {
		n = append(n, c.Name)
	}
	return strings.Join(n, ", ")
}

func parseTable(spec *contract.Table, n *yaml.Node, errs *mapErrs) *TableMap {
	where := "tables." + spec.Name
	tm := &TableMap{Table: spec.Name, Columns: map[string]*ColumnMap{}, Line: n.Line}
	if n.Kind == yaml.ScalarNode { // tables.villages: 村名录.csv
		tm.File = n.Value
		return tm
	}
	if n.Kind != yaml.MappingNode {
		errs.add(n, "%s: want a file name or a mapping with file:", where)
		return nil
	}
	before := len(errs.list)
	eachKey(n, errs, []string{"file", "sheet", "header_row", "encoding", "skip_rows", "columns"}, func(k string, kn, v *yaml.Node) {
		switch k {
		case "file":
			tm.File = v.Value
		case "sheet":
			tm.Sheet = v.Value
		case "header_row":
			if err := v.Decode(&tm.HeaderRow); err != nil || tm.HeaderRow < 0 {
				errs.add(v, "%s.header_row: want a row number (1 = first row; 0 or absent = detect)", where)
			}
		case "encoding":
			if _, ok := normEncoding(v.Value); !ok {
				errs.add(v, "%s.encoding %q: want auto, utf-8 or gb18030 (gbk)", where, v.Value)
			}
			tm.Encoding = v.Value
		case "skip_rows":
			if s, ok := strings1(v, errs, where+".skip_rows"); ok {
				tm.SkipRows = s
			}
		case "columns":
			if v.Kind != yaml.MappingNode {
				errs.add(v, "%s.columns: want a mapping of contract column: source header", where)
				return
			}
			for i := 0; i+1 < len(v.Content); i += 2 {
				col, cv := v.Content[i], v.Content[i+1]
				c, ok := spec.Column(col.Value)
				if !ok {
					errs.add(col, "%s.columns.%s: not a column of %s (columns: %s)", where, col.Value, spec.Name, columnNames(spec))
					continue
				}
				if cm := parseColumn(spec, c, cv, errs, where+".columns."+c.Name); cm != nil {
					tm.Columns[c.Name] = cm
				}
			}
		}
	})
	if tm.File == "" {
		errs.add(n, "%s: file: is required", where)
	}
	if len(errs.list) > before {
		return nil
	}
	return tm
}

func parseColumn(spec *contract.Table, c contract.Column, n *yaml.Node, errs *mapErrs, where string) *ColumnMap {
	cm := &ColumnMap{Line: n.Line}
	if n.Kind != yaml.MappingNode {
		from, ok := strings1(n, errs, where)
		if !ok {
			return nil
		}
		cm.From = from
		return cm
	}
	eachKey(n, errs, []string{"from", "values", "unit", "value"}, func(k string, kn, v *yaml.Node) {
		switch k {
		case "from":
			cm.From, _ = strings1(v, errs, where+".from")
		case "values":
			cm.Values = valueMap(v, errs, where+".values")
			if c.Kind == contract.Enum {
				for src, to := range cm.Values {
					if !slices.Contains(c.Enum, to) {
						errs.add(v, "%s.values: %s → %q is not a value of %s.%s (want one of: %s)", where, src, to, spec.Name, c.Name, strings.Join(c.Enum, ", "))
					}
				}
			}
		case "unit":
			if _, ok := units[v.Value]; !ok {
				errs.add(v, "%s.unit %q: want 元 or 万元", where, v.Value)
			} else if c.Kind != contract.Money {
				errs.add(v, "%s.unit: only money columns have a unit (%s is %s)", where, c.Name, c.Kind)
			}
			cm.Unit = v.Value
		case "value":
			s := v.Value
			cm.Const = &s
		}
	})
	if cm.Const != nil && len(cm.From) > 0 {
		errs.add(n, "%s: from: and value: are exclusive (value: is the same in every row)", where)
	}
	return cm
}

// sortedTables lists the mapping's tables in contract order.
func (m *Mapping) sortedTables() []*TableMap {
	var out []*TableMap
	for _, t := range contract.All() {
		if tm, ok := m.Tables[t.Name]; ok {
			out = append(out, tm)
		}
	}
	return out
}

// FilePath resolves a table's file against the mapping's folder.
func (m *Mapping) FilePath(tm *TableMap) string {
	if filepath.IsAbs(tm.File) || m.Dir == "" {
		return tm.File
	}
	return filepath.Join(m.Dir, tm.File)
}

// ForFile returns the tables mapped from file (by cleaned path or base name).
func (m *Mapping) ForFile(file string) []*TableMap {
	var out []*TableMap
	abs, _ := filepath.Abs(file)
	for _, tm := range m.sortedTables() {
		p, _ := filepath.Abs(m.FilePath(tm))
		if p == abs {
			out = append(out, tm)
		}
	}
	if len(out) == 0 {
		for _, tm := range m.sortedTables() {
			if filepath.Base(tm.File) == filepath.Base(file) {
				out = append(out, tm)
			}
		}
	}
	return out
}
