package store

import (
	"context"
	"fmt"

	"github.com/twpayne/go-geom"
)

// Version is one entry of a feature's history: the change that wrote it
// and, when the backend kept it, the content of that version.
type Version struct {
	Change
	// Content is false when the backend no longer has this version's
	// geometry and properties (it was replaced before history was kept).
	Content    bool
	Geometry   geom.T
	Properties Properties
	// ExternalID is that of the version, when Content is true.
	ExternalID string
}

// Historian is implemented by backends that keep every version of a
// feature and can read the change log of one collection.
type Historian interface {
	// History returns every version of feature id of the collection,
	// oldest first: one entry a change-log entry of the feature (insert,
	// update, delete), preceded by the collection's bulk load when the
	// feature came from one. A delete carries the content it removed.
	// Only versions of change-log seq > after are returned, at most limit
	// of them (limit <= 0: all), so that a long history is read in pages.
	// ErrNotFound if the change log has nothing on the feature (after 0).
	History(ctx context.Context, collection string, id int64, after int64, limit int) ([]Version, error)
	// CollectionChanges is Changes for one collection: up to limit entries
	// with Seq > after, in Seq order (limit <= 0: no limit).
	CollectionChanges(ctx context.Context, collection string, after int64, limit int) ([]Change, error)
}

// ErrNoHistory is returned by Store.History and Store.Changes when the
// backend keeps no history.
var ErrNoHistory = fmt.Errorf("the store keeps no history: %w", ErrNotFound)

// History returns every version of a feature (see Historian.History).
func (s *Store) History(ctx context.Context, collection string, id int64, after int64, limit int) ([]Version, error) {
	h, ok := s.backend.(Historian)
	if !ok {
		return nil, ErrNoHistory
	}
	return h.History(ctx, collection, id, after, limit)
}

// Changes returns up to limit change-log entries with Seq > after, of one
// collection, or of every collection when collection is empty.
func (s *Store) Changes(ctx context.Context, collection string, after int64, limit int) ([]Change, error) {
	if collection == "" {
		return s.backend.Changes(ctx, after, limit)
	}
	h, ok := s.backend.(Historian)
	if !ok {
		return nil, ErrNoHistory
	}
	return h.CollectionChanges(ctx, collection, after, limit)
}
