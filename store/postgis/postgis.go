// Package postgis is cityatlas's production storage backend: a store.Backend
// on PostgreSQL 15+ with PostGIS 3, through pgx/v5.
//
// Open connects and brings the schema up to date (package migrations).
// Each collection's features live in a table of their own, features_ID
// (migrations/0010): typed columns a field (text, bigint, double precision,
// boolean, date, timestamptz, jsonb for arrays), the keys and a GiST index,
// geometries in WGS84 lon/lat (EPSG:4326) with Z kept, and triggers that
// log the writes of other clients (psql, QGIS). Properties cross into SQL
// as one parameter a field (table.go, fields.go). Writes are serialised
// per schema by an advisory lock, so change-log sequence numbers commit in
// order; after each write that changed something, a NOTIFY on channel
// "cityatlas_changes" (payload: the last seq written) wakes the other
// instances (see Listen). Large batches of inserts and upserts go through
// COPY; a large stream into an empty collection is loaded into a table of
// its own that then becomes the collection's table (load.go).
//
// Tables are unqualified, so they live in the first schema of the
// connection's search_path (set search_path in the URL to use another
// schema than public; PostGIS must be reachable on the path).
package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityatlas/cityatlas/migrations"
	"github.com/cityatlas/cityatlas/store"
)

// Store is a store.Backend on PostGIS. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
	// bulkMin is the smallest batch of inserts and upserts that goes
	// through COPY.
	bulkMin int
	// stageMin is the smallest stream into an empty collection that goes
	// through a staging table (load.go).
	stageMin int
}

var _ store.Backend = (*Store)(nil)

// bulkMinDefault: below this many mutations, one statement per mutation is
// faster than COPY into a temporary table.
const bulkMinDefault = 200

// Open connects to the database at url (a PostgreSQL URL or key=value
// string, as pgx takes), applies the migrations that it lacks, drops the
// staging tables of killed loads (DropOrphanStages), and returns the
// store. The PostGIS extension must exist or the user must be allowed
// to create it.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgis: parse database url: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgis: connect: %w", err)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgis: connect: %w", err)
	}
	_, err = migrations.Apply(ctx, conn.Conn(), migrations.FS)
	if err == nil {
		_, err = DropOrphanStages(ctx, conn.Conn())
	} else {
		err = fmt.Errorf("postgis: migrate: %w", err)
	}
	conn.Release()
	if err != nil {
		pool.Close()
		return nil, err
	}
	return &Store{pool: pool, bulkMin: bulkMinDefault, stageMin: stageMinDefault}, nil
}

// Migrate connects to the database at url, applies the migrations that it
// lacks and drops the staging tables of killed loads (DropOrphanStages):
// what `cityatlas migrate` does.
func Migrate(ctx context.Context, url string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("postgis: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := migrations.Apply(ctx, conn, migrations.FS); err != nil {
		return fmt.Errorf("postgis: migrate: %w", err)
	}
	_, err = DropOrphanStages(ctx, conn)
	return err
}

// Close closes the connection pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// querier is what a pool, a connection and a transaction have in common.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Collections returns every collection, ordered by id.
func (s *Store) Collections(ctx context.Context) ([]store.Collection, error) {
	return s.collections(ctx, nil)
}

var _ store.CollectionSkipper = (*Store)(nil)

// CollectionsSkipping is Collections, passing the collections whose
// definition cannot be read (store.ErrBadData) to skip.
func (s *Store) CollectionsSkipping(ctx context.Context, skip func(id string, err error)) ([]store.Collection, error) {
	return s.collections(ctx, skip)
}

func (s *Store) collections(ctx context.Context, skip func(id string, err error)) ([]store.Collection, error) {
	rows, err := s.pool.Query(ctx, sqlCollections)
	if err != nil {
		return nil, translate(err, "list collections")
	}
	defer rows.Close()
	cs := []store.Collection{}
	for rows.Next() {
		c, err := scanCollection(rows)
		if err != nil {
			if skip != nil && errors.Is(err, store.ErrBadData) {
				skip(c.ID, err)
				continue
			}
			return nil, translate(err, "list collections")
		}
		cs = append(cs, c)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "list collections")
	}
	return cs, nil
}

func scanCollection(row pgx.CollectableRow) (store.Collection, error) {
	var (
		c        store.Collection
		geomType string
		fields   []byte
		role     string
		meta     []byte
	)
	err := row.Scan(&c.ID, &c.Title, &c.Description, &geomType, &fields, &c.License, &c.Keywords, &c.TimeField, &role, &c.Created, &c.Private, &meta)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(meta, &c.Metadata); err != nil {
		return c, fmt.Errorf("collection %q: %w: decode its metadata: %v", c.ID, store.ErrBadData, err)
	}
	c.Geometry = store.GeometryType(geomType)
	c.Role = store.Role(role)
	if err := json.Unmarshal(fields, &c.Fields); err != nil {
		return c, fmt.Errorf("collection %q: %w: decode its fields: %v", c.ID, store.ErrBadData, err)
	}
	if len(c.Fields) == 0 {
		c.Fields = nil
	}
	if len(c.Keywords) == 0 {
		c.Keywords = nil
	}
	c.Created = c.Created.UTC()
	return c, nil
}

// collection reads one collection through q (ErrNotFound if there is none).
// Its errors have no "postgis:" prefix.
func collection(ctx context.Context, q querier, sql, id string) (store.Collection, error) {
	rows, err := q.Query(ctx, sql, id)
	if err != nil {
		return store.Collection{}, fmt.Errorf("read collection %q: %w", id, err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanCollection)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Collection{}, fmt.Errorf("collection %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return store.Collection{}, fmt.Errorf("read collection %q: %w", id, err)
	}
	return c, nil
}

// CreateCollection adds a collection: ErrInvalid if c does not pass
// store.ValidateCollection, ErrConflict if the id is taken.
func (s *Store) CreateCollection(ctx context.Context, c store.Collection) (store.Collection, error) {
	if err := store.ValidateCollection(&c); err != nil {
		return store.Collection{}, translate(err, "create collection")
	}
	args, err := collectionArgs(&c)
	if err != nil {
		return store.Collection{}, err
	}
	var created time.Time
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, sqlCreateCollection, args...).Scan(&created)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, sqlAddFeatureTable, c.ID); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, sqlNotify, "collections")
		return err
	})
	if err != nil {
		return store.Collection{}, translate(err, "create collection %q", c.ID)
	}
	c.Created = created.UTC()
	if len(c.Fields) == 0 {
		c.Fields = nil
	}
	if len(c.Keywords) == 0 {
		c.Keywords = nil
	}
	return c, nil
}

// UpdateCollection replaces the descriptive fields of collection c.ID and
// logs an OpCollection change (ErrNotFound, ErrInvalid).
func (s *Store) UpdateCollection(ctx context.Context, c store.Collection, actor string) (store.Collection, int64, error) {
	var (
		seq int64
		got store.Collection
	)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := collection(ctx, tx, sqlCollection+` FOR UPDATE`, c.ID)
		if err != nil {
			return err
		}
		store.Describe(&cur, c)
		if err := store.ValidateCollection(&cur); err != nil {
			return err
		}
		args, err := collectionArgs(&cur)
		if err != nil {
			return err
		}
		// args: id 0, title 1, description 2, license 5, keywords 6, meta 10
		if err := tx.QueryRow(ctx, sqlUpdateCollection, args[0], args[1], args[2], args[5], args[6], args[10], actor).Scan(&seq); err != nil {
			return err
		}
		if got, err = collection(ctx, tx, sqlCollection, c.ID); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, sqlNotify, "collections")
		return err
	})
	if err != nil {
		return store.Collection{}, 0, translate(err, "update collection %q", c.ID)
	}
	return got, seq, nil
}

// RenameCollection gives collection id the id newID, moving its features
// (ids, versions, history) to the new id's partition in one transaction
// (ErrNotFound, ErrConflict, ErrInvalid).
func (s *Store) RenameCollection(ctx context.Context, id, newID, actor string) (store.Collection, error) {
	var got store.Collection
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := collection(ctx, tx, sqlCollection+` FOR UPDATE`, id)
		if err != nil {
			return err
		}
		cur.ID = newID
		if err := store.ValidateCollection(&cur); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, sqlWriter); err != nil {
			return err
		}
		// The features move to the new id's table: same columns, same rows.
		moveFeatures := `INSERT INTO ` + tableOf(&cur).ident + ` SELECT * FROM ` + pgx.Identifier{featureTable(id)}.Sanitize()
		for _, q := range []string{sqlRenameCopy, sqlAddFeatureTable, moveFeatures, sqlRenameVersions, sqlRenameLog, sqlRenameGrants} {
			var args []any
			switch q {
			case sqlAddFeatureTable:
				args = []any{newID}
			case moveFeatures:
			default:
				args = []any{id, newID}
			}
			if _, err := tx.Exec(ctx, q, args...); err != nil {
				return err
			}
		}
		for _, q := range []string{sqlDeleteCollection, sqlDeleteCollectionFeatures} {
			if _, err := tx.Exec(ctx, q, id); err != nil {
				return err
			}
		}
		for _, c := range []string{id, newID} {
			if _, err := tx.Exec(ctx, sqlLogCollection, c, actor); err != nil {
				return err
			}
		}
		if got, err = collection(ctx, tx, sqlCollection, newID); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, sqlNotify, "collections")
		return err
	})
	if err != nil {
		return store.Collection{}, translate(err, "rename collection %q to %q", id, newID)
	}
	return got, nil
}

// DeleteCollection removes a collection with all its features (ErrNotFound
// if there is none). The change log keeps the collection's entries.
func (s *Store) DeleteCollection(ctx context.Context, id, actor string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, sqlDeleteCollection, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("collection %q: %w", id, store.ErrNotFound)
		}
		if _, err := tx.Exec(ctx, sqlDeleteCollectionFeatures, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, sqlLogCollection, id, actor); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, sqlNotify, "collections")
		return err
	})
	if err != nil {
		return translate(err, "delete collection %q", id)
	}
	return nil
}
