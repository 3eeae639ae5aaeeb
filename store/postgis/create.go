package postgis

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cityatlas/cityatlas/store"
)

var _ store.CreateStreamer = (*Store)(nil)

const (
	// sqlTryWriteLock is sqlWriteLock without the wait: false when a
	// writer (a load among them) holds it.
	sqlTryWriteLock = `SELECT pg_try_advisory_xact_lock($1, hashtext(coalesce(current_schema(), '')))`
)

// CreateStream makes collection c and performs the mutations that next
// yields on it, in one transaction (see store.CreateStreamer): the
// collection's row is not committed before its features, so a killed or
// failed import leaves neither. A large stream is loaded through a staging
// table that becomes the collection's partition; otherwise the partition
// is made in the transaction, as a table attached to features (which
// takes a lock that lets readers of features go on). Errors are those of
// CreateCollection and ApplyStream.
func (s *Store) CreateStream(ctx context.Context, c store.Collection, next func() (store.Mutation, error), actor string, result func(store.Result) error) (store.Collection, error) {
	if err := store.ValidateCollection(&c); err != nil {
		return store.Collection{}, translate(err, "create collection")
	}
	args, err := collectionArgs(&c)
	if err != nil {
		return store.Collection{}, err
	}
	var (
		stage   string
		created time.Time
		src     = &pushback{next: next}
	)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, sqlWriteLock, lockClass); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, sqlNoJIT); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, sqlCreateCollection, args...).Scan(&created); err != nil {
			return err
		}
		stored := c
		stored.Created = created.UTC()
		if err := s.streamIn(ctx, tx, &stored, src, actor, result, &stage, &newPartition{}); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, sqlNotify, "collections")
		return err
	})
	if err != nil {
		if stage != "" {
			s.dropStage(ctx, stage)
		}
		return store.Collection{}, translate(err, "create and fill collection %q", c.ID)
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

// collectionArgs are the parameters of sqlCreateCollection for c.
func collectionArgs(c *store.Collection) ([]any, error) {
	fields := c.Fields
	if fields == nil {
		fields = []store.Field{}
	}
	fj, err := json.Marshal(fields)
	if err != nil {
		return nil, fmt.Errorf("postgis: create collection %q: encode fields: %w", c.ID, err)
	}
	keywords := c.Keywords
	if keywords == nil {
		keywords = []string{}
	}
	mj, err := json.Marshal(c.Metadata)
	if err != nil {
		return nil, fmt.Errorf("postgis: collection %q: encode metadata: %w", c.ID, err)
	}
	return []any{c.ID, c.Title, c.Description, string(c.Geometry), fj, c.License, keywords, c.TimeField, string(c.Role), c.Private, mj}, nil
}

// addPartition makes the table of collection coll, whose row in
// collections the transaction has written.
func addPartition(ctx context.Context, tx pgx.Tx, coll string) error {
	if _, err := tx.Exec(ctx, sqlAddFeatureTable, coll); err != nil {
		return fmt.Errorf("table of %q: %w", coll, err)
	}
	return nil
}

// beginner is what a pool and a connection have for transactions.
type beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// DropOrphanStages drops the staging tables (ca_stage_*) of bulk loads
// that a killed process or a lost connection left behind, and returns how
// many it dropped. A load in progress holds the write lock for as long as
// its staging table lives: when the lock is taken (by a load or another
// write of another process), no table is dropped and 0 is returned, so a
// running load in another process never loses its table; the next Open or
// migrate drops them. Open and Migrate call it.
func DropOrphanStages(ctx context.Context, db beginner) (int, error) {
	n := 0
	err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		var ok bool
		if err := tx.QueryRow(ctx, sqlTryWriteLock, lockClass).Scan(&ok); err != nil {
			return err
		}
		if !ok {
			return nil
		}
		var err error
		n, err = dropStaleStages(ctx, tx)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("postgis: drop orphan staging tables: %w", err)
	}
	return n, nil
}
