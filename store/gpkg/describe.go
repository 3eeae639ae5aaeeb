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
		seq, err = logCollectionChange(ctx, tx, c.ID, actor)
		got = m.Collection
		return err
	})
	if err != nil {
		return store.Collection{}, 0, fmt.Errorf("gpkg: update collection %q: %w", c.ID, err)
	}
	return got, seq, nil
}

// logCollectionChange appends an OpCollection entry for collection id to
// the change log in tx and returns its seq.
func logCollectionChange(ctx context.Context, tx *sql.Tx, id, actor string) (int64, error) {
	res, err := tx.ExecContext(ctx, "INSERT INTO cityatlas_changes (collection, feature_id, op, version, actor, time) VALUES (?, 0, ?, 0, ?, ?)",
		id, string(store.OpCollection), actor, time.Now().UTC().Format(timeLayout))
	if err != nil {
		return 0, fmt.Errorf("change log: %w", err)
	}
	return res.LastInsertId()
}
