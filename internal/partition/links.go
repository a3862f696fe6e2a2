package partition

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"

	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/ident"
)

// Link tables are tables declared in rule files without a village column
// (contract payments: an entry_id and a contract_id). They used to be
// copied to every county, so each of a province's ~180 counties loaded and
// joined the whole province's link rows: detect:major grew 7x faster than
// the data from M to the province. Now a link row goes to the counties of
// the rows it references: for each of its id columns that is the one-column
// key of a table with a village column (entry_id -> ledger, contract_id ->
// contracts), the county where that key's row went. A row whose
// references resolve nowhere goes to the first county, as a row of an
// unknown village does. The row is in every county where a row it joins
// is, so each county's joins see what a whole run's joins see.
//
// Only the keys the link tables name are tracked: the link files are read
// once before the split (small: one row per payment of a contract), and
// while a referenced table is split each of its keys is looked up in that
// set, one map probe per row.

// link is one reference of a link table: its column and the table whose
// key that column holds.
type link struct {
	table, column, ref string
}

// refIndex tracks, for a referenced table, the counties of the key values
// link tables name.
type refIndex struct {
	column string             // the referenced table's key column
	parts  map[string][]int32 // key value -> its counties (ascending)
}

// linksOf lists the references of the declared link tables present in dir.
func linksOf(dir string) []link {
	var out []link
	for _, t := range contract.Declared() {
		if t.VillageColumn() != "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, t.Name+".csv")); err != nil {
			continue
		}
		for _, c := range t.Columns {
			if c.Kind != contract.ID {
				continue
			}
			for _, r := range contract.All() {
				if r.Name != t.Name && r.VillageColumn() != "" && len(r.Key) == 1 && r.Key[0] == c.Name {
					out = append(out, link{table: t.Name, column: c.Name, ref: r.Name})
					break
				}
			}
		}
	}
	return out
}

// isLink reports whether a table is split by its references.
func (s *splitter) isLink(name string) bool {
	for _, l := range s.links {
		if l.table == name {
			return true
		}
	}
	return false
}

// collectLinkKeys reads each link table once and notes the key values it
// names in the tables it references (s.refs).
func (s *splitter) collectLinkKeys(ctx context.Context) error {
	s.refs = map[string]*refIndex{}
	byTable := map[string][]link{}
	for _, l := range s.links {
		byTable[l.table] = append(byTable[l.table], l)
		if s.refs[l.ref] == nil {
			s.refs[l.ref] = &refIndex{column: l.column, parts: map[string][]int32{}}
		}
	}
	for name, ls := range byTable {
		if err := s.scanLinkKeys(ctx, name, ls); err != nil {
			return err
		}
	}
	return nil
}

func (s *splitter) scanLinkKeys(ctx context.Context, name string, ls []link) error {
	f, err := os.Open(filepath.Join(s.dir, name+".csv"))
	if err != nil {
		return err
	}
	defer f.Close()
	r := newRecords(f, name+".csv")
	head, err := r.header()
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return err
	}
	cols := make([]int, len(ls))
	for i, l := range ls {
		cols[i] = index(head, l.column)
	}
	r.only(cols...)
	for n := 0; ; n++ {
		if _, err := r.next(); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		if n&65535 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		for i, l := range ls {
			if v, ok := r.key(cols[i], ident.ColumnKind(l.column)); ok && len(v) > 0 {
				s.refs[l.ref].parts[string(v)] = nil
			}
		}
	}
}

// noteRef records the counties of the current record of a referenced
// table when a link table names its key.
func (s *splitter) noteRef(ri *refIndex, col int, r *records, part int32, many []int32) {
	v, ok := r.key(col, ident.ColumnKind(ri.column))
	if !ok {
		return
	}
	parts, named := ri.parts[string(v)]
	if !named {
		return
	}
	if len(many) == 0 {
		parts = addPart(parts, part)
	}
	for _, q := range many {
		parts = addPart(parts, q)
	}
	ri.parts[string(v)] = parts
}

// linkParts appends to many the counties of the current link record's
// references (none resolved: the first county).
func (s *splitter) linkParts(t tableRoute, r *records, many []int32) []int32 {
	for i, col := range t.linkCols {
		ri := s.refs[t.linkRefs[i]]
		if v, ok := r.key(col, ident.ColumnKind(ri.column)); ok {
			for _, q := range ri.parts[string(v)] {
				many = addPart(many, q)
			}
		}
	}
	if len(many) == 0 {
		many = append(many, 0)
	}
	return many
}
