package auth

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Throttle limits failed authentications per client address: each address
// has a token bucket of Burst failures refilled at Rate a second; an
// address whose bucket is empty is refused without its key being looked
// at until it refills.
type Throttle struct {
	rate  rate.Limit
	burst int

	mu sync.Mutex
	m  map[string]*rate.Limiter
}

// maxAddrs bounds the addresses a Throttle remembers.
const maxAddrs = 100000

// NewThrottle allows burst failures at once per address, then one every
// 1/perSecond seconds.
func NewThrottle(perSecond float64, burst int) *Throttle {
	return &Throttle{rate: rate.Limit(perSecond), burst: burst, m: map[string]*rate.Limiter{}}
}

// Blocked reports whether addr has used up its failures at now, and if so
// how long until it may try again.
func (t *Throttle) Blocked(addr string, now time.Time) (bool, time.Duration) {
	t.mu.Lock()
	l, ok := t.m[addr]
	t.mu.Unlock()
	if !ok || l.TokensAt(now) >= 1 {
		return false, 0
	}
	wait := time.Duration((1 - l.TokensAt(now)) / float64(t.rate) * float64(time.Second))
	return true, max(wait, time.Second)
}

// Fail counts a failed authentication of addr at now.
func (t *Throttle) Fail(addr string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	l, ok := t.m[addr]
	if !ok {
		if len(t.m) >= maxAddrs {
			// Forget the addresses whose buckets are full again.
			for a, l := range t.m {
				if l.TokensAt(now) >= float64(t.burst) {
					delete(t.m, a)
				}
			}
			if len(t.m) >= maxAddrs {
				clear(t.m)
			}
		}
		l = rate.NewLimiter(t.rate, t.burst)
		t.m[addr] = l
	}
	l.AllowN(now, 1)
}
