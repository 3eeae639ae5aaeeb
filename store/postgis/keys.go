package postgis

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cityatlas/cityatlas/store"
)

var _ store.Keys = (*Store)(nil)

// CreateKey stores a new API key (table keys, migrations/0007):
// ErrConflict if its name or id is taken.
func (s *Store) CreateKey(ctx context.Context, k store.Key) (store.Key, error) {
	if k.Name == "" || k.ID == "" {
		return store.Key{}, store.Invalidf("postgis: create key: a key needs a name and an id")
	}
	var expires any
	if !k.Expires.IsZero() {
		expires = k.Expires
	}
	colls := k.Collections
	if colls == nil {
		colls = []string{}
	}
	err := s.pool.QueryRow(ctx, sqlCreateKey, k.ID, k.Name, k.Role, colls, k.Salt, k.Hash, expires).Scan(&k.Created)
	if err != nil {
		return store.Key{}, translate(err, "create key %q", k.Name)
	}
	k.Created = k.Created.UTC()
	return k, nil
}

// KeyByID returns the key with public id id (ErrNotFound if none).
func (s *Store) KeyByID(ctx context.Context, id string) (store.Key, error) {
	rows, err := s.pool.Query(ctx, sqlKeyByID, id)
	if err != nil {
		return store.Key{}, translate(err, "read key")
	}
	k, err := pgx.CollectExactlyOneRow(rows, scanKey)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Key{}, fmt.Errorf("postgis: key %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return store.Key{}, translate(err, "read key")
	}
	return k, nil
}

// ListKeys returns every key, ordered by name.
func (s *Store) ListKeys(ctx context.Context) ([]store.Key, error) {
	rows, err := s.pool.Query(ctx, sqlKeys)
	if err != nil {
		return nil, translate(err, "list keys")
	}
	ks, err := pgx.CollectRows(rows, scanKey)
	if err != nil {
		return nil, translate(err, "list keys")
	}
	if ks == nil {
		ks = []store.Key{}
	}
	return ks, nil
}

// RevokeKey marks the key called name revoked (ErrNotFound if none).
func (s *Store) RevokeKey(ctx context.Context, name string) error {
	tag, err := s.pool.Exec(ctx, sqlRevokeKey, name)
	if err != nil {
		return translate(err, "revoke key %q", name)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgis: revoke key %q: %w", name, store.ErrNotFound)
	}
	return nil
}

func scanKey(row pgx.CollectableRow) (store.Key, error) {
	var k store.Key
	err := row.Scan(&k.ID, &k.Name, &k.Role, &k.Collections, &k.Salt, &k.Hash, &k.Created, &k.Expires, &k.Revoked)
	k.Created = k.Created.UTC()
	k.Expires, k.Revoked = epochZero(k.Expires), epochZero(k.Revoked)
	if len(k.Collections) == 0 {
		k.Collections = nil
	}
	return k, err
}

// epochZero turns the epoch, which the key columns read as for NULL, into
// the zero time.
func epochZero(t time.Time) time.Time {
	if t.Unix() == 0 {
		return time.Time{}
	}
	return t.UTC()
}
