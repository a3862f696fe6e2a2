package source

import "github.com/neijiang/xiaowei/internal/contract"

func candidates(m *Mapping, tm *TableMap, col string) []string {
	if cm := tm.Columns[col]; cm != nil && len(cm.From) > 0 {
		return cm.From
	}
	out := []string{col}
	out = append(out, m.Aliases[col]...)
	// A declared table's own aliases (its rule file names the headers its
	// exports use) come before the built-in ones.
	if spec, ok := contract.Lookup(tm.Table); ok {
		if c, ok := spec.Column(col); ok {
			out = append(out, c.Aliases...)
		}
	}
	return append(out, builtinAliases[col]...)
}

// resolve matches a header row against the table's columns: mapped
// columns first, then aliases in contract order, each source column used
// once.
func resolve(m *Mapping, tm *TableMap, spec *contract.Table, header []string) []*colConv {
	norm := make([]string, len(header))
	hunits := make([]string, len(header))
	for j, h := range header {
		norm[j], hunits[j] = normHeader(h)
	}
	used := map[int]bool{}
	find := func(names []string) int {
		for _, n := range names {
			nn, _ := normHeader(n)
			for j := range norm {
				if !used[j] && norm[j] == nn && nn != "" {
					return j
				}
			}
		}
		return -1
	}
	convs := make([]*colConv, len(spec.Columns))
	for k, c := range spec.Columns {
		cv := &colConv{col: c, src: -1, period: spec.Name == "disclosures" && c.Name == "period"}
		convs[k] = cv
		if c.Kind == contract.Enum || c.Kind == contract.Bool {
			cv.values = map[string]string{}
			for _, vm := range []map[string]string{builtinValues[c.Name], m.Values[c.Name]} {
				for a, b := range vm {
					cv.values[a] = b
				}
			}
		}
		cm := tm.Columns[c.Name]
		if cm == nil {
			continue
		}
		for a, b := range cm.Values {
			if cv.values == nil {
				cv.values = map[string]string{}
			}
			cv.values[a] = b
		}
		cv.scale = units[cm.Unit]
		switch {
		case cm.Const != nil:
			cv.konst, cv.how = cm.Const, "value"
		case len(cm.From) > 0:
			if j := find(cm.From); j >= 0 {
				cv.src, cv.how, cv.header = j, "mapping", header[j]
				used[j] = true
			} else {
				cv.how = "missing"
			}
		}
	}
	for _, cv := range convs {
		if cv.how != "" {
			continue
		}
		cands := candidates(m, tm, cv.col.Name)
		if j := find(cands); j >= 0 {
			cv.src, cv.header = j, header[j]
			cv.how = "alias"
			if n, _ := normHeader(header[j]); n == cv.col.Name {
				cv.how = "contract name"
			}
			used[j] = true
		} else {
			cv.how = "absent"
		}
	}
	for _, cv := range convs {
		if cv.src >= 0 && cv.col.Kind == contract.Money && (tm.Columns[cv.col.Name] == nil || tm.Columns[cv.col.Name].Unit == "") {
			cv.scale = units[hunits[cv.src]]
		}
	}
	return convs
}
