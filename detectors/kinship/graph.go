package kinship

import (
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/neijiang/xiaowei/internal/table"
)

// Graph is the relation graph of one run.
type Graph struct {
	ids   []string // node -> person_id
	index idIndex  // person_id -> node
	// per node; nodes >= nPersons come only from kinship rows
	nPersons int
	row      []int32 // persons row of a register node
	role     []role
	hh       []int32 // household ordinal, -1 outside the register
	// households (CSR)
	hhID       []string
	hhStart    []int32
	hhMember   []int32
	hhChildren []int32 // number of `child` members
	// declared relations (CSR over nodes)
	kinStart []int32
	kinTo    []int32
	kinRel   []Relation

	close Set
}

// Build indexes persons (the register) and kinship (nil when absent). A
// person_id that appears twice in persons keeps its first row. Kinship
// rows with an unknown relation or a missing id are ignored; close is the
// set of close relations Relation answers for (nil = DefaultClose).
func Build(persons, kin *table.Table, close []string) *Graph {
	if close == nil {
		close = DefaultClose
	}
	cs, _ := NewSet(close)
	n := persons.Len()
	nk := kin.Len()
	g := &Graph{index: newIDIndex(n + nk/4), close: cs}
	g.ids = make([]string, 0, n)
	g.role = make([]role, 0, n)
	g.hh = make([]int32, 0, n)
	g.row = make([]int32, 0, n)
	if n > 0 {
		g.addPersons(persons)
		g.indexHouseholds()
	}
	g.nPersons = len(g.ids)
	if nk > 0 {
		g.addKinship(kin)
	}
	return g
}

// touchBatch is how many persons rows addPersons hashes and touches (see
// idIndex.touch) before it inserts them: enough misses in flight to keep
// the memory busy, few enough for the touched slots to stay in cache.
const touchBatch = 32

// addPersons makes a node of each register person (the first row of a
// duplicate id) with its row, role and household ordinal.
func (g *Graph) addPersons(persons *table.Table) {
	n := persons.Len()
	pid := persons.Str("person_id")
	p := personAdder{g: g, hid: persons.Str("household_id"), rel: persons.Str("relation_to_head"),
		hhIndex: newIDIndex(n / 4), prevH: -1}
	var hashes, hhHashes [touchBatch]uint64
	var hhOK [touchBatch]bool
	var sink uint64
	prevHS, havePrevHS := "", false
	for lo := 0; lo < n; lo += touchBatch {
		hi := min(lo+touchBatch, n)
		for i := lo; i < hi; i++ {
			hhOK[i-lo] = false
			if pid.IsValid(i) {
				hashes[i-lo] = g.index.hash(pid.Value(i))
				sink += g.index.touch(hashes[i-lo])
			}
			// a household's first row looks its household_id up
			if p.hid.IsValid(i) && (!havePrevHS || p.hid.Value(i) != prevHS) {
				prevHS, havePrevHS = p.hid.Value(i), true
				hhHashes[i-lo], hhOK[i-lo] = p.hhIndex.hash(prevHS), true
				sink += p.hhIndex.touch(hhHashes[i-lo])
			}
		}
		for i := lo; i < hi; i++ {
			if pid.IsValid(i) {
				p.add(i, pid.Value(i), hashes[i-lo], hhHashes[i-lo], hhOK[i-lo])
			}
		}
	}
	touchSink = sink
}

// touchSink keeps idIndex.touch's reads from being optimised away.
var touchSink uint64

// personAdder adds register persons to a graph one row at a time.
type personAdder struct {
	g        *Graph
	hid, rel *array.String
	hhIndex  idIndex // household_id -> ordinal, keys in g.hhID
	prevH    int32   // household of the previous row, -1 when none
	prevHS   string
}

// add makes a node of persons row i, person id (of hash h), unless id
// already has one. hh is the hash of the row's household_id when hhOK
// (addPersons hashes the first row of each run of one household).
func (p *personAdder) add(i int, id string, h, hh uint64, hhOK bool) {
	g := p.g
	node, slot := g.index.findHashed(g.ids, id, h)
	if node >= 0 { // duplicate: the first row stays
		return
	}
	g.ids = append(g.ids, id)
	g.index.add(g.ids, slot)
	g.row = append(g.row, int32(i))
	ord := int32(-1)
	if p.hid.IsValid(i) {
		hs := p.hid.Value(i)
		if p.prevH >= 0 && hs == p.prevHS { // members of a household are listed together
			ord = p.prevH
		} else {
			if !hhOK {
				hh = p.hhIndex.hash(hs)
			}
			var slot probe
			if ord, slot = p.hhIndex.findHashed(g.hhID, hs, hh); ord < 0 {
				ord = int32(len(g.hhID))
				g.hhID = append(g.hhID, hs)
				p.hhIndex.add(g.hhID, slot)
			}
			p.prevH, p.prevHS = ord, hs
		}
	}
	g.hh = append(g.hh, ord)
	r := rNone
	if p.rel.IsValid(i) {
		r = parseRole(p.rel.Value(i))
	}
	g.role = append(g.role, r)
}

// indexHouseholds lists the household members, CSR by counting sort (keeps
// register order), and counts each household's children.
func (g *Graph) indexHouseholds() {
	nh := len(g.hhID)
	g.hhStart = make([]int32, nh+1)
	g.hhChildren = make([]int32, nh)
	for p, h := range g.hh {
		if h >= 0 {
			g.hhStart[h+1]++
			if g.role[p] == rChild {
				g.hhChildren[h]++
			}
		}
	}
	for h := 0; h < nh; h++ {
		g.hhStart[h+1] += g.hhStart[h]
	}
	g.hhMember = make([]int32, g.hhStart[nh])
	fill := make([]int32, nh)
	for p, h := range g.hh {
		if h >= 0 {
			g.hhMember[g.hhStart[h]+fill[h]] = int32(p)
			fill[h]++
		}
	}
}

// addKinship adds the declared relations, both ways, CSR over nodes in
// kinship row order; a person named only in kinship gets a node after the
// register's.
func (g *Graph) addKinship(kin *table.Table) {
	nk := kin.Len()
	a, b, rel := kin.Str("person_id"), kin.Str("relative_id"), kin.Str("relation")
	node := func(id string) int32 {
		x, slot := g.index.find(g.ids, id)
		if x >= 0 {
			return x
		}
		g.ids = append(g.ids, id)
		g.index.add(g.ids, slot)
		return int32(len(g.ids) - 1)
	}
	type edge struct {
		a, b int32
		r    Relation
	}
	edges := make([]edge, 0, nk)
	for i := 0; i < nk; i++ {
		if a.IsNull(i) || b.IsNull(i) || rel.IsNull(i) {
			continue
		}
		r, ok := ParseRelation(rel.Value(i))
		if !ok || r == Self {
			continue
		}
		x, y := node(a.Value(i)), node(b.Value(i))
		if x == y {
			continue
		}
		edges = append(edges, edge{x, y, r})
	}
	nn := len(g.ids)
	g.kinStart = make([]int32, nn+1)
	for _, e := range edges {
		g.kinStart[e.a+1]++
		g.kinStart[e.b+1]++
	}
	for i := 0; i < nn; i++ {
		g.kinStart[i+1] += g.kinStart[i]
	}
	g.kinTo = make([]int32, 2*len(edges))
	g.kinRel = make([]Relation, 2*len(edges))
	fill := make([]int32, nn)
	for _, e := range edges { // kinship row order kept per node
		k := g.kinStart[e.a] + fill[e.a]
		g.kinTo[k], g.kinRel[k] = e.b, e.r // b is r to a
		fill[e.a]++
		k = g.kinStart[e.b] + fill[e.b]
		g.kinTo[k], g.kinRel[k] = e.a, e.r.Inverse()
		fill[e.b]++
	}
}
