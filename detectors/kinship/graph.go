package kinship

import (
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/neijiang/xiaowei/internal/table"
)

// Graph is the relation graph of one run.
type Graph struct {
	ids   []string     // node -> person_id
	index shardedIndex // person_id -> node
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
// The register's ids and households are indexed on every core (see
// addIDs); the graph is the same whatever the core count.
func Build(persons, kin *table.Table, close []string) *Graph {
	if close == nil {
		close = DefaultClose
	}
	cs, _ := NewSet(close)
	n := persons.Len()
	nk := kin.Len()
	g := &Graph{index: newShardedIndex(n + nk/4), close: cs}
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

// addPersons makes a node of each register person (the first row of a
// duplicate id) with its row, role and household ordinal.
func (g *Graph) addPersons(persons *table.Table) {
	pid := persons.Str("person_id")
	if !g.addIDs(pid) {
		g.addIDsInOrder(pid)
	}
	g.addHouseholds(persons)
}

// addIDsInOrder indexes the register's ids one row after another, the
// first row of a duplicate id making the node: what addIDs does when ids
// are unique, for a register where they are not (the loader rejects such
// a register; this is the slow path for tables built otherwise).
func (g *Graph) addIDsInOrder(pid *array.String) {
	g.index = newShardedIndex(pid.Len())
	g.ids, g.row = g.ids[:0], g.row[:0]
	for i := 0; i < pid.Len(); i++ {
		if pid.IsNull(i) {
			continue
		}
		id := pid.Value(i)
		if node, shard, p := g.index.find(g.ids, id); node < 0 { // else a duplicate: the first row stays
			g.ids = append(g.ids, id)
			g.row = append(g.row, int32(i))
			g.index.add(g.ids, shard, p)
		}
	}
}

// addHouseholds gives each register node its household ordinal (in order
// of first appearance) and role. Members of a household are listed
// together: the nodes fall in runs of one household_id, and only a run's
// key is looked up (firstOf: the first run with the same key).
func (g *Graph) addHouseholds(persons *table.Table) {
	hid, rel := persons.Str("household_id"), persons.Str("relation_to_head")
	n := len(g.row)
	g.hh = g.hh[:n]
	g.role = g.role[:n]
	var runKeys []string // per run: its household_id
	prev, inRun := "", false
	for k, i := range g.row {
		if hid.IsNull(int(i)) {
			g.hh[k], inRun = -1, false
			continue
		}
		if hs := hid.Value(int(i)); !inRun || hs != prev {
			runKeys = append(runKeys, hs)
			prev, inRun = hs, true
		}
		g.hh[k] = int32(len(runKeys) - 1) // the run, for now
	}
	first := firstOf(runKeys)
	ord := first // a run's ordinal replaces its first run (never a later one)
	for r := range runKeys {
		if first[r] == int32(r) {
			ord[r] = int32(len(g.hhID))
			g.hhID = append(g.hhID, runKeys[r])
		} else {
			ord[r] = ord[first[r]]
		}
	}
	for k, r := range g.hh {
		if r >= 0 {
			g.hh[k] = ord[r]
		}
	}
	prevRole, prevR := "", rNone
	for k, i := range g.row {
		r := rNone
		if rel.IsValid(int(i)) {
			if s := rel.Value(int(i)); s == prevRole {
				r = prevR
			} else {
				r = parseRole(s)
				prevRole, prevR = s, r
			}
		}
		g.role[k] = r
	}
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
		x, shard, slot := g.index.find(g.ids, id)
		if x >= 0 {
			return x
		}
		g.ids = append(g.ids, id)
		g.index.add(g.ids, shard, slot)
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
