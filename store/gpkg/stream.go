package gpkg

import (
	"context"
	"fmt"

	"github.com/cityatlas/cityatlas/store"
)

var _ store.StreamApplier = (*Store)(nil)

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
