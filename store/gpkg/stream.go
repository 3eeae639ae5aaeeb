package gpkg

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/cityatlas/cityatlas/store"
)

var _ store.StreamApplier = (*Store)(nil)

// ApplyStream performs the mutations that next yields, until io.EOF, in one
// transaction, one at a time, holding none of them once written (see
// store.StreamApplier). Errors are those of Apply, or next's and result's
// own errors, wrapped; on any error nothing is written.
func (s *Store) ApplyStream(ctx context.Context, collection string, next func() (store.Mutation, error), actor string, result func(store.Result) error) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		m, err := loadMeta(ctx, tx, collection)
		if err != nil {
			return err
		}
		now := time.Now().UTC().Truncate(time.Millisecond)
		a := &applier{tx: tx, m: m, actor: actor, now: now, nowText: now.Format(timeLayout)}
		defer a.close()
		if err := tx.QueryRowContext(ctx, "SELECT value FROM cityatlas_sequence WHERE name = 'feature'").Scan(&a.lastID); err != nil {
			return fmt.Errorf("read id counter: %w", err)
		}
		for i := 0; ; i++ {
			if i%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			mu, err := next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return err
			}
			r, err := a.apply(ctx, mu)
			if err != nil {
				what := string(mu.Op)
				if mu.Feature.ID != 0 {
					what += fmt.Sprintf(" feature %d", mu.Feature.ID)
				}
				if mu.Feature.ExternalID != "" {
					what += fmt.Sprintf(" external id %q", mu.Feature.ExternalID)
				}
				return fmt.Errorf("mutation %d (%s): %w", i, what, err)
			}
			if err := result(r); err != nil {
				return err
			}
		}
		return a.finish(ctx)
	})
	if err != nil {
		return fmt.Errorf("gpkg: apply stream to %q: %w", collection, err)
	}
	return nil
}
