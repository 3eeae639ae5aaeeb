package postgis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cityatlas/cityatlas/store"
)

// mutation is a store.Mutation checked and encoded for SQL.
type mutation struct {
	store.Mutation
	wkb   []byte           // nil: no geometry
	props store.Properties // canonical
}

// Apply performs the mutations on one collection in a single transaction
// (see store.Backend.Apply for the errors). Inserts get ids in batch order.
// An upsert without an external id is an insert. An update always bumps
// the version, even when nothing changed; an upsert that changes nothing
// leaves the version as it was and writes no change-log entry. A batch of
// only inserts and upserts with distinct external ids and no IfVersion, of
// at least 200 mutations, is written through COPY.
func (s *Store) Apply(ctx context.Context, coll string, ms []store.Mutation, actor string) ([]store.Result, error) {
	var results []store.Result
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		c, err := beginWrite(ctx, tx, coll)
		if err != nil {
			return err
		}
		prepared, err := prepare(&c, ms)
		if err != nil {
			return err
		}
		if s.bulkMin > 0 && len(prepared) >= s.bulkMin && bulkable(prepared) {
			results, err = applyBulk(ctx, tx, &c, prepared, actor)
		} else {
			results, err = applyEach(ctx, tx, &c, prepared, actor)
		}
		if err != nil {
			return err
		}
		var last int64
		for _, r := range results {
			last = max(last, r.Seq)
		}
		if last > 0 {
			if _, err := tx.Exec(ctx, sqlNotify, strconv.FormatInt(last, 10)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, translate(err, "apply to %q", coll)
	}
	return results, nil
}

// beginWrite starts a write transaction on collection coll: it takes the
// write lock, turns JIT off and locks the collection's row (FOR SHARE, so
// that the collection is not deleted meanwhile), which it returns.
func beginWrite(ctx context.Context, tx pgx.Tx, coll string) (store.Collection, error) {
	if _, err := tx.Exec(ctx, sqlWriteLock, lockClass); err != nil {
		return store.Collection{}, err
	}
	if _, err := tx.Exec(ctx, sqlNoJIT); err != nil {
		return store.Collection{}, err
	}
	return collection(ctx, tx, sqlCollectionForShare, coll)
}

// prepare checks the mutations and encodes their geometry and properties.
func prepare(c *store.Collection, ms []store.Mutation) ([]mutation, error) {
	out := make([]mutation, len(ms))
	for i, m := range ms {
		var err error
		if out[i], err = prepareOne(c, m); err != nil {
			return nil, fmt.Errorf("mutation %d: %w", i, err)
		}
	}
	return out, nil
}

// prepareOne checks one mutation and encodes its geometry and properties.
func prepareOne(c *store.Collection, m store.Mutation) (mutation, error) {
	out := mutation{Mutation: m}
	if m.Feature.Collection != "" && m.Feature.Collection != c.ID {
		return out, store.Invalidf("feature of collection %q applied to collection %q", m.Feature.Collection, c.ID)
	}
	switch m.Op {
	case store.OpDelete:
		return out, nil
	case store.OpInsert, store.OpUpsert, store.OpUpdate:
	default:
		return out, store.Invalidf("unknown operation %q", m.Op)
	}
	var err error
	if out.wkb, err = encodeGeometry(c, m.Feature.Geometry); err != nil {
		return out, err
	}
	if out.props, err = normalizeProperties(c, m.Feature.Properties); err != nil {
		return out, err
	}
	return out, nil
}

// bulkable reports whether the batch can go through COPY: only inserts and
// upserts, no IfVersion, no external id twice.
func bulkable(ms []mutation) bool {
	seen := make(map[string]struct{}, len(ms))
	for _, m := range ms {
		if (m.Op != store.OpInsert && m.Op != store.OpUpsert) || m.IfVersion != 0 {
			return false
		}
		if m.Feature.ExternalID == "" {
			continue
		}
		if _, dup := seen[m.Feature.ExternalID]; dup {
			return false
		}
		seen[m.Feature.ExternalID] = struct{}{}
	}
	return true
}

// stored returns the feature that m wrote, with the times and version the
// database gave it.
func (m *mutation) stored(c *store.Collection, id int64, externalID string, version int64, created, updated time.Time) store.Feature {
	return store.Feature{
		ID:         id,
		Collection: c.ID,
		ExternalID: externalID,
		Geometry:   m.Feature.Geometry,
		Properties: m.props,
		Version:    version,
		Created:    created.UTC(),
		Updated:    updated.UTC(),
	}
}

// applyEach writes the mutations one statement at a time.
func applyEach(ctx context.Context, tx pgx.Tx, c *store.Collection, ms []mutation, actor string) ([]store.Result, error) {
	results := make([]store.Result, len(ms))
	for i := range ms {
		m := &ms[i]
		var (
			r   store.Result
			err error
		)
		switch {
		case m.Op == store.OpInsert, m.Op == store.OpUpsert && m.Feature.ExternalID == "":
			r, err = insertOne(ctx, tx, c, m, actor)
		case m.Op == store.OpUpdate:
			r, err = updateOne(ctx, tx, c, m, m.Feature.ID, actor)
		case m.Op == store.OpUpsert:
			r, err = upsertOne(ctx, tx, c, m, actor)
		case m.Op == store.OpDelete:
			r, err = deleteOne(ctx, tx, c, m, actor)
		}
		if err != nil {
			return nil, fmt.Errorf("mutation %d (%s): %w", i, m.Op, err)
		}
		results[i] = r
	}
	return results, nil
}

func insertOne(ctx context.Context, tx pgx.Tx, c *store.Collection, m *mutation, actor string) (store.Result, error) {
	var (
		id               int64
		created, updated time.Time
		seq              int64
	)
	err := tx.QueryRow(ctx, sqlInsert, c.ID, m.Feature.ExternalID, m.wkb, []byte(m.props), actor).Scan(&id, &created, &updated, &seq)
	if err != nil {
		if errors.Is(sentinelOf(err), store.ErrConflict) {
			return store.Result{}, fmt.Errorf("external id %q exists in collection %q: %w", m.Feature.ExternalID, c.ID, store.ErrConflict)
		}
		return store.Result{}, err
	}
	return store.Result{Outcome: store.Inserted, Feature: m.stored(c, id, m.Feature.ExternalID, 1, created, updated), Seq: seq}, nil
}

func updateOne(ctx context.Context, tx pgx.Tx, c *store.Collection, m *mutation, id int64, actor string) (store.Result, error) {
	var (
		externalID       string
		version, seq     int64
		created, updated time.Time
	)
	err := tx.QueryRow(ctx, sqlUpdate, c.ID, id, m.wkb, []byte(m.props), m.IfVersion, actor).Scan(&externalID, &version, &created, &updated, &seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Result{}, missingOrConflict(ctx, tx, c, id, m.IfVersion)
	}
	if err != nil {
		return store.Result{}, err
	}
	return store.Result{Outcome: store.Updated, Feature: m.stored(c, id, externalID, version, created, updated), Seq: seq}, nil
}

// missingOrConflict explains why an update or delete of feature id touched
// no row: ErrNotFound, or ErrConflict when its version is not ifVersion.
func missingOrConflict(ctx context.Context, tx pgx.Tx, c *store.Collection, id, ifVersion int64) error {
	var version int64
	err := tx.QueryRow(ctx, sqlFeatureVersion, c.ID, id).Scan(&version)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("feature %d of collection %q: %w", id, c.ID, store.ErrNotFound)
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("feature %d of collection %q is at version %d, not %d: %w", id, c.ID, version, ifVersion, store.ErrConflict)
}

func upsertOne(ctx context.Context, tx pgx.Tx, c *store.Collection, m *mutation, actor string) (store.Result, error) {
	var (
		id, version      int64
		created, updated time.Time
		same             bool
	)
	err := tx.QueryRow(ctx, sqlUpsertMatch, c.ID, m.Feature.ExternalID, m.wkb, []byte(m.props)).Scan(&id, &version, &created, &updated, &same)
	if errors.Is(err, pgx.ErrNoRows) {
		return insertOne(ctx, tx, c, m, actor)
	}
	if err != nil {
		return store.Result{}, err
	}
	if m.IfVersion != 0 && m.IfVersion != version {
		return store.Result{}, fmt.Errorf("feature %d (external id %q) of collection %q is at version %d, not %d: %w",
			id, m.Feature.ExternalID, c.ID, version, m.IfVersion, store.ErrConflict)
	}
	if same {
		return store.Result{Outcome: store.Unchanged, Feature: m.stored(c, id, m.Feature.ExternalID, version, created, updated)}, nil
	}
	return updateOne(ctx, tx, c, m, id, actor)
}

func deleteOne(ctx context.Context, tx pgx.Tx, c *store.Collection, m *mutation, actor string) (store.Result, error) {
	var (
		r   featureRow
		seq int64
	)
	err := tx.QueryRow(ctx, sqlDelete, c.ID, m.Feature.ID, m.IfVersion, actor).Scan(append(r.dest(), &seq)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Result{}, missingOrConflict(ctx, tx, c, m.Feature.ID, m.IfVersion)
	}
	if err != nil {
		return store.Result{}, err
	}
	f, err := r.feature(c)
	if err != nil {
		return store.Result{}, err
	}
	return store.Result{Outcome: store.Deleted, Feature: f, Seq: seq}, nil
}

// applyBulk writes a batch of inserts and upserts (see bulkable) through
// COPY into a temporary table and a fixed number of statements.
func applyBulk(ctx context.Context, tx pgx.Tx, c *store.Collection, ms []mutation, actor string) ([]store.Result, error) {
	if _, err := tx.Exec(ctx, sqlLoadCreate); err != nil {
		return nil, fmt.Errorf("bulk: create load table: %w", err)
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{loadTable}, loadColumns, pgx.CopyFromSlice(len(ms), func(i int) ([]any, error) {
		m := &ms[i]
		var ext any
		if m.Feature.ExternalID != "" {
			ext = m.Feature.ExternalID
		}
		return []any{int32(i), m.Op == store.OpUpsert, ext, m.wkb, []byte(m.props)}, nil
	}))
	if err != nil {
		return nil, fmt.Errorf("bulk: copy: %w", err)
	}
	steps := []struct {
		name string
		sql  string
		args []any
	}{
		{"match", sqlLoadMatch, []any{c.ID}},
	}
	for _, st := range steps {
		if _, err := tx.Exec(ctx, st.sql, st.args...); err != nil {
			return nil, fmt.Errorf("bulk: %s: %w", st.name, err)
		}
	}
	var dup string
	err = tx.QueryRow(ctx, sqlLoadInsertConflict).Scan(&dup)
	if err == nil {
		return nil, fmt.Errorf("insert: external id %q exists in collection %q: %w", dup, c.ID, store.ErrConflict)
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("bulk: check inserts: %w", err)
	}
	steps = []struct {
		name string
		sql  string
		args []any
	}{
		{"new ids", sqlLoadNewIDs, nil},
		{"insert", sqlLoadInsert, []any{c.ID}},
		{"update", sqlLoadUpdate, nil},
	}
	for _, st := range steps {
		if _, err := tx.Exec(ctx, st.sql, st.args...); err != nil {
			return nil, fmt.Errorf("bulk: %s: %w", st.name, err)
		}
	}
	seqs := map[int64]int64{} // feature id → change-log seq
	var id, seq int64
	rows, err := tx.Query(ctx, sqlLoadChanges, c.ID, actor)
	if err != nil {
		return nil, fmt.Errorf("bulk: changes: %w", err)
	}
	_, err = pgx.ForEachRow(rows, []any{&id, &seq}, func() error { seqs[id] = seq; return nil })
	if err != nil {
		return nil, fmt.Errorf("bulk: changes: %w", err)
	}
	rows, err = tx.Query(ctx, sqlLoadResults)
	if err != nil {
		return nil, fmt.Errorf("bulk: results: %w", err)
	}
	defer rows.Close()
	results := make([]store.Result, len(ms))
	n := 0
	var (
		ord              int32
		version          int64
		outcome          string
		created, updated time.Time
	)
	for rows.Next() {
		if err := rows.Scan(&ord, &id, &outcome, &version, &created, &updated); err != nil {
			return nil, fmt.Errorf("bulk: results: %w", err)
		}
		if ord < 0 || int(ord) >= len(ms) {
			return nil, fmt.Errorf("bulk: results: row %d out of range", ord)
		}
		m := &ms[ord]
		results[ord] = store.Result{
			Outcome: store.Outcome(outcome),
			Feature: m.stored(c, id, m.Feature.ExternalID, version, created, updated),
			Seq:     seqs[id],
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("bulk: results: %w", err)
	}
	if n != len(ms) {
		return nil, fmt.Errorf("bulk: %d results for %d mutations", n, len(ms))
	}
	return results, nil
}
