package gpkg

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/cityatlas/cityatlas/store"
)

var (
	_ store.StreamApplier  = (*Store)(nil)
	_ store.CreateStreamer = (*Store)(nil)
)

// ApplyStream performs the mutations that next yields, until io.EOF, in one
// transaction, one at a time, holding none of them once written (see
// store.StreamApplier). Errors are those of Apply, or next's and result's
// own errors, wrapped; on any error nothing is written.
func (s *Store) ApplyStream(ctx context.Context, collection string, next func() (store.Mutation, error), actor string, result func(store.Result) error) error {
	if err := s.applyAll(ctx, collection, next, actor, result); err != nil {
		return fmt.Errorf("gpkg: apply stream to %q: %w", collection, err)
	}
	return nil
}

// CreateStream makes collection c and performs the mutations that next
// yields on it, in one transaction (see store.CreateStreamer): on any
// error, neither the collection nor any feature is written. Errors are
// CreateCollection's and ApplyStream's.
func (s *Store) CreateStream(ctx context.Context, c store.Collection, next func() (store.Mutation, error), actor string, result func(store.Result) error) (store.Collection, error) {
	if err := checkNewCollection(&c); err != nil {
		return store.Collection{}, fmt.Errorf("gpkg: create collection: %w", err)
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := createIn(ctx, tx, &c); err != nil {
			return fmt.Errorf("create collection: %w", err)
		}
		return applyIn(ctx, tx, c.ID, next, actor, result)
	})
	if err != nil {
		return store.Collection{}, fmt.Errorf("gpkg: create and fill %q: %w", c.ID, err)
	}
	return c, nil
}
