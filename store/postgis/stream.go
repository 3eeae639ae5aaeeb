package postgis

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cityatlas/cityatlas/store"
)

var _ store.StreamApplier = (*Store)(nil)

// streamChunk is how many mutations ApplyStream holds and writes at a time
// (through COPY when the chunk is bulkable, see Apply).
const streamChunk = 20_000

// ApplyStream performs the mutations that next yields, until io.EOF, in one
// transaction, streaming them in chunks of streamChunk (see
// store.StreamApplier). Errors are those of Apply, or next's and result's
// own errors, wrapped; on any error nothing is written.
func (s *Store) ApplyStream(ctx context.Context, coll string, next func() (store.Mutation, error), actor string, result func(store.Result) error) error {
	var stage string // a staging table made by loadStaged
	src := &pushback{next: next}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		c, err := beginWrite(ctx, tx, coll)
		if err != nil {
			return err
		}
		return s.streamIn(ctx, tx, &c, src, actor, result, &stage, nil)
	})
	if err != nil {
		if stage != "" {
			s.dropStage(ctx, stage)
		}
		return translate(err, "apply stream to %q", coll)
	}
	return nil
}

// newPartition is the partition of a collection made in the transaction
// of its first stream (CreateStream), made only when needed: a staged load
// attaches its own table instead.
type newPartition struct {
	made bool
}

// streamIn is ApplyStream's work in tx, which holds the write lock, on
// collection c. *stage is set to the staging table a staged load made.
// part is nil for a collection that has its partition, else the
// partition is made (once) before the first row goes the general way.
func (s *Store) streamIn(ctx context.Context, tx pgx.Tx, c *store.Collection, src *pushback, actor string, result func(store.Result) error, stage *string, part *newPartition) error {
	ensure := func() error {
		if part == nil || part.made {
			return nil
		}
		part.made = true
		return addPartition(ctx, tx, c.ID)
	}
	var err error
	// A collection without features takes a large stream through a
	// staging table (loadStaged), a smaller one through COPY straight
	// into its partition (applyFresh).
	empty := part != nil && !part.made // a collection made in this transaction has no table yet
	if !empty {
		if err := tx.QueryRow(ctx, tableOf(c).emptySQL()).Scan(&empty); err != nil {
			return err
		}
	}
	var last int64
	// The staged load needs connections besides this transaction's.
	if empty && s.stageMin > 0 && s.pool.Config().MaxConns > stageCopies {
		first, _, err := src.fill(make([]store.Mutation, 0, s.stageMin), s.stageMin)
		if err != nil {
			return err
		}
		src.unread(first...)
		if len(first) == s.stageMin {
			*stage, last, err = s.loadStaged(ctx, tx, c, src, actor, result, ensure)
			if err != nil {
				return err
			}
			empty = last == 0
			if !empty && part != nil {
				part.made = true // the staging table became the partition
			}
		}
	}
	if err := ensure(); err != nil {
		return err
	}
	var (
		done  bool
		start int // index of the chunk's first mutation in the stream
		chunk = make([]store.Mutation, 0, streamChunk)
	)
	for !done {
		if chunk, done, err = src.fill(chunk[:0], streamChunk); err != nil {
			return err
		}
		if len(chunk) == 0 {
			break
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		prepared, err := prepare(c, chunk)
		if err != nil {
			return fmt.Errorf("chunk from mutation %d: %w", start, err)
		}
		// Runs of one kind of write each take their own path: the
		// upserts of an import, then the deletes of --delete-missing.
		for off, run := range runs(prepared) {
			results, err := s.applyRun(ctx, tx, c, run, actor, &empty)
			if err != nil {
				return fmt.Errorf("chunk from mutation %d: %w", start+off, err)
			}
			for _, r := range results {
				last = max(last, r.Seq)
				if err := result(r); err != nil {
					return err
				}
			}
		}
		start += len(chunk)
	}
	if last > 0 {
		if _, err := tx.Exec(ctx, sqlNotify, strconv.FormatInt(last, 10)); err != nil {
			return err
		}
	}
	return nil
}

const (
	// sqlReserve takes n values of a sequence at once and returns the
	// last; the write lock keeps other writers from drawing in between.
	// $1 the sequence, $2 n.
	sqlReserve = `SELECT setval($1::regclass, nextval($1::regclass) + $2 - 1)`
	// The sequences of feature ids (one for every collection's table)
	// and of the change log.
	seqFeatureIDs = "features_id_seq"
	seqChanges    = "changes_seq_seq"
	sqlNow        = `SELECT now()`
	// sqlSavepoint guards applyFresh: a duplicate external id rolls the
	// chunk back to here, and the chunk goes the general way.
	sqlSavepoint         = `SAVEPOINT ca_fresh`
	sqlRollbackSavepoint = `ROLLBACK TO SAVEPOINT ca_fresh`
	sqlReleaseSavepoint  = `RELEASE SAVEPOINT ca_fresh`
)

var (
	freshChangeColumns = []string{"seq", "collection", "feature_id", "op", "version", "actor", "time"}
)

// runs yields the maximal runs of ms whose mutations are of one kind
// (inserts and upserts, updates, or deletes), with their offsets in ms.
func runs(ms []mutation) iter.Seq2[int, []mutation] {
	kind := func(op store.Op) int {
		switch op {
		case store.OpInsert, store.OpUpsert:
			return 0
		case store.OpDelete:
			return 1
		}
		return 2
	}
	return func(yield func(int, []mutation) bool) {
		for i := 0; i < len(ms); {
			j := i + 1
			for j < len(ms) && kind(ms[j].Op) == kind(ms[i].Op) {
				j++
			}
			if !yield(i, ms[i:j]) {
				return
			}
			i = j
		}
	}
}

// applyRun writes a run of mutations the fastest way it allows: COPY
// straight into the collection while it had no features before the stream
// (*empty; cleared once a matching external id shows it no longer holds),
// COPY and a match (applyBulk), one statement for a run of deletes
// (applyDeletes), or else one statement each.
func (s *Store) applyRun(ctx context.Context, tx pgx.Tx, c *store.Collection, ms []mutation, actor string, empty *bool) ([]store.Result, error) {
	bulk := s.bulkMin > 0 && len(ms) >= s.bulkMin
	switch {
	case bulk && bulkable(ms):
		if *empty {
			results, ok, err := applyFresh(ctx, tx, c, ms, actor)
			if err != nil || ok {
				return results, err
			}
			*empty = false // an external id was there: match from now on
		}
		return applyBulk(ctx, tx, c, ms, actor)
	case bulk && deletable(ms):
		return applyDeletes(ctx, tx, c, ms, actor)
	default:
		return applyEach(ctx, tx, c, ms, actor)
	}
}

// reserve takes n values of sequence seq at once (see sqlReserve) and
// returns the first; they run to first+n-1.
func reserve(ctx context.Context, tx pgx.Tx, seq string, n int) (int64, error) {
	var last int64
	if err := tx.QueryRow(ctx, sqlReserve, seq, n).Scan(&last); err != nil {
		return 0, fmt.Errorf("reserve %s: %w", seq, err)
	}
	return last - int64(n) + 1, nil
}

// applyFresh writes a chunk of inserts and upserts (see bulkable) into a
// collection that had no features when the stream began, with COPY straight
// into features and changes: ids and change-log seqs are reserved up front,
// so nothing is read back. When an external id already exists (an earlier
// chunk had it) it rolls the chunk back and returns ok false: the caller
// writes it the general way.
func applyFresh(ctx context.Context, tx pgx.Tx, c *store.Collection, ms []mutation, actor string) (results []store.Result, ok bool, err error) {
	firstID, err := reserve(ctx, tx, seqFeatureIDs, len(ms))
	if err != nil {
		return nil, false, fmt.Errorf("fresh: %w", err)
	}
	firstSeq, err := reserve(ctx, tx, seqChanges, len(ms))
	if err != nil {
		return nil, false, fmt.Errorf("fresh: %w", err)
	}
	var now time.Time
	if err := tx.QueryRow(ctx, sqlNow).Scan(&now); err != nil {
		return nil, false, fmt.Errorf("fresh: now: %w", err)
	}
	if _, err := tx.Exec(ctx, sqlSavepoint); err != nil {
		return nil, false, fmt.Errorf("fresh: %w", err)
	}
	var ewkb []byte
	t := tableOf(c)
	row := make([]any, 6+len(c.Fields))
	_, err = tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.freshColumns(), pgx.CopyFromSlice(len(ms), func(i int) ([]any, error) {
		m := &ms[i]
		var ext, g any
		if m.Feature.ExternalID != "" {
			ext = m.Feature.ExternalID
		}
		if m.wkb != nil {
			ewkb = appendEWKB(ewkb[:0], m.wkb)
			g = ewkb
		}
		row[0], row[1] = firstID+int64(i), ext
		n := 2 + copy(row[2:], m.vals)
		row[n], row[n+1], row[n+2], row[n+3] = int64(1), now, now, g
		return row, nil
	}))
	if err != nil {
		if errors.Is(sentinelOf(err), store.ErrConflict) {
			if _, rerr := tx.Exec(ctx, sqlRollbackSavepoint); rerr != nil {
				return nil, false, fmt.Errorf("fresh: %w", rerr)
			}
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("fresh: copy features: %w", err)
	}
	if _, err := tx.Exec(ctx, sqlReleaseSavepoint); err != nil {
		return nil, false, fmt.Errorf("fresh: %w", err)
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"changes"}, freshChangeColumns, pgx.CopyFromSlice(len(ms), func(i int) ([]any, error) {
		return []any{firstSeq + int64(i), c.ID, firstID + int64(i), string(store.OpInsert), int64(1), actor, now}, nil
	}))
	if err != nil {
		return nil, false, fmt.Errorf("fresh: copy changes: %w", err)
	}
	results = make([]store.Result, len(ms))
	for i := range ms {
		m := &ms[i]
		results[i] = store.Result{
			Outcome: store.Inserted,
			Feature: m.stored(c, firstID+int64(i), m.Feature.ExternalID, 1, now, now),
			Seq:     firstSeq + int64(i),
		}
	}
	return results, true, nil
}

// appendEWKB appends the ISO WKB geometry b (little-endian, as
// encodeGeometry makes it) as PostGIS extended WKB with SRID 4326, the
// binary form a geometry column takes in COPY. Only the outer header
// changes; PostGIS reads ISO type codes in the nested ones.
func appendEWKB(dst, b []byte) []byte {
	t := binary.LittleEndian.Uint32(b[1:5])
	et := (t % 1000) | 0x20000000
	switch t / 1000 {
	case 1:
		et |= 0x80000000
	case 2:
		et |= 0x40000000
	case 3:
		et |= 0x80000000 | 0x40000000
	}
	dst = append(dst, b[0])
	dst = binary.LittleEndian.AppendUint32(dst, et)
	dst = binary.LittleEndian.AppendUint32(dst, 4326)
	return append(dst, b[5:]...)
}
