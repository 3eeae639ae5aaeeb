package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cityatlas/cityatlas/geo"
)

// Store is what the api talks to: a Backend, the source of truth, with an
// in-memory index of every collection in front of it. Reads (lookups by
// id, bbox and area queries, counts, paging) are answered from memory; writes
// go to the backend and reach the index only after they commit.
//
// Readers never block: they work on an immutable snapshot that a writer
// replaces atomically. Writers are serialised.
type Store struct {
	backend Backend
	log     *slog.Logger

	mu      sync.Mutex // held by writers; guards master and synced
	master  map[string]*layer
	synced  int64 // change-log seq up to which the index has caught up
	current atomic.Pointer[snapshot]

	quarantine quarantine // stored features left out of the index
	syncState  syncState  // what SyncState reports

	pubs atomic.Int64 // publications, to tell whether the index changed
	snap snapState    // the index snapshot (snapstart.go)
}

type snapshot struct {
	layers map[string]*layer // published layers, never modified
}

// Open builds the index from every collection of b and returns the Store.
// It reads the change log position first, so that Sync replays anything
// written while the index was being built. A stored feature that cannot be
// read or indexed is quarantined (see Quarantined), not fatal.
func Open(ctx context.Context, b Backend, log *slog.Logger) (*Store, error) {
	return OpenWith(ctx, b, log, Options{})
}

// openFull is Open: the index read whole from the backend.
func openFull(ctx context.Context, b Backend, log *slog.Logger) (*Store, error) {
	s := &Store{backend: b, log: log, master: map[string]*layer{}}
	seq, err := b.LastSeq(ctx)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	s.synced = seq
	cs, err := s.collections(ctx)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	for _, c := range cs {
		l, err := s.load(ctx, c)
		if err != nil {
			return nil, err
		}
		// The layer's data is that of the change log at seq: a good start
		// for its ETag, which then moves with every change.
		l.seq = seq
		// Writes are rare next to reads: the intern map is rebuilt by the
		// first write that needs it rather than held all the time.
		l.intern = nil
		s.master[c.ID] = l
	}
	s.publish()
	s.syncState.record(seq, nil)
	return s, nil
}

// load reads collection c whole into a new layer, quarantining the
// features it cannot read or hold (the collection's quarantine is then
// replaced by theirs).
func (s *Store) load(ctx context.Context, c Collection) (*layer, error) {
	l := newLayer(c)
	bad := badRowLog{log: s.log, collection: c.ID}
	fn := func(f Feature) error {
		r, err := l.newItem(&f)
		if err != nil {
			bad.note(f.ID, err)
			return nil
		}
		l.put(r)
		return nil
	}
	var err error
	if ss, ok := s.backend.(SkippingScanner); ok {
		err = ss.ScanSkipping(ctx, c.ID, fn, func(b BadRow) { bad.note(b.ID, b.Err) })
	} else {
		err = s.backend.Scan(ctx, c.ID, fn)
	}
	if err != nil {
		return nil, fmt.Errorf("index collection %s: %w", c.ID, err)
	}
	bad.done()
	s.quarantine.set(c.ID, bad.bad)
	l.ids = packIDs(l.ids) // half of the memory of the tree the load built
	return l, nil
}

// quarantineLocked leaves feature id of layer l out of the index: a write
// committed it, but it cannot be read back or held. Callers hold s.mu.
func (s *Store) quarantineLocked(l *layer, id int64, err error) {
	s.log.Warn("index: feature quarantined, the rest of the collection is served", "collection", l.coll.ID, "id", id, "err", err)
	l.remove(id)
	s.quarantine.add(l.coll.ID, id)
}

// publish makes the master layers visible to readers. Callers hold s.mu
// (or own s exclusively).
func (s *Store) publish(changed ...string) {
	old := s.current.Load()
	next := &snapshot{layers: make(map[string]*layer, len(s.master))}
	now := time.Now().UTC().Truncate(time.Second)
	for id, l := range s.master {
		if old != nil && slices.Contains(changed, id) {
			l.modified = now
		}
		if old != nil && !slices.Contains(changed, id) {
			if pl, ok := old.layers[id]; ok {
				next.layers[id] = pl
				continue
			}
		}
		next.layers[id] = l.snapshot()
	}
	s.current.Store(next)
	s.pubs.Add(1)
}

// Backend returns the store's backend.
func (s *Store) Backend() Backend { return s.backend }

// Close closes the backend.
func (s *Store) Close() error { return s.backend.Close() }

// Collections returns every collection with its derived statistics, ordered
// by id.
func (s *Store) Collections() []CollectionInfo {
	snap := s.current.Load()
	out := make([]CollectionInfo, 0, len(snap.layers))
	for _, id := range slices.Sorted(maps.Keys(snap.layers)) {
		out = append(out, snap.layers[id].info())
	}
	return out
}

// Collection returns one collection with its statistics (ErrNotFound if
// there is none).
func (s *Store) Collection(id string) (CollectionInfo, error) {
	l, err := s.layer(id)
	if err != nil {
		return CollectionInfo{}, err
	}
	return l.info(), nil
}

func (s *Store) layer(id string) (*layer, error) {
	l, ok := s.current.Load().layers[id]
	if !ok {
		return nil, fmt.Errorf("collection %q: %w", id, ErrNotFound)
	}
	return l, nil
}

// CollectionInfo is a collection with what the index derives from its data.
type CollectionInfo struct {
	Collection
	// Count is the number of features.
	Count int
	// Extent is [minLon, minLat, maxLon, maxLat] of all geometries; HasExtent
	// is false when no feature has a geometry.
	Extent    [4]float64
	HasExtent bool
	// Seq is the change-log sequence number of the last change seen for the
	// collection; Gen changes with every change the index publishes. Together
	// with Count they make the collection's ETag.
	Seq int64
	Gen int64
	// TimeExtent is the earliest and latest value of the collection's time
	// (its TimeField, or the features' Updated time), in UTC; HasTime is
	// false when no feature has one.
	TimeExtent [2]time.Time
	HasTime    bool
	// Updated is when the collection's data last changed, as far as this
	// index knows: the latest Updated time of its features, or the time
	// this index published a later change (a delete); zero for an empty
	// collection never changed. It is the Last-Modified of downloads.
	Updated time.Time
}

func (l *layer) info() CollectionInfo {
	ext, ok := l.extent()
	ci := CollectionInfo{Collection: l.coll, Count: l.ids.Len(), Extent: ext, HasExtent: ok, Seq: l.seq, Gen: l.gen}
	if l.times != nil {
		t := l.times()
		ci.TimeExtent, ci.HasTime = t.span, t.ok
		ci.Updated = t.updated
	}
	if l.modified.After(ci.Updated) {
		ci.Updated = l.modified
	}
	return ci
}

// Feature returns one feature from memory (ErrNotFound if the collection or
// the feature does not exist). Created is zero: it is not kept in memory.
func (s *Store) Feature(collection string, id int64) (Feature, error) {
	l, err := s.layer(collection)
	if err != nil {
		return Feature{}, err
	}
	it, ok := l.get(id)
	if !ok {
		return Feature{}, fmt.Errorf("feature %d of %q: %w", id, collection, ErrNotFound)
	}
	return l.feature(it), nil
}

// CreateCollection adds a collection to the backend and the index.
// Errors: ErrInvalid, ErrConflict.
func (s *Store) CreateCollection(ctx context.Context, c Collection) (Collection, error) {
	if err := ValidateCollection(&c); err != nil {
		return Collection{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	got, err := s.backend.CreateCollection(ctx, c)
	if err != nil {
		return Collection{}, err
	}
	l := newLayer(got)
	if old, ok := s.master[got.ID]; ok {
		l.gen = old.gen + 1
	}
	s.master[got.ID] = l
	s.publish(got.ID)
	return got, nil
}

// UpdateCollection replaces the descriptive fields of collection c.ID
// (see Backend.UpdateCollection) in the backend and the index and returns
// the collection as stored. Errors: ErrNotFound, ErrInvalid.
func (s *Store) UpdateCollection(ctx context.Context, c Collection, actor string) (Collection, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.master[c.ID]
	if !ok {
		return Collection{}, fmt.Errorf("collection %q: %w", c.ID, ErrNotFound)
	}
	next := l.coll
	Describe(&next, c)
	if err := ValidateCollection(&next); err != nil {
		return Collection{}, err
	}
	got, seq, err := s.backend.UpdateCollection(ctx, next, actor)
	if err != nil {
		return Collection{}, err
	}
	l.coll = got
	l.seq = max(l.seq, seq)
	l.gen++
	s.publish(got.ID)
	return got, nil
}

// RenameCollection gives collection id the id newID (see
// Backend.RenameCollection) in the backend and the index. Errors:
// ErrNotFound, ErrConflict, ErrInvalid.
func (s *Store) RenameCollection(ctx context.Context, id, newID, actor string) (Collection, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	got, err := s.backend.RenameCollection(ctx, id, newID, actor)
	if err != nil {
		return Collection{}, err
	}
	l, err := s.load(ctx, got)
	if err != nil {
		return Collection{}, err
	}
	if old, ok := s.master[id]; ok {
		l.gen, l.seq = old.gen+1, old.seq
	}
	delete(s.master, id)
	s.quarantine.set(id, nil)
	s.master[newID] = l
	s.publish(newID)
	return got, nil
}

// DeleteCollection removes a collection and its features. Errors:
// ErrNotFound.
func (s *Store) DeleteCollection(ctx context.Context, id, actor string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.backend.DeleteCollection(ctx, id, actor); err != nil {
		return err
	}
	delete(s.master, id)
	s.quarantine.set(id, nil)
	s.publish()
	return nil
}

// Apply validates the mutations' geometries, writes them to the backend in
// one transaction and, once that has committed, updates the index. Errors
// are those of Backend.Apply; a geometry that breaks RFC 7946 is ErrInvalid.
func (s *Store) Apply(ctx context.Context, collection string, ms []Mutation, actor string) ([]Result, error) {
	for i := range ms {
		if ms[i].Op == OpDelete {
			continue
		}
		if err := geo.Validate(ms[i].Feature.Geometry); err != nil {
			return nil, fmt.Errorf("%w: feature %d of the batch: %w", ErrInvalid, i+1, err)
		}
		if len(ms[i].Feature.ExternalID) > MaxExternalID {
			return nil, Invalidf("feature %d of the batch: external id is %d bytes long; at most %d", i+1, len(ms[i].Feature.ExternalID), MaxExternalID)
		}
		if ms[i].Feature.Properties == nil {
			ms[i].Feature.Properties = emptyObject
		}
		if n := len(ms[i].Feature.Properties); n > MaxPropertiesBytes {
			return nil, Invalidf("feature %d of the batch: properties of %d bytes; at most %d", i+1, n, MaxPropertiesBytes)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.master[collection]
	if !ok {
		return nil, fmt.Errorf("collection %q: %w", collection, ErrNotFound)
	}
	rs, err := s.backend.Apply(ctx, collection, ms, actor)
	if err != nil {
		return nil, err
	}
	changed := false
	for i := range rs {
		r := &rs[i]
		switch r.Outcome {
		case Inserted, Updated:
			ref, err := l.newItem(&r.Feature)
			if err != nil {
				// The write has committed (Validate should have refused
				// it): the index leaves it out rather than drift.
				s.quarantineLocked(l, r.Feature.ID, err)
				break
			}
			l.put(ref)
			s.quarantine.release(collection, r.Feature.ID)
		case Deleted:
			l.remove(r.Feature.ID)
			s.quarantine.release(collection, r.Feature.ID)
		default:
			continue
		}
		changed = true
		l.seq = max(l.seq, r.Seq)
	}
	if changed {
		l.gen++
		s.publish(collection)
	}
	return rs, nil
}

func (s *Store) reloadLocked(ctx context.Context, collection string) error {
	cs, err := s.collections(ctx)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if c.ID == collection {
			l, err := s.load(ctx, c)
			if err != nil {
				return err
			}
			if old, ok := s.master[c.ID]; ok {
				l.gen, l.seq = old.gen+1, old.seq
			}
			s.master[c.ID] = l
			s.publish(c.ID)
			return nil
		}
	}
	delete(s.master, collection)
	s.quarantine.set(collection, nil)
	s.publish()
	return nil
}

// redescribeLocked reads the definition of l's collection again after a
// change of op OpCollection made elsewhere.
func (s *Store) redescribeLocked(ctx context.Context, l *layer, ch Change, changed map[string]bool) error {
	if ch.Seq <= l.seq {
		return nil
	}
	cs, err := s.collections(ctx)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if c.ID == ch.Collection {
			Describe(&l.coll, c)
			l.seq = ch.Seq
			l.gen++
			changed[c.ID] = true
			return nil
		}
	}
	// Deleted elsewhere.
	delete(s.master, ch.Collection)
	s.quarantine.set(ch.Collection, nil)
	changed[ch.Collection] = true
	return nil
}

// Sync brings the index up to date with writes made through other
// instances or tools sharing the backend, from the change log. Writes this
// Store made itself are already indexed and are skipped.
func (s *Store) Sync(ctx context.Context) (err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer func() { s.syncState.record(s.synced, err) }()
	changed := map[string]bool{}
	defer func() {
		if len(changed) > 0 {
			s.publish(slices.Collect(maps.Keys(changed))...)
		}
	}()
	for {
		chs, err := s.backend.Changes(ctx, s.synced, 1000)
		if err != nil {
			return fmt.Errorf("sync: %w", err)
		}
		if len(chs) == 0 {
			return nil
		}
		for _, ch := range chs {
			if err := s.applyChange(ctx, ch, changed); err != nil {
				return fmt.Errorf("sync change %d: %w", ch.Seq, err)
			}
			s.synced = ch.Seq
		}
	}
}

func (s *Store) applyChange(ctx context.Context, ch Change, changed map[string]bool) error {
	l, ok := s.master[ch.Collection]
	if !ok {
		// A collection made elsewhere: pick up the list again.
		cs, err := s.collections(ctx)
		if err != nil {
			return err
		}
		for _, c := range cs {
			if _, have := s.master[c.ID]; !have {
				nl, err := s.load(ctx, c)
				if err != nil {
					return err
				}
				s.master[c.ID] = nl
				changed[c.ID] = true
			}
		}
		if l, ok = s.master[ch.Collection]; !ok {
			return nil // dropped since
		}
		if ch.Op == OpLoad || ch.Op == OpSchema {
			l.seq = max(l.seq, ch.Seq)
			return nil // just read whole
		}
	}
	if ch.Op == OpCollection {
		return s.redescribeLocked(ctx, l, ch, changed)
	}
	if ch.Op == OpLoad || ch.Op == OpSchema {
		// A bulk load or a schema change: read the collection again.
		if ch.Seq <= l.seq {
			return nil
		}
		if err := s.reloadLocked(ctx, ch.Collection); err != nil {
			return err
		}
		if nl, ok := s.master[ch.Collection]; ok {
			nl.seq = max(nl.seq, ch.Seq) // reloadLocked moved gen on
		}
		changed[ch.Collection] = true
		return nil
	}
	cur, have := l.get(ch.FeatureID)
	if have && cur.version >= ch.Version && ch.Op != OpDelete {
		return nil
	}
	f, err := s.backend.Feature(ctx, ch.Collection, ch.FeatureID)
	switch {
	case errors.Is(err, ErrNotFound):
		s.quarantine.release(ch.Collection, ch.FeatureID)
		if have {
			l.remove(ch.FeatureID)
		} else {
			return nil
		}
	case errors.Is(err, ErrBadData):
		// Written by someone else past the database's checks: the stale
		// version the index has would be wrong too.
		s.quarantineLocked(l, ch.FeatureID, err)
	case err != nil:
		return err
	default:
		if have && cur.version == f.Version {
			return nil
		}
		r, err := l.newItem(&f)
		if err != nil {
			s.quarantineLocked(l, ch.FeatureID, err)
			break
		}
		l.put(r)
		s.quarantine.release(ch.Collection, ch.FeatureID)
	}
	l.seq = max(l.seq, ch.Seq)
	l.gen++
	changed[ch.Collection] = true
	return nil
}

// Follow calls Sync every interval and whenever wake receives, until ctx is
// done. Errors are logged, and the next round tries again.
func (s *Store) Follow(ctx context.Context, interval time.Duration, wake <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-wake:
		}
		if err := s.Sync(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("index sync failed", "err", err)
		}
	}
}
