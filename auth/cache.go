package auth

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/cityatlas/cityatlas/store"
)

// Lookup reads a key's record by its public id (store.ErrNotFound if there
// is none); store.Keys.KeyByID is one.
type Lookup func(ctx context.Context, id string) (store.Key, error)

// Verifier checks tokens against the store's keys, remembering each record
// (or its absence) for at most TTL: a key revoked or expired on any
// instance is refused everywhere within TTL, with no restart, and a busy
// service reads each key from the store at most once per TTL.
type Verifier struct {
	lookup Lookup
	ttl    time.Duration
	now    func() time.Time

	mu sync.Mutex
	m  map[string]cached
}

type cached struct {
	k     store.Key
	found bool
	at    time.Time
}

// DefaultTTL is how long a Verifier trusts what it read.
const DefaultTTL = 2 * time.Second

// maxCached bounds the memory of a Verifier under a flood of made-up ids.
const maxCached = 10000

// NewVerifier returns a Verifier on lookup; ttl <= 0 means DefaultTTL and
// now nil means time.Now.
func NewVerifier(lookup Lookup, ttl time.Duration, now func() time.Time) *Verifier {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	if now == nil {
		now = time.Now
	}
	return &Verifier{lookup: lookup, ttl: ttl, now: now, m: map[string]cached{}}
}

// Verify returns who token speaks for, or ErrMalformed, ErrUnknown,
// ErrWrong, ErrRevoked, ErrExpired, or the lookup's other error.
func (v *Verifier) Verify(ctx context.Context, token string) (Principal, error) {
	id, secret, err := Parse(token)
	if err != nil {
		return Principal{}, err
	}
	now := v.now()
	v.mu.Lock()
	c, ok := v.m[id]
	v.mu.Unlock()
	if !ok || now.Sub(c.at) >= v.ttl || now.Before(c.at) {
		k, err := v.lookup(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			c = cached{at: now}
		case err != nil:
			return Principal{}, err
		default:
			c = cached{k: k, found: true, at: now}
		}
		v.mu.Lock()
		if len(v.m) >= maxCached {
			for id, e := range v.m {
				if now.Sub(e.at) >= v.ttl {
					delete(v.m, id)
				}
			}
			if len(v.m) >= maxCached {
				clear(v.m)
			}
		}
		v.m[id] = c
		v.mu.Unlock()
	}
	if !c.found {
		return Principal{}, ErrUnknown
	}
	return Check(c.k, secret, now)
}
