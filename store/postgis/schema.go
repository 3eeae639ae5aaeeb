package postgis

import (
	"context"
	"encoding/json"
	"io"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/cityatlas/cityatlas/store"
)

var _ store.SchemaChanger = (*Store)(nil)

const (
	sqlSetFields = `UPDATE collections SET fields = $2 WHERE id = $1`
	// cityatlas_add_field and cityatlas_drop_field: migrations/0010.
	sqlAddField  = `SELECT cityatlas_add_field($1, $2::jsonb)`
	sqlDropField = `SELECT cityatlas_drop_field($1, $2)`
	sqlDescribe  = `SELECT cityatlas_describe_feature_table($1, $2)`
	sqlLogSchema = `INSERT INTO changes (collection, feature_id, op, version, actor, time) VALUES ($1, 0, 'schema', 0, $2, now()) RETURNING seq`
)

// ChangeFields changes collection coll's fields (ALTER TABLE on its table)
// and performs the mutations of next, in one transaction (see
// store.SchemaChanger).
func (s *Store) ChangeFields(ctx context.Context, coll string, change store.FieldChange, next func() (store.Mutation, error), actor string, result func(store.Result) error) (store.Collection, int64, error) {
	if next == nil {
		next = func() (store.Mutation, error) { return store.Mutation{}, io.EOF }
	}
	var (
		got   store.Collection
		seq   int64
		stage string
	)
	src := &pushback{next: next}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := beginWrite(ctx, tx, coll)
		if err != nil {
			return err
		}
		changed, err := store.ChangedFields(cur, change)
		if err != nil {
			return err
		}
		args, err := collectionArgs(&changed)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, sqlSetFields, coll, args[4]); err != nil {
			return err
		}
		if err := dropFields(ctx, tx, tableOf(&cur), change.Drop); err != nil {
			return err
		}
		for _, f := range change.Add {
			fj, err := json.Marshal(f)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, sqlAddField, coll, fj); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, sqlDescribe, featureTable(coll), coll); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, sqlLogSchema, coll, actor).Scan(&seq); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, sqlNotify, strconv.FormatInt(seq, 10)); err != nil {
			return err
		}
		got = changed
		return s.streamIn(ctx, tx, &changed, src, actor, result, &stage, nil)
	})
	if err != nil {
		if stage != "" {
			s.dropStage(ctx, stage)
		}
		return store.Collection{}, 0, translate(err, "change the fields of %q", coll)
	}
	return got, seq, nil
}

// dropFields drops the columns of fields names from table t; the features
// that had a value in one keep their version in the history and move on a
// version.
func dropFields(ctx context.Context, tx pgx.Tx, t *table, names []string) error {
	if len(names) == 0 {
		return nil
	}
	conds := make([]string, len(names))
	for i, name := range names {
		conds[i] = pgx.Identifier{name}.Sanitize() + " IS NOT NULL"
	}
	had := strings.Join(conds, " OR ")
	if _, err := tx.Exec(ctx, t.keepVersion(had)); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE `+t.ident+` SET version = version + 1, updated = now() WHERE `+had); err != nil {
		return err
	}
	for _, name := range names {
		if _, err := tx.Exec(ctx, sqlDropField, t.c.ID, name); err != nil {
			return err
		}
	}
	return nil
}
