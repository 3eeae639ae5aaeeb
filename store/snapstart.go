package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"runtime"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// Options say how OpenWith builds the index.
type Options struct {
	// Snapshot is the file the index is kept in between runs: read at
	// start-up when it can be trusted, written by WriteSnapshot and
	// KeepSnapshot. Empty: no snapshot, the index is read whole.
	Snapshot string
	// Identity names the backend, so that a snapshot of another database
	// or file is never used; empty: the backend's Identifier says it.
	// Without an identity no snapshot is read or written.
	Identity string
}

// Identifier is implemented by backends that can name the database they
// hold, the same each time it is opened and different for another one (or
// a copy put in its place elsewhere).
type Identifier interface {
	Identity(ctx context.Context) (string, error)
}

// StartInfo says how the index was built at start-up.
type StartInfo struct {
	// FromSnapshot is true when the index was read from the snapshot and
	// caught up from the change log; SnapshotSeq is the seq it held.
	FromSnapshot bool
	SnapshotSeq  int64
	// Reloaded are the collections read whole from the backend anyway
	// (new, or changed in ways the change log does not say).
	Reloaded []string
	// Ignored says why a snapshot was not used; empty when it was, or when
	// none is configured.
	Ignored string
}

type snapState struct {
	path, identity string
	start          StartInfo
	mu             sync.Mutex // one writer at a time; guards written
	written        [2]int64   // snapKey at the last write
}

// Start says how the index was built.
func (s *Store) Start() StartInfo { return s.snap.start }

// OpenWith is Open with options. With a snapshot that can be trusted, it
// reads the index from it, reads whole the collections the snapshot lacks
// or holds with another definition, and catches up from the change log
// (Sync) before it returns: the index is then at least as new as the
// backend was when OpenWith began. A snapshot that cannot be trusted
// (unreadable, corrupt, of another build's layout, of another backend, or
// ahead of the backend's change log) is ignored with a warning, and the
// index read whole.
func OpenWith(ctx context.Context, b Backend, log *slog.Logger, o Options) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.Snapshot != "" && o.Identity == "" {
		if id, ok := b.(Identifier); ok {
			var err error
			if o.Identity, err = id.Identity(ctx); err != nil {
				log.Warn("index snapshot off: the backend cannot say its identity", "err", err)
			}
		}
		if o.Identity == "" {
			log.Warn("index snapshot off: the backend has no identity")
			o.Snapshot = ""
		}
	}
	var ignored string
	if o.Snapshot != "" {
		start := time.Now()
		s, err := openSnapshot(ctx, b, log, o)
		if err == nil {
			log.Info("index read from its snapshot and caught up", "path", o.Snapshot, "snapshotSeq", s.snap.start.SnapshotSeq,
				"seq", s.synced, "reloaded", s.snap.start.Reloaded, "took", time.Since(start).Round(time.Millisecond))
			return s, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		ignored = err.Error()
		if errors.Is(err, fs.ErrNotExist) {
			log.Info("no index snapshot yet: reading the index whole", "path", o.Snapshot)
		} else {
			log.Warn("index snapshot ignored: reading the index whole", "path", o.Snapshot, "reason", err)
		}
	}
	s, err := openFull(ctx, b, log)
	if err != nil {
		return nil, err
	}
	s.snap.path, s.snap.identity = o.Snapshot, o.Identity
	s.snap.start.Ignored = ignored
	return s, nil
}

// openSnapshot builds the Store from the snapshot o.Snapshot, or fails
// saying why it cannot be trusted.
func openSnapshot(ctx context.Context, b Backend, log *slog.Logger, o Options) (*Store, error) {
	seq, err := b.LastSeq(ctx)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	f, h, err := readSnapshotHeader(o.Snapshot)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if h.Identity != o.Identity {
		return nil, fmt.Errorf("the snapshot is of backend %q, this is %q", h.Identity, o.Identity)
	}
	if h.Seq > seq {
		return nil, fmt.Errorf("the snapshot holds change %d, the backend's change log ends at %d (restored or replaced?)", h.Seq, seq)
	}
	if h.Seq > 0 {
		chs, err := b.Changes(ctx, h.Seq-1, 1)
		if err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
		if len(chs) == 0 || h.Last == nil || !sameChange(chs[0], *h.Last) {
			return nil, fmt.Errorf("the change log's entry %d is not the one the snapshot saw (restored or replaced?)", h.Seq)
		}
	}
	s := &Store{backend: b, log: log, master: map[string]*layer{}}
	s.snap.path, s.snap.identity = o.Snapshot, o.Identity
	cs, err := s.collections(ctx)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	saved := map[string]snapLayer{}
	for _, sl := range h.Layers {
		saved[sl.Collection.ID] = sl
	}
	layers := make([]*layer, len(cs))
	var reloaded []string
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, c := range cs {
		sl, ok := saved[c.ID]
		if ok && sameDefinition(sl.Collection, c) {
			g.Go(func() error {
				l, bad, err := readLayer(f, sl)
				if err != nil {
					return err
				}
				l.coll = c // its descriptive fields as they are now
				s.quarantine.set(c.ID, setOf(bad))
				layers[i] = l
				return nil
			})
			continue
		}
		reloaded = append(reloaded, c.ID)
		g.Go(func() error {
			l, err := s.load(ctx, c)
			if err != nil {
				return err
			}
			l.seq, l.intern = seq, nil
			layers[i] = l
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for i, c := range cs {
		s.master[c.ID] = layers[i]
	}
	s.synced = h.Seq
	s.publish()
	s.syncState.record(h.Seq, nil)
	if err := s.Sync(ctx); err != nil {
		return nil, fmt.Errorf("catch up from the snapshot's change %d: %w", h.Seq, err)
	}
	s.snap.start = StartInfo{FromSnapshot: true, SnapshotSeq: h.Seq, Reloaded: reloaded}
	s.snap.written = s.snapKey()
	if s.synced != h.Seq {
		s.snap.written = [2]int64{} // caught up: worth writing again
	}
	return s, nil
}

// sameChange reports whether two reads of a change-log entry are the same
// entry. The collection is left out: a rename moves entries to the new id.
func sameChange(a, b Change) bool {
	return a.Seq == b.Seq && a.FeatureID == b.FeatureID && a.Op == b.Op && a.Version == b.Version &&
		a.Actor == b.Actor && a.Time.Equal(b.Time)
}

// sameDefinition reports whether collection a, as the snapshot holds it,
// has the definition c has now, but for the descriptive fields (which the
// change log follows). Schema, geometry type, time field, role, privacy or
// creation time changed elsewhere make the collection be read whole.
func sameDefinition(a, c Collection) bool {
	norm := func(c Collection) []byte {
		Describe(&c, Collection{})
		if len(c.Fields) == 0 {
			c.Fields = nil
		}
		c.Created = c.Created.UTC()
		js, _ := json.Marshal(c)
		return js
	}
	return a.Created.Equal(c.Created) && string(norm(a)) == string(norm(c))
}

func setOf(ids []int64) map[int64]struct{} {
	if len(ids) == 0 {
		return nil
	}
	m := make(map[int64]struct{}, len(ids))
	for _, id := range ids {
		m[id] = struct{}{}
	}
	return m
}

// ids returns the quarantined feature ids of each collection, in order.
func (q *quarantine) ids() map[string][]int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make(map[string][]int64, len(q.bad))
	for c, m := range q.bad {
		out[c] = slices.Sorted(maps.Keys(m))
	}
	return out
}

// snapKey changes whenever the index or how far it has caught up does.
func (s *Store) snapKey() [2]int64 { return [2]int64{s.pubs.Load(), s.syncState.seq.Load()} }

// WriteSnapshot writes the index as it is now to the snapshot file, if the
// Store has one (OpenWith) and the index changed since it was last written
// or read, atomically: a reader finds the old file or the new one. Writers
// and readers go on meanwhile.
func (s *Store) WriteSnapshot(ctx context.Context) error {
	if s.snap.path == "" {
		return nil
	}
	s.snap.mu.Lock()
	defer s.snap.mu.Unlock()
	s.mu.Lock()
	seq, cur, key := s.synced, s.current.Load(), s.snapKey()
	bad := s.quarantine.ids()
	s.mu.Unlock()
	if key == s.snap.written {
		return nil
	}
	start := time.Now()
	h := snapHeader{Identity: s.snap.identity, Seq: seq, Written: start.UTC()}
	if seq > 0 {
		chs, err := s.backend.Changes(ctx, seq-1, 1)
		if err != nil {
			return fmt.Errorf("write index snapshot: %w", err)
		}
		if len(chs) == 0 || chs[0].Seq != seq {
			return fmt.Errorf("write index snapshot: the change log has no entry %d", seq)
		}
		h.Last = &chs[0]
	}
	layers := make([]*layer, 0, len(cur.layers))
	for _, id := range slices.Sorted(maps.Keys(cur.layers)) {
		layers = append(layers, cur.layers[id])
	}
	if err := writeSnapshotFile(s.snap.path, h, layers, bad); err != nil {
		return fmt.Errorf("write index snapshot %s: %w", s.snap.path, err)
	}
	s.snap.written = key
	s.log.Info("index snapshot written", "path", s.snap.path, "seq", seq, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// KeepSnapshot writes the snapshot once the index has changed and then
// stayed the same for an interval (writes have settled), or has gone on
// changing for ten intervals (so that a restart has little to catch up),
// until ctx is done. Errors are logged.
func (s *Store) KeepSnapshot(ctx context.Context, interval time.Duration) {
	if s.snap.path == "" {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	prev, busy := s.snapKey(), 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		k := s.snapKey()
		s.snap.mu.Lock()
		written := s.snap.written
		s.snap.mu.Unlock()
		if k == written {
			prev, busy = k, 0
			continue
		}
		if k != prev && busy < 10 {
			prev = k
			busy++
			continue
		}
		prev, busy = k, 0
		if err := s.WriteSnapshot(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("index snapshot not written", "err", err)
		}
	}
}
