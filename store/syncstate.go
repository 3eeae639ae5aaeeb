package store

import (
	"sync"
	"sync/atomic"
	"time"
)

// SyncState says how far the index has caught up with the change log, for
// readiness and monitoring. Reading it never waits on a Sync in progress
// (which may be waiting on an absent database).
type SyncState struct {
	// Seq is the change-log seq up to which the index has applied changes.
	Seq int64
	// At is when the last Sync succeeded (the Open, before the first).
	At time.Time
	// Err is the last Sync's error; nil when it succeeded.
	Err error
}

type syncState struct {
	seq atomic.Int64
	mu  sync.Mutex
	at  time.Time
	err error
}

// record notes the outcome of Open or a Sync; seq is s.synced.
func (st *syncState) record(seq int64, err error) {
	st.seq.Store(seq)
	st.mu.Lock()
	defer st.mu.Unlock()
	st.err = err
	if err == nil {
		st.at = time.Now()
	}
}

// SyncState returns how far the index has caught up.
func (s *Store) SyncState() SyncState {
	st := &s.syncState
	st.mu.Lock()
	defer st.mu.Unlock()
	return SyncState{Seq: st.seq.Load(), At: st.at, Err: st.err}
}
