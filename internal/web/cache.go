package web

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/neijiang/xiaowei/internal/auth"
	"github.com/neijiang/xiaowei/internal/store"
)

// pickers caches the lists the queue's filter and assignment pickers show
// (villages change only on import, accounts rarely): every queue page would
// otherwise read them again. Entries live for ttl.
type pickers struct {
	ttl time.Duration
	mu  sync.Mutex
	vs  map[string]cached[[]store.Village]
	as  cached[[]*store.Account]
}

type cached[T any] struct {
	v  T
	at time.Time
}

func (p *pickers) villages(ctx context.Context, st *store.Store, sc auth.Scope) ([]store.Village, error) {
	// The key is everything store.Villages filters by: an informant's
	// village narrows its towns' list.
	key := "all"
	if !sc.AllLeads() {
		key = strings.Join(sc.Towns, ",") + "|" + sc.Village
	}
	p.mu.Lock()
	c, ok := p.vs[key]
	p.mu.Unlock()
	if ok && time.Since(c.at) < p.ttl {
		return c.v, nil
	}
	v, err := st.Villages(ctx, sc)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	if p.vs == nil {
		p.vs = map[string]cached[[]store.Village]{}
	}
	p.vs[key] = cached[[]store.Village]{v, time.Now()}
	p.mu.Unlock()
	return v, nil
}

func (p *pickers) assignees(ctx context.Context, st *store.Store) ([]*store.Account, error) {
	p.mu.Lock()
	c := p.as
	p.mu.Unlock()
	if c.v != nil && time.Since(c.at) < p.ttl {
		return c.v, nil
	}
	v, err := st.Assignees(ctx)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.as = cached[[]*store.Account]{v, time.Now()}
	p.mu.Unlock()
	return v, nil
}

// forget drops the cached accounts (after an account changed here).
func (p *pickers) forget() {
	p.mu.Lock()
	p.as = cached[[]*store.Account]{}
	p.mu.Unlock()
}

// counts caches the queue's counts per status by scope and filter (not
// page, sort or status): counting tens of thousands of leads on every page
// turn is the queue's main cost. Any change made through the workbench
// moves gen and so invalidates every entry at once; changes made by runs
// show within ttl.
type counts struct {
	ttl time.Duration
	mu  sync.Mutex
	gen uint64
	m   map[string]cached[map[string]int]
}

func countKey(sc auth.Scope, f store.QueueFilter) string {
	f.Status, f.Page, f.Sort, f.PerPage, f.NoCounts = "", 0, "", 0, false
	return fmt.Sprintf("%s|%s|%s|%+v", sc.Role, sc.User, strings.Join(sc.Towns, ","), f)
}

func (c *counts) get(key string) (map[string]int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || time.Since(e.at) >= c.ttl {
		return nil, false
	}
	return e.v, true
}

func (c *counts) put(key string, m map[string]int, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen { // a change happened while counting
		return
	}
	if c.m == nil || len(c.m) > 5000 {
		c.m = map[string]cached[map[string]int]{}
	}
	c.m[key] = cached[map[string]int]{m, time.Now()}
}

func (c *counts) generation() uint64 { c.mu.Lock(); defer c.mu.Unlock(); return c.gen }

// changed forgets every count: a lead changed.
func (c *counts) changed() {
	c.mu.Lock()
	c.gen++
	c.m = nil
	c.mu.Unlock()
}
