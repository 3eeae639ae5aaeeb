package store

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
)

// Bad data is quarantined, never fatal: a stored feature that a backend
// cannot read (a corrupt geometry blob, a property that breaks the schema,
// a row written by another client past the database's constraints) or
// that the index cannot hold (geo.CheckStorable) is left out of the index
// with a warning, counted, and shown by Quarantined; the rest is served.

// ErrBadData is wrapped by a backend's error for a stored feature it
// cannot turn into a Feature the index can hold. It is the store's fault,
// not the caller's.
var ErrBadData = errors.New("bad stored data")

// BadRow is a stored feature that cannot be indexed.
type BadRow struct {
	Collection string
	ID         int64
	// Err says what is wrong with it.
	Err error
}

// SkippingScanner is implemented by backends that can scan a collection
// past the rows they cannot read.
type SkippingScanner interface {
	// ScanSkipping is Backend.Scan, except that a row the backend cannot
	// read (one for which Scan would fail with ErrBadData) is passed to
	// skip, and the scan goes on.
	ScanSkipping(ctx context.Context, collection string, fn func(Feature) error, skip func(BadRow)) error
}

// CollectionSkipper is implemented by backends that can list the
// collections past those whose stored definition they cannot read.
type CollectionSkipper interface {
	// CollectionsSkipping is Backend.Collections, except that a collection
	// whose definition cannot be read (one for which Collections would
	// fail with ErrBadData) is passed to skip and left out.
	CollectionsSkipping(ctx context.Context, skip func(id string, err error)) ([]Collection, error)
}

// MaxQuarantineSample is how many ids of quarantined features Quarantined
// gives per collection.
const MaxQuarantineSample = 5

// maxBadRowLogs is how many quarantined features of one collection a load
// logs one by one; the rest are counted in one line.
const maxBadRowLogs = 10

// Quarantine is what a collection has in quarantine.
type Quarantine struct {
	Collection string `json:"collection"`
	// Count is the number of stored features left out of the index.
	Count int `json:"count"`
	// Sample holds the smallest of their ids, at most MaxQuarantineSample.
	Sample []int64 `json:"sample"`
	// Unreadable means the collection's own definition cannot be read: it
	// is not served at all (Count and Sample are then empty).
	Unreadable bool `json:"unreadable,omitempty"`
}

// quarantine holds the ids of the features of each collection that are
// left out of the index (what is wrong with them goes to the log: a whole
// layer of bad rows must not cost memory for each message). It has its
// own lock so that /metrics never waits for a writer.
type quarantine struct {
	mu         sync.Mutex
	bad        map[string]map[int64]struct{}
	unreadable []string // collections whose definition cannot be read
}

// setUnreadable replaces the list of collections whose definition cannot
// be read (from a complete listing of the collections).
func (q *quarantine) setUnreadable(ids []string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.unreadable = ids
}

// set replaces the quarantine of a collection (after it was loaded whole);
// nil or empty clears it.
func (q *quarantine) set(collection string, bad map[int64]struct{}) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(bad) == 0 {
		delete(q.bad, collection)
		return
	}
	if q.bad == nil {
		q.bad = map[string]map[int64]struct{}{}
	}
	q.bad[collection] = bad
}

func (q *quarantine) add(collection string, id int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.bad == nil {
		q.bad = map[string]map[int64]struct{}{}
	}
	m := q.bad[collection]
	if m == nil {
		m = map[int64]struct{}{}
		q.bad[collection] = m
	}
	m[id] = struct{}{}
}

// release takes a feature out of quarantine (it was fixed or deleted).
func (q *quarantine) release(collection string, id int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if m := q.bad[collection]; m != nil {
		delete(m, id)
		if len(m) == 0 {
			delete(q.bad, collection)
		}
	}
}

// Quarantined returns, ordered by collection id, each collection that has
// stored features left out of the index because they cannot be read or
// held, with their number and a few of their ids. It is empty when all is
// well.
func (s *Store) Quarantined() []Quarantine {
	q := &s.quarantine
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]Quarantine, 0, len(q.bad)+len(q.unreadable))
	for _, c := range slices.Sorted(maps.Keys(q.bad)) {
		m := q.bad[c]
		out = append(out, Quarantine{Collection: c, Count: len(m), Sample: smallest(maps.Keys(m), MaxQuarantineSample)})
	}
	for _, c := range q.unreadable {
		out = append(out, Quarantine{Collection: c, Sample: []int64{}, Unreadable: true})
	}
	slices.SortStableFunc(out, func(a, b Quarantine) int { return strings.Compare(a.Collection, b.Collection) })
	return out
}

// smallest returns the n smallest ids, in order.
func smallest(ids func(func(int64) bool), n int) []int64 {
	out := make([]int64, 0, n)
	for id := range ids {
		i, _ := slices.BinarySearch(out, id)
		if i >= n {
			continue
		}
		if len(out) == n {
			out = out[:n-1]
		}
		out = slices.Insert(out, i, id)
	}
	return out
}

// badRowLog logs the quarantined features of one load of a collection:
// the first maxBadRowLogs one by one, then their total.
type badRowLog struct {
	log        *slog.Logger
	collection string
	bad        map[int64]struct{}
}

func (b *badRowLog) note(id int64, err error) {
	if b.bad == nil {
		b.bad = map[int64]struct{}{}
	}
	b.bad[id] = struct{}{}
	if len(b.bad) <= maxBadRowLogs {
		b.log.Warn("index: feature quarantined, the rest of the collection is served", "collection", b.collection, "id", id, "err", err)
	}
}

func (b *badRowLog) done() {
	if n := len(b.bad); n > maxBadRowLogs {
		b.log.Warn("index: features quarantined", "collection", b.collection, "count", n, "logged", maxBadRowLogs)
	}
}

// collections lists the backend's collections, leaving out, with an
// error in the log, those whose definition cannot be read: they are
// quarantined whole, and the rest is served.
func (s *Store) collections(ctx context.Context) ([]Collection, error) {
	cs, ok := s.backend.(CollectionSkipper)
	if !ok {
		return s.backend.Collections(ctx)
	}
	var bad []string
	list, err := cs.CollectionsSkipping(ctx, func(id string, err error) {
		s.log.Error("index: collection quarantined, its definition cannot be read; the other collections are served", "collection", id, "err", err)
		bad = append(bad, id)
	})
	if err != nil {
		return nil, err
	}
	s.quarantine.setUnreadable(bad)
	return list, nil
}
