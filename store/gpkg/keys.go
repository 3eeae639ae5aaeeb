package gpkg

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cityatlas/cityatlas/store"
)

var _ store.Keys = (*Store)(nil)

// CreateKey stores a new API key in cityatlas_keys: ErrConflict if its
// name or id is taken.
func (s *Store) CreateKey(ctx context.Context, k store.Key) (store.Key, error) {
	if k.Name == "" || k.ID == "" {
		return store.Key{}, store.Invalidf("gpkg: create key: a key needs a name and an id")
	}
	k.Created = time.Now().UTC().Truncate(time.Millisecond)
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO cityatlas_keys (id, name, role, collections, salt, hash, created, expires)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, k.ID, k.Name, k.Role, strings.Join(k.Collections, ","), k.Salt, k.Hash,
			k.Created.Format(timeLayout), timeOrNull(k.Expires))
		if isUnique(err) {
			return fmt.Errorf("%w: a key called %q exists", store.ErrConflict, k.Name)
		}
		return err
	})
	if err != nil {
		return store.Key{}, fmt.Errorf("gpkg: create key %q: %w", k.Name, err)
	}
	return k, nil
}

const keyColumns = `id, name, role, collections, salt, hash, CAST(created AS TEXT), CAST(expires AS TEXT), CAST(revoked AS TEXT)`

// KeyByID returns the key with public id id (ErrNotFound if none).
func (s *Store) KeyByID(ctx context.Context, id string) (store.Key, error) {
	k, err := scanKey(s.r.QueryRowContext(ctx, "SELECT "+keyColumns+" FROM cityatlas_keys WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Key{}, fmt.Errorf("gpkg: key %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return store.Key{}, fmt.Errorf("gpkg: read key: %w", err)
	}
	return k, nil
}

// ListKeys returns every key, ordered by name.
func (s *Store) ListKeys(ctx context.Context) ([]store.Key, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT "+keyColumns+" FROM cityatlas_keys ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("gpkg: list keys: %w", err)
	}
	defer rows.Close()
	out := []store.Key{}
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("gpkg: list keys: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("gpkg: list keys: %w", err)
	}
	return out, nil
}

// RevokeKey marks the key called name revoked (ErrNotFound if none).
func (s *Store) RevokeKey(ctx context.Context, name string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE cityatlas_keys SET revoked = coalesce(revoked, ?) WHERE name = ?",
			time.Now().UTC().Format(timeLayout), name)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errors.Join(err, fmt.Errorf("key %q: %w", name, store.ErrNotFound))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("gpkg: revoke key %q: %w", name, err)
	}
	return nil
}

func scanKey(sc interface{ Scan(...any) error }) (store.Key, error) {
	var (
		k                store.Key
		colls, created   string
		expires, revoked sql.NullString
	)
	if err := sc.Scan(&k.ID, &k.Name, &k.Role, &colls, &k.Salt, &k.Hash, &created, &expires, &revoked); err != nil {
		return k, err
	}
	if colls != "" {
		k.Collections = strings.Split(colls, ",")
	}
	var err error
	if k.Created, err = parseTime(created); err != nil {
		return k, err
	}
	for _, t := range []struct {
		src sql.NullString
		dst *time.Time
	}{{expires, &k.Expires}, {revoked, &k.Revoked}} {
		if t.src.Valid {
			if *t.dst, err = parseTime(t.src.String); err != nil {
				return k, err
			}
		}
	}
	return k, nil
}

func timeOrNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(timeLayout)
}
