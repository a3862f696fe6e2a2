package kinship

import "github.com/neijiang/xiaowei/internal/table"

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

// addPersons makes a node of each register person (the first row of a
// duplicate id) with its row, role and household ordinal.
func (g *Graph) addPersons(persons *table.Table) {
	n := persons.Len()
	pid, hid, rel := persons.Str("person_id"), persons.Str("household_id"), persons.Str("relation_to_head")
	hhIndex := newIDIndex(n / 4) // household_id -> ordinal, keys in hhID
	prevH, prevHS := int32(-1), ""
	for i := 0; i < n; i++ {
		if pid.IsNull(i) {
			continue
		}
		id := pid.Value(i)
		node, slot := g.index.find(g.ids, id)
		if node >= 0 { // duplicate: the first row stays
			continue
		}
		g.ids = append(g.ids, id)
		g.index.add(g.ids, slot)
		g.row = append(g.row, int32(i))
		h := int32(-1)
		if hid.IsValid(i) {
			hs := hid.Value(i)
			if prevH >= 0 && hs == prevHS { // members of a household are listed together
				h = prevH
			} else {
				var slot int
				if h, slot = hhIndex.find(g.hhID, hs); h < 0 {
					h = int32(len(g.hhID))
					g.hhID = append(g.hhID, hs)
					hhIndex.add(g.hhID, slot)
				}
				prevH, prevHS = h, hs
			}
		}
		g.hh = append(g.hh, h)
		r := rNone
		if rel.IsValid(i) {
			r = parseRole(rel.Value(i))
		}
		g.role = append(g.role, r)
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
