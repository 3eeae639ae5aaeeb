package postgis

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cityatlas/cityatlas/store"
)

var _ store.Historian = (*Store)(nil)

// History returns every version of feature id (see store.Historian): its
// change-log entries with the content that feature_versions and features
// keep (migrations/0007; versions replaced before it have none).
func (s *Store) History(ctx context.Context, coll string, id int64, after int64, limit int) ([]store.Version, error) {
	var out []store.Version
	var lim any
	if limit > 0 {
		lim = limit
	}
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		c, err := collection(ctx, tx, sqlCollection, coll)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		// The history outlives a deleted collection; its properties are
		// then shown as stored.
		cp, t := &c, tableOf(&c)
		if err != nil {
			cp, t = nil, nil
		}
		rows, err := tx.Query(ctx, historySQL(t), coll, id, after, lim)
		if err != nil {
			return err
		}
		var v historyRow
		_, err = pgx.ForEachRow(rows, []any{&v.seq, &v.op, &v.version, &v.actor, &v.time, &v.content, &v.ext, &v.wkb, &v.props}, func() error {
			ver, err := v.versionOf(cp, coll, id)
			out = append(out, ver)
			return err
		})
		if err != nil {
			return err
		}
		if after > 0 {
			return nil // the load, if any, came first
		}
		first := int64(math.MaxInt64)
		if len(out) > 0 {
			if out[0].Op == store.OpInsert {
				return nil
			}
			first = out[0].Seq
		}
		v = historyRow{op: string(store.OpLoad), version: 1}
		err = tx.QueryRow(ctx, historyLoadSQL(t), coll, id, first).Scan(&v.seq, &v.actor, &v.time, &v.content, &v.ext, &v.wkb, &v.props)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		ver, err := v.versionOf(cp, coll, id)
		if err != nil {
			return err
		}
		out = append([]store.Version{ver}, out...)
		return nil
	})
	if err != nil {
		return nil, translate(err, "history of feature %d of %q", id, coll)
	}
	if len(out) == 0 && after > 0 {
		return []store.Version{}, nil
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("postgis: history of feature %d of %q: %w", id, coll, store.ErrNotFound)
	}
	return out, nil
}

// historyRow receives a row of sqlHistory or sqlHistoryLoad.
type historyRow struct {
	seq, version int64
	op, actor    string
	time         time.Time
	content      bool
	ext          string
	wkb, props   []byte
}

func (r *historyRow) versionOf(c *store.Collection, coll string, id int64) (store.Version, error) {
	v := store.Version{Change: store.Change{Seq: r.seq, Collection: coll, FeatureID: id, Op: store.Op(r.op),
		Version: r.version, Actor: r.actor, Time: r.time.UTC()}}
	if !r.content {
		return v, nil
	}
	g, err := decodeGeometry(r.wkb)
	if err != nil {
		return v, fmt.Errorf("version %d: %w", r.version, err)
	}
	p := store.Properties(r.props)
	if c != nil {
		if cp, err := canonicalProperties(c, r.props); err == nil {
			p = cp
		}
	}
	v.Content, v.Geometry, v.Properties, v.ExternalID = true, g, p, r.ext
	return v, nil
}

// CollectionChanges returns up to limit change-log entries of one
// collection with Seq > after, in Seq order (limit <= 0: no limit).
func (s *Store) CollectionChanges(ctx context.Context, coll string, after int64, limit int) ([]store.Change, error) {
	var lim any
	if limit > 0 {
		lim = limit
	}
	rows, err := s.pool.Query(ctx, sqlCollectionChanges, coll, after, lim)
	if err != nil {
		return nil, translate(err, "read changes of %q after %d", coll, after)
	}
	chs, err := pgx.CollectRows(rows, scanChange)
	if err != nil {
		return nil, translate(err, "read changes of %q after %d", coll, after)
	}
	if chs == nil {
		chs = []store.Change{}
	}
	return chs, nil
}

func scanChange(row pgx.CollectableRow) (store.Change, error) {
	var (
		ch store.Change
		op string
	)
	err := row.Scan(&ch.Seq, &ch.Collection, &ch.FeatureID, &op, &ch.Version, &ch.Actor, &ch.Time)
	ch.Op = store.Op(op)
	ch.Time = ch.Time.UTC()
	return ch, err
}
