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

// RenameCollection gives collection id the id newID: its feature table,
// R-tree index and triggers, registrations, definition, history and key
// grants (ErrNotFound, ErrConflict, ErrInvalid).
func (s *Store) RenameCollection(ctx context.Context, id, newID, actor string) (store.Collection, error) {
	var got store.Collection
	err := s.write(ctx, func(tx *sql.Tx) error {
		m, err := loadMeta(ctx, tx, id)
		if err != nil {
			return err
		}
		m.Collection.ID = newID
		if err := checkNewCollection(&m.Collection); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE lower(name) IN (lower(?), lower(?))", newID, rtreeName(newID)).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("collection %q: %w: a collection or table of that name exists", newID, store.ErrConflict)
		}
		js, err := json.Marshal(m)
		if err != nil {
			return err
		}
		var qs []string
		for _, suffix := range []string{"insert", "update1", "update2", "update3", "update4", "delete"} {
			qs = append(qs, "DROP TRIGGER IF EXISTS "+quote(rtreeName(id)+"_"+suffix))
		}
		qs = append(qs, "ALTER TABLE "+quote(id)+" RENAME TO "+quote(newID),
			"ALTER TABLE "+quote(rtreeName(id))+" RENAME TO "+quote(rtreeName(newID)))
		qs = append(qs, triggerSQL(newID)...)
		qs = append(qs, "PRAGMA defer_foreign_keys = ON")
		for _, q := range qs {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		for _, q := range []string{
			"UPDATE gpkg_contents SET table_name = ?2, identifier = ?2 WHERE table_name = ?1",
			"UPDATE gpkg_geometry_columns SET table_name = ?2 WHERE table_name = ?1",
			"UPDATE gpkg_extensions SET table_name = ?2 WHERE table_name = ?1",
			"UPDATE cityatlas_versions SET collection = ?2 WHERE collection = ?1",
			"UPDATE cityatlas_changes SET collection = ?2 WHERE collection = ?1 AND feature_id <> 0",
			"UPDATE cityatlas_keys SET collections = trim(replace(',' || collections || ',', ',' || ?1 || ',', ',' || ?2 || ','), ',') WHERE instr(',' || collections || ',', ',' || ?1 || ',') > 0",
		} {
			if _, err := tx.ExecContext(ctx, q, id, newID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, "UPDATE cityatlas_collections SET id = ?, meta = ? WHERE id = ?", newID, string(js), id); err != nil {
			return err
		}
		for _, c := range []string{id, newID} {
			if _, err := logCollectionChange(ctx, tx, c, actor); err != nil {
				return err
			}
		}
		got = m.Collection
		return nil
	})
	if err != nil {
		return store.Collection{}, fmt.Errorf("gpkg: rename collection %q to %q: %w", id, newID, err)
	}
	return got, nil
}
