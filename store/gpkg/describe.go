package gpkg

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cityatlas/cityatlas/store"
)

// UpdateCollection replaces the descriptive fields of collection c.ID (the
// JSON definition in cityatlas_collections, and the description in
// gpkg_contents) and logs an OpCollection change. Errors wrap
// store.ErrNotFound or store.ErrInvalid.
func (s *Store) UpdateCollection(ctx context.Context, c store.Collection, actor string) (store.Collection, int64, error) {
	var (
		got store.Collection
		seq int64
	)
	err := s.write(ctx, func(tx *sql.Tx) error {
		m, err := loadMeta(ctx, tx, c.ID)
		if err != nil {
			return err
		}
		store.Describe(&m.Collection, c)
		if err := store.ValidateCollection(&m.Collection); err != nil {
			return err
		}
		js, err := json.Marshal(m)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE cityatlas_collections SET meta = ? WHERE id = ?", string(js), c.ID); err != nil {
			return err
		}
		now := time.Now().UTC().Format(timeLayout)
		if _, err := tx.ExecContext(ctx, "UPDATE gpkg_contents SET description = ?, last_change = ? WHERE table_name = ?", m.Collection.Description, now, c.ID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "INSERT INTO cityatlas_changes (collection, feature_id, op, version, actor, time) VALUES (?, 0, ?, 0, ?, ?)",
			c.ID, string(store.OpCollection), actor, now)
		if err != nil {
			return fmt.Errorf("change log: %w", err)
		}
		seq, err = res.LastInsertId()
		got = m.Collection
		return err
	})
	if err != nil {
		return store.Collection{}, 0, fmt.Errorf("gpkg: update collection %q: %w", c.ID, err)
	}
	return got, seq, nil
}
