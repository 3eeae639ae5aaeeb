package postgis

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/cityatlas/cityatlas/store"
)

// featureRow receives the columns of table.columns.
type featureRow struct {
	id         int64
	externalID string
	wkb        []byte
	version    int64
	fields     *fieldRow
	f          store.Feature
}

func newFeatureRow(c *store.Collection) *featureRow {
	return &featureRow{fields: newFieldRow(c)}
}

func (r *featureRow) dest() []any {
	return append([]any{&r.id, &r.externalID, &r.wkb, &r.version, &r.f.Created, &r.f.Updated}, r.fields.dest...)
}

// feature builds the feature of a scanned row of collection c. A row it
// cannot read (its geometry or properties break what the service can
// hold: written past the database's constraints) gives an error wrapping
// store.ErrBadData.
func (r *featureRow) feature(c *store.Collection) (store.Feature, error) {
	g, err := decodeGeometry(r.wkb)
	if err != nil {
		return store.Feature{}, fmt.Errorf("feature %d: %w: %v", r.id, store.ErrBadData, err)
	}
	p, err := r.fields.properties(c)
	if err != nil {
		return store.Feature{}, fmt.Errorf("feature %d: %w: stored properties: %v", r.id, store.ErrBadData, err)
	}
	return store.Feature{
		ID:         r.id,
		Collection: c.ID,
		ExternalID: r.externalID,
		Geometry:   g,
		Properties: p,
		Version:    r.version,
		Created:    r.f.Created.UTC(),
		Updated:    r.f.Updated.UTC(),
	}, nil
}

// gone is feature for a row being deleted: a row that cannot be read
// (store.ErrBadData) may still be deleted, and is returned with its id,
// external id, version and times only.
func (r *featureRow) gone(c *store.Collection) (store.Feature, error) {
	f, err := r.feature(c)
	if errors.Is(err, store.ErrBadData) {
		return store.Feature{ID: r.id, Collection: c.ID, ExternalID: r.externalID, Version: r.version,
			Created: r.f.Created.UTC(), Updated: r.f.Updated.UTC()}, nil
	}
	return f, err
}

// Feature returns one feature (ErrNotFound if the collection or the feature
// does not exist, ErrBadData if the stored row cannot be read).
func (s *Store) Feature(ctx context.Context, coll string, id int64) (store.Feature, error) {
	var f store.Feature
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		c, err := collection(ctx, tx, sqlCollection, coll)
		if err != nil {
			return err
		}
		r := newFeatureRow(&c)
		err = tx.QueryRow(ctx, tableOf(&c).featureSQL(), id).Scan(r.dest()...)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("feature %d: %w", id, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		f, err = r.feature(&c)
		return err
	})
	if err != nil {
		return store.Feature{}, translate(err, "read feature %d of %q", id, coll)
	}
	return f, nil
}

// Query returns the features of the collection matching q, ordered by id,
// and how many matched before limit and offset. A bbox is [minLon, minLat,
// maxLon, maxLat] in WGS84; a feature matches if its geometry intersects
// it. ErrNotFound if the collection does not exist; ErrInvalid for a
// negative limit or offset, or a bbox that is not finite or whose minimum
// exceeds its maximum.
func (s *Store) Query(ctx context.Context, coll string, q store.Query) ([]store.Feature, int, error) {
	if q.Limit < 0 || q.Offset < 0 {
		return nil, 0, translate(store.Invalidf("limit %d and offset %d may not be negative", q.Limit, q.Offset), "query %q", coll)
	}
	var limit any // nil: LIMIT NULL, no limit
	if q.Limit > 0 {
		limit = q.Limit
	}
	var bbox []any
	if q.BBox != nil {
		b := *q.BBox
		for _, x := range b {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, 0, translate(store.Invalidf("bbox %v has a value that is not a finite number", b), "query %q", coll)
			}
		}
		if b[0] > b[2] || b[1] > b[3] {
			return nil, 0, translate(store.Invalidf("bbox %v: minimum exceeds maximum", b), "query %q", coll)
		}
		bbox = []any{b[0], b[1], b[2], b[3]}
	}

	var (
		features []store.Feature
		matched  int
	)
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		c, err := collection(ctx, tx, sqlCollection, coll)
		if err != nil {
			return err
		}
		t := tableOf(&c)
		conds, args := []string{"true"}, bbox
		if bbox != nil {
			conds = append(conds, sqlBBoxWhere)
		}
		if q.Where != nil {
			cond, wargs, err := whereSQL(q.Where, &c, len(args)+1)
			if err != nil {
				return err
			}
			conds, args = append(conds, cond), append(args, wargs...)
		}
		from := ` FROM ` + t.ident + ` WHERE ` + strings.Join(conds, " AND ")
		if err := tx.QueryRow(ctx, `SELECT count(*)`+from, args...).Scan(&matched); err != nil {
			return err
		}
		features = []store.Feature{}
		if q.Offset >= matched {
			return nil
		}
		n := len(args)
		page := `SELECT ` + t.columns("") + from + ` ORDER BY id LIMIT $` + strconv.Itoa(n+1) + ` OFFSET $` + strconv.Itoa(n+2)
		rows, err := tx.Query(ctx, page, append(args, limit, q.Offset)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		r := newFeatureRow(&c)
		for rows.Next() {
			if err := rows.Scan(r.dest()...); err != nil {
				return err
			}
			f, err := r.feature(&c)
			if err != nil {
				return err
			}
			features = append(features, f)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return ctx.Err()
	})
	if err != nil {
		return nil, 0, translate(err, "query %q", coll)
	}
	return features, matched, nil
}

// Scan calls fn for every feature of the collection in id order, streaming
// rows from the database, and stops at fn's first error, which it returns
// as is. ErrNotFound if the collection does not exist; ErrBadData for a
// row it cannot read.
func (s *Store) Scan(ctx context.Context, coll string, fn func(store.Feature) error) error {
	return s.scan(ctx, coll, fn, nil)
}

var _ store.SkippingScanner = (*Store)(nil)

// ScanSkipping is Scan, passing the rows it cannot read to skip.
func (s *Store) ScanSkipping(ctx context.Context, coll string, fn func(store.Feature) error, skip func(store.BadRow)) error {
	return s.scan(ctx, coll, fn, skip)
}

func (s *Store) scan(ctx context.Context, coll string, fn func(store.Feature) error, skip func(store.BadRow)) error {
	c, err := collection(ctx, s.pool, sqlCollection, coll)
	if err != nil {
		return translate(err, "scan %q", coll)
	}
	rows, err := s.pool.Query(ctx, tableOf(&c).scanSQL())
	if err != nil {
		return translate(err, "scan %q", coll)
	}
	defer rows.Close()
	r := newFeatureRow(&c)
	for rows.Next() {
		if err := rows.Scan(r.dest()...); err != nil {
			return translate(err, "scan %q", coll)
		}
		f, err := r.feature(&c)
		if err != nil {
			if skip != nil && errors.Is(err, store.ErrBadData) {
				skip(store.BadRow{Collection: coll, ID: r.id, Err: err})
				continue
			}
			return translate(err, "scan %q", coll)
		}
		if err := fn(f); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return translate(err, "scan %q", coll)
	}
	if err := ctx.Err(); err != nil {
		return translate(err, "scan %q", coll)
	}
	return nil
}

// Changes returns up to limit change-log entries with Seq > after, in Seq
// order; a limit of 0 or less means no limit.
func (s *Store) Changes(ctx context.Context, after int64, limit int) ([]store.Change, error) {
	var lim any
	if limit > 0 {
		lim = limit
	}
	rows, err := s.pool.Query(ctx, sqlChanges, after, lim)
	if err != nil {
		return nil, translate(err, "read changes after %d", after)
	}
	chs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Change, error) {
		var (
			ch store.Change
			op string
		)
		err := row.Scan(&ch.Seq, &ch.Collection, &ch.FeatureID, &op, &ch.Version, &ch.Actor, &ch.Time)
		ch.Op = store.Op(op)
		ch.Time = ch.Time.UTC()
		return ch, err
	})
	if err != nil {
		return nil, translate(err, "read changes after %d", after)
	}
	if chs == nil {
		chs = []store.Change{}
	}
	return chs, nil
}

// LastSeq returns the highest change-log sequence number (0 if none).
func (s *Store) LastSeq(ctx context.Context) (int64, error) {
	var seq int64
	if err := s.pool.QueryRow(ctx, sqlLastSeq).Scan(&seq); err != nil {
		return 0, translate(err, "read last seq")
	}
	return seq, nil
}

var _ store.Extenter = (*Store)(nil)

// Extent returns the extent of the collection's geometries (ST_Extent).
func (s *Store) Extent(ctx context.Context, coll string) ([4]float64, bool, error) {
	var (
		box   [4]float64
		found bool
	)
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		c, err := collection(ctx, tx, sqlCollection, coll)
		if err != nil {
			return err
		}
		var ext [4]*float64
		if err := tx.QueryRow(ctx, tableOf(&c).extentSQL()).Scan(&ext[0], &ext[1], &ext[2], &ext[3]); err != nil {
			return err
		}
		if ext[0] != nil {
			box, found = [4]float64{*ext[0], *ext[1], *ext[2], *ext[3]}, true
		}
		return nil
	})
	if err != nil {
		return box, false, translate(err, "extent of %q", coll)
	}
	return box, found, nil
}
