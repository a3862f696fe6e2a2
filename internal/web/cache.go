package web

import (
	"context"
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
	key := "all"
	if !sc.AllLeads() {
		key = strings.Join(sc.Towns, ",")
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
