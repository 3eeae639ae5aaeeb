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
	vals  []any            // props as the fields' values (see values)
}

// Apply performs the mutations on one collection in a single transaction
// (see store.Backend.Apply for the errors). Inserts get ids in batch order.
// An upsert without an external id is an insert. An update always bumps
// the version, even when nothing changed; an upsert that changes nothing
// leaves the version as it was and writes no change-log entry. A batch of
// only inserts and upserts with distinct external ids and no IfVersion, of
// at least 200 mutations, is written through COPY; one of only deletes of
// distinct features without IfVersion, with one statement.
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
		empty := false // the COPY straight into features is for streams
		results, err = s.applyRun(ctx, tx, &c, prepared, actor, &empty)
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
	if _, err := tx.Exec(ctx, sqlWriter); err != nil {
		return store.Collection{}, err
	}
	return collection(ctx, tx, sqlCollectionForShare, coll)
}

// prepare checks the mutations and encodes their geometry and properties,
// and the properties as the fields' values.
func prepare(c *store.Collection, ms []store.Mutation) ([]mutation, error) {
	out := make([]mutation, len(ms))
	for i, m := range ms {
		var err error
		if out[i], err = prepareOne(c, m); err != nil {
			return nil, fmt.Errorf("mutation %d: %w", i, err)
		}
		if out[i].Op == store.OpDelete {
			continue
		}
		if out[i].vals, err = values(c, out[i].props); err != nil {
			return nil, fmt.Errorf("mutation %d: %w", i, store.Invalidf("properties: %v", err))
		}
	}
	return out, nil
}

// prepareOne checks one mutation and encodes its geometry and properties
// (not vals: a staged load writes the properties to COPY as they are).
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

// deletable reports whether the batch can be deleted in one statement:
// only deletes, no IfVersion, no id twice.
func deletable(ms []mutation) bool {
	seen := make(map[int64]struct{}, len(ms))
	for _, m := range ms {
		if m.Op != store.OpDelete || m.IfVersion != 0 {
			return false
		}
		if _, dup := seen[m.Feature.ID]; dup {
			return false
		}
		seen[m.Feature.ID] = struct{}{}
	}
	return true
}

// applyDeletes deletes a batch (see deletable) with one statement and
// writes its change-log entries by COPY, in batch order. A missing feature
// fails the batch with ErrNotFound, as applyEach would.
func applyDeletes(ctx context.Context, tx pgx.Tx, c *store.Collection, ms []mutation, actor string) ([]store.Result, error) {
	ids := make([]int64, len(ms))
	for i, m := range ms {
		ids[i] = m.Feature.ID
	}
	t := tableOf(c)
	if _, err := tx.Exec(ctx, t.keepVersionsSQL(), ids); err != nil {
		return nil, fmt.Errorf("delete: keep versions: %w", err)
	}
	rows, err := tx.Query(ctx, t.deleteManySQL(), ids)
	if err != nil {
		return nil, fmt.Errorf("delete: %w", err)
	}
	gone := make(map[int64]store.Feature, len(ms))
	r := newFeatureRow(c)
	_, err = pgx.ForEachRow(rows, r.dest(), func() error {
		f, err := r.gone(c)
		gone[f.ID] = f
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("delete: %w", err)
	}
	for i, id := range ids {
		if _, ok := gone[id]; !ok {
			return nil, fmt.Errorf("mutation %d (delete): feature %d of collection %q: %w", i, id, c.ID, store.ErrNotFound)
		}
	}
	var now time.Time
	if err := tx.QueryRow(ctx, sqlNow).Scan(&now); err != nil {
		return nil, fmt.Errorf("delete: now: %w", err)
	}
	first, err := reserve(ctx, tx, seqChanges, len(ms))
	if err != nil {
		return nil, fmt.Errorf("delete: %w", err)
	}
	results := make([]store.Result, len(ms))
	entries := make([][]any, len(ms))
	for i, id := range ids {
		f := gone[id]
		results[i] = store.Result{Outcome: store.Deleted, Feature: f, Seq: first + int64(i)}
		entries[i] = []any{first + int64(i), c.ID, id, string(store.OpDelete), f.Version, actor, now}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"changes"}, freshChangeColumns, pgx.CopyFromRows(entries)); err != nil {
		return nil, fmt.Errorf("delete: changes: %w", err)
	}
	return results, nil
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
	args := append([]any{c.ID, m.Feature.ExternalID, m.wkb, actor}, m.vals...)
	err := tx.QueryRow(ctx, tableOf(c).insertSQL(), args...).Scan(&id, &created, &updated, &seq)
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
	args := append([]any{c.ID, id, m.wkb, m.IfVersion, actor}, m.vals...)
	err := tx.QueryRow(ctx, tableOf(c).updateSQL(), args...).Scan(&externalID, &version, &created, &updated, &seq)
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
	err := tx.QueryRow(ctx, tableOf(c).versionSQL(), id).Scan(&version)
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
	args := append([]any{m.Feature.ExternalID, m.wkb}, m.vals...)
	err := tx.QueryRow(ctx, tableOf(c).upsertMatchSQL(), args...).Scan(&id, &version, &created, &updated, &same)
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
		r   = newFeatureRow(c)
		seq int64
	)
	err := tx.QueryRow(ctx, tableOf(c).deleteSQL(), c.ID, m.Feature.ID, m.IfVersion, actor).Scan(append(r.dest(), &seq)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Result{}, missingOrConflict(ctx, tx, c, m.Feature.ID, m.IfVersion)
	}
	if err != nil {
		return store.Result{}, err
	}
	f, err := r.gone(c)
	if err != nil {
		return store.Result{}, err
	}
	return store.Result{Outcome: store.Deleted, Feature: f, Seq: seq}, nil
}

// applyBulk writes a batch of inserts and upserts (see bulkable) through
// COPY into a temporary table and a fixed number of statements (see
// sqlLoadCreate). The temporary table is dropped before it returns.
func applyBulk(ctx context.Context, tx pgx.Tx, c *store.Collection, ms []mutation, actor string) ([]store.Result, error) {
	t := tableOf(c)
	if _, err := tx.Exec(ctx, t.loadCreateSQL()); err != nil {
		return nil, fmt.Errorf("bulk: create load table: %w", err)
	}
	row := make([]any, 3+len(c.Fields))
	_, err := tx.CopyFrom(ctx, pgx.Identifier{loadTable}, t.loadColumns(), pgx.CopyFromSlice(len(ms), func(i int) ([]any, error) {
		m := &ms[i]
		var ext any
		if m.Feature.ExternalID != "" {
			ext = m.Feature.ExternalID
		}
		row[0], row[1], row[2] = int32(i), ext, m.wkb
		copy(row[3:], m.vals)
		return row, nil
	}))
	if err != nil {
		return nil, fmt.Errorf("bulk: copy: %w", err)
	}

	// What is stored under each external id decides each outcome.
	results := make([]store.Result, len(ms))
	matched := make([]bool, len(ms))
	var (
		changed   []int32 // ords of the features to update
		changedID []int64
		conflict  = -1 // the first insert whose external id exists
	)
	rows, err := tx.Query(ctx, t.loadMatchSQL())
	if err != nil {
		return nil, fmt.Errorf("bulk: match: %w", err)
	}
	var (
		ord              int32
		id, version      int64
		created, updated time.Time
		same             bool
	)
	_, err = pgx.ForEachRow(rows, []any{&ord, &id, &version, &created, &updated, &same}, func() error {
		if ord < 0 || int(ord) >= len(ms) || matched[ord] {
			return fmt.Errorf("row %d out of range or matched twice", ord)
		}
		matched[ord] = true
		m := &ms[ord]
		switch {
		case m.Op != store.OpUpsert:
			if conflict < 0 || int(ord) < conflict {
				conflict = int(ord)
			}
		case same:
			results[ord] = store.Result{Outcome: store.Unchanged, Feature: m.stored(c, id, m.Feature.ExternalID, version, created, updated)}
		default:
			changed = append(changed, ord)
			changedID = append(changedID, id)
			// Filled in below with the version and time written.
			results[ord] = store.Result{Outcome: store.Updated, Feature: store.Feature{ID: id, Version: version + 1, Created: created}}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("bulk: match: %w", err)
	}
	if conflict >= 0 {
		return nil, fmt.Errorf("insert: external id %q exists in collection %q: %w", ms[conflict].Feature.ExternalID, c.ID, store.ErrConflict)
	}
	var added []int32 // ords of the features to insert, in batch order
	for i := range ms {
		if !matched[i] {
			added = append(added, int32(i))
		}
	}

	if len(changed)+len(added) > 0 {
		if err := writeBulk(ctx, tx, c, ms, actor, results, changed, changedID, added); err != nil {
			return nil, err
		}
	}
	if _, err := tx.Exec(ctx, sqlLoadDrop); err != nil {
		return nil, fmt.Errorf("bulk: drop load table: %w", err)
	}
	return results, nil
}

// writeBulk writes what applyBulk decided: the features at ords added are
// inserted with new ids, those at ords changed replace the features
// changedID; results gets their outcomes, and every one a change-log
// entry, in batch order.
func writeBulk(ctx context.Context, tx pgx.Tx, c *store.Collection, ms []mutation, actor string, results []store.Result, changed []int32, changedID []int64, added []int32) error {
	var now time.Time
	if err := tx.QueryRow(ctx, sqlNow).Scan(&now); err != nil {
		return fmt.Errorf("bulk: now: %w", err)
	}
	if len(added) > 0 {
		firstID, err := reserve(ctx, tx, seqFeatureIDs, len(added))
		if err != nil {
			return fmt.Errorf("bulk: %w", err)
		}
		ids := make([]int64, len(added))
		for i, ord := range added {
			ids[i] = firstID + int64(i)
			results[ord] = store.Result{Outcome: store.Inserted, Feature: store.Feature{ID: ids[i], Version: 1, Created: now}}
		}
		if _, err := tx.Exec(ctx, tableOf(c).loadInsertSQL(), added, ids); err != nil {
			return fmt.Errorf("bulk: insert: %w", err)
		}
	}
	if len(changed) > 0 {
		if _, err := tx.Exec(ctx, tableOf(c).keepVersionsSQL(), changedID); err != nil {
			return fmt.Errorf("bulk: keep versions: %w", err)
		}
		if _, err := tx.Exec(ctx, tableOf(c).loadUpdateSQL(), changed, changedID); err != nil {
			return fmt.Errorf("bulk: update: %w", err)
		}
	}
	seq, err := reserve(ctx, tx, seqChanges, len(changed)+len(added))
	if err != nil {
		return fmt.Errorf("bulk: %w", err)
	}
	var entries [][]any
	for ord := range ms {
		r := &results[ord]
		op := store.OpInsert
		switch r.Outcome {
		case store.Inserted:
		case store.Updated:
			op = store.OpUpdate
		default:
			continue
		}
		m := &ms[ord]
		r.Feature = m.stored(c, r.Feature.ID, m.Feature.ExternalID, r.Feature.Version, r.Feature.Created, now)
		r.Seq = seq
		entries = append(entries, []any{seq, c.ID, r.Feature.ID, string(op), r.Feature.Version, actor, now})
		seq++
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"changes"}, freshChangeColumns, pgx.CopyFromRows(entries)); err != nil {
		return fmt.Errorf("bulk: changes: %w", err)
	}
	return nil
}
