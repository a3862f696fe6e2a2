package auth

import (
	"sync"
	"time"
)

// Throttle counts failed sign-ins per key (a client address) in a sliding
// window and refuses attempts once Max failures fall inside it. Accounts
// are also locked in the store after repeated failures; this guards against
// one address trying many user names.
type Throttle struct {
	Max    int
	Window time.Duration

	mu    sync.Mutex
	fails map[string][]time.Time
	now   func() time.Time
}

// NewThrottle makes a throttle.
func NewThrottle(max int, window time.Duration) *Throttle {
	return &Throttle{Max: max, Window: window, fails: map[string][]time.Time{}, now: time.Now}
}

// Allowed says whether key may try now, and if not, for how long it waits.
func (t *Throttle) Allowed(key string) (bool, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fs := t.prune(key)
	if len(fs) < t.Max {
		return true, 0
	}
	return false, fs[0].Add(t.Window).Sub(t.now())
}

// Fail records a failed attempt.
func (t *Throttle) Fail(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.fails[key] = append(t.prune(key), t.now())
	if len(t.fails) > 100000 { // bound memory under a spray of addresses
		for k := range t.fails {
			delete(t.fails, k)
			break
		}
	}
}

// Succeed clears a key's failures.
func (t *Throttle) Succeed(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.fails, key)
}

func (t *Throttle) prune(key string) []time.Time {
	fs := t.fails[key]
	cut := t.now().Add(-t.Window)
	i := 0
	for i < len(fs) && fs[i].Before(cut) {
		i++
	}
	fs = fs[i:]
	if len(fs) == 0 {
		delete(t.fails, key)
		return nil
	}
	t.fails[key] = fs
	return fs
}
