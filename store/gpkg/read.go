package gpkg

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/paulmach/orb"

	"github.com/cityatlas/cityatlas/store"
)

// scanFeature reads one row selected with m.cols, returning the feature and
// its stored geometry blob. A row whose geometry, times or properties
// cannot be read (written by another program, or corrupt) gives an error
// wrapping store.ErrBadData, with f.ID, f.ExternalID, f.Version, the blob
// and, unless they are what is wrong, f.Created and f.Updated set.
func (m *meta) scanFeature(sc interface{ Scan(...any) error }) (store.Feature, []byte, error) {
	var (
		f                store.Feature
		ext              sql.NullString
		blob             []byte
		created, updated string
	)
	vals := make([]any, len(m.Columns))
	dest := make([]any, 0, 6+len(vals))
	dest = append(dest, &f.ID, &ext, &blob, &f.Version, &created, &updated)
	for i := range vals {
		dest = append(dest, &vals[i])
	}
	if err := sc.Scan(dest...); err != nil {
		return f, nil, err
	}
	f.Collection = m.Collection.ID
	f.ExternalID = ext.String
	var err error
	if f.Created, err = parseTime(created); err != nil {
		return f, blob, fmt.Errorf("feature %d: %w: created: %v", f.ID, store.ErrBadData, err)
	}
	if f.Updated, err = parseTime(updated); err != nil {
		return f, blob, fmt.Errorf("feature %d: %w: updated: %v", f.ID, store.ErrBadData, err)
	}
	if blob != nil {
		if f.Geometry, err = decodeGeometry(blob); err != nil {
			return f, blob, fmt.Errorf("feature %d: %w: %v", f.ID, store.ErrBadData, err)
		}
	}
	// The row's values are already in schema order: encode them as they
	// are, without a map between (the index load reads every row).
	for i, fd := range m.Collection.Fields {
		switch x := vals[i].(type) {
		case []byte:
			vals[i] = string(x)
		case int64:
			if fd.Type == store.TypeBoolean {
				vals[i] = x != 0
			}
		}
	}
	if f.Properties, err = store.EncodeValues(&m.Collection, vals); err != nil {
		return f, blob, fmt.Errorf("feature %d: %w: stored properties: %v", f.ID, store.ErrBadData, err)
	}
	return f, blob, nil
}

// Feature returns feature id of collection (ErrNotFound if the collection or
// the feature does not exist, ErrBadData if the stored row cannot be read).
func (s *Store) Feature(ctx context.Context, collection string, id int64) (store.Feature, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return store.Feature{}, fmt.Errorf("gpkg: feature: %w", err)
	}
	defer tx.Rollback()
	m, err := loadMeta(ctx, tx, collection)
	if err != nil {
		return store.Feature{}, fmt.Errorf("gpkg: feature %d: %w", id, err)
	}
	f, _, err := m.scanFeature(tx.QueryRowContext(ctx, "SELECT "+m.cols+" FROM "+quote(collection)+" WHERE fid = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Feature{}, fmt.Errorf("gpkg: feature %d of collection %q: %w", id, collection, store.ErrNotFound)
	}
	if err != nil {
		return store.Feature{}, fmt.Errorf("gpkg: feature %d of collection %q: %w", id, collection, err)
	}
	return f, nil
}

// Scan calls fn for every feature of collection in id order, stopping at
// fn's first error, which it returns unwrapped. ErrNotFound if the
// collection does not exist; ErrBadData for a row it cannot read.
func (s *Store) Scan(ctx context.Context, collection string, fn func(store.Feature) error) error {
	return s.scan(ctx, collection, fn, nil)
}

var _ store.SkippingScanner = (*Store)(nil)

// ScanSkipping is Scan, passing the rows it cannot read to skip.
func (s *Store) ScanSkipping(ctx context.Context, collection string, fn func(store.Feature) error, skip func(store.BadRow)) error {
	return s.scan(ctx, collection, fn, skip)
}

func (s *Store) scan(ctx context.Context, collection string, fn func(store.Feature) error, skip func(store.BadRow)) error {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("gpkg: scan: %w", err)
	}
	defer tx.Rollback()
	m, err := loadMeta(ctx, tx, collection)
	if err != nil {
		return fmt.Errorf("gpkg: scan: %w", err)
	}
	rows, err := tx.QueryContext(ctx, "SELECT "+m.cols+" FROM "+quote(collection)+" ORDER BY fid")
	if err != nil {
		return fmt.Errorf("gpkg: scan %q: %w", collection, err)
	}
	defer rows.Close()
	for rows.Next() {
		f, _, err := m.scanFeature(rows)
		if err != nil {
			if skip != nil && errors.Is(err, store.ErrBadData) {
				skip(store.BadRow{Collection: collection, ID: f.ID, Err: err})
				continue
			}
			return fmt.Errorf("gpkg: scan %q: %w", collection, err)
		}
		if err := fn(f); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("gpkg: scan %q: %w", collection, err)
	}
	return ctx.Err()
}

var _ store.Extenter = (*Store)(nil)

// Extent returns the extent of the collection's geometries, from its
// R-tree.
func (s *Store) Extent(ctx context.Context, collection string) ([4]float64, bool, error) {
	var box [4]float64
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return box, false, fmt.Errorf("gpkg: extent: %w", err)
	}
	defer tx.Rollback()
	if _, err := loadMeta(ctx, tx, collection); err != nil {
		return box, false, fmt.Errorf("gpkg: extent: %w", err)
	}
	var ext [4]sql.NullFloat64
	err = tx.QueryRowContext(ctx, "SELECT min(minx), min(miny), max(maxx), max(maxy) FROM "+quote(rtreeName(collection))).
		Scan(&ext[0], &ext[1], &ext[2], &ext[3])
	if err != nil {
		return box, false, fmt.Errorf("gpkg: extent of %q: %w", collection, err)
	}
	if !ext[0].Valid {
		return box, false, nil
	}
	return [4]float64{ext[0].Float64, ext[1].Float64, ext[2].Float64, ext[3].Float64}, true, nil
}

// Query returns the features of collection matching q in id order, and the
// number matched before q.Limit and q.Offset. A bounding box is matched
// through the R-tree and then tested exactly against each geometry
// (boundaries count as intersecting); a box with minLon > maxLon crosses
// the antimeridian. Errors wrap ErrNotFound (no such collection) or
// ErrInvalid (a bad box, a negative limit or offset).
func (s *Store) Query(ctx context.Context, collection string, q store.Query) ([]store.Feature, int, error) {
	if q.Limit < 0 || q.Offset < 0 {
		return nil, 0, fmt.Errorf("gpkg: query: %w", store.Invalidf("limit %d and offset %d must not be negative", q.Limit, q.Offset))
	}
	if q.Where != nil {
		return nil, 0, fmt.Errorf("gpkg: query: %w", store.Invalidf("CQL2 filters run on the index (store.Filter.Where), not in the GeoPackage"))
	}
	var rects []orb.Bound
	if q.BBox != nil {
		var err error
		if rects, err = bboxRects(*q.BBox); err != nil {
			return nil, 0, fmt.Errorf("gpkg: query: %w", err)
		}
	}
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, fmt.Errorf("gpkg: query: %w", err)
	}
	defer tx.Rollback()
	m, err := loadMeta(ctx, tx, collection)
	if err != nil {
		return nil, 0, fmt.Errorf("gpkg: query: %w", err)
	}
	out := []store.Feature{}
	if rects == nil {
		var matched int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM "+quote(collection)).Scan(&matched); err != nil {
			return nil, 0, fmt.Errorf("gpkg: query %q: %w", collection, err)
		}
		limit := int64(q.Limit)
		if limit == 0 {
			limit = -1
		}
		rows, err := tx.QueryContext(ctx, "SELECT "+m.cols+" FROM "+quote(collection)+" ORDER BY fid LIMIT ? OFFSET ?", limit, q.Offset)
		if err != nil {
			return nil, 0, fmt.Errorf("gpkg: query %q: %w", collection, err)
		}
		defer rows.Close()
		for rows.Next() {
			f, _, err := m.scanFeature(rows)
			if err != nil {
				return nil, 0, fmt.Errorf("gpkg: query %q: %w", collection, err)
			}
			out = append(out, f)
		}
		if err := rows.Err(); err != nil {
			return nil, 0, fmt.Errorf("gpkg: query %q: %w", collection, err)
		}
		return out, matched, nil
	}

	var where []string
	var args []any
	for _, r := range rects {
		where = append(where, "(minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?)")
		args = append(args, r.Max[0], r.Min[0], r.Max[1], r.Min[1])
	}
	rows, err := tx.QueryContext(ctx, "SELECT "+m.cols+" FROM "+quote(collection)+
		" WHERE fid IN (SELECT id FROM "+quote(rtreeName(collection))+" WHERE "+strings.Join(where, " OR ")+") ORDER BY fid", args...)
	if err != nil {
		return nil, 0, fmt.Errorf("gpkg: query %q: %w", collection, err)
	}
	defer rows.Close()
	matched := 0
	for rows.Next() {
		f, _, err := m.scanFeature(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("gpkg: query %q: %w", collection, err)
		}
		if f.Geometry == nil {
			continue
		}
		g := toOrb(f.Geometry)
		hit := false
		for _, r := range rects {
			if intersects(r, g) {
				hit = true
				break
			}
		}
		if !hit {
			continue
		}
		matched++
		if matched > q.Offset && (q.Limit == 0 || len(out) < q.Limit) {
			out = append(out, f)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("gpkg: query %q: %w", collection, err)
	}
	return out, matched, nil
}

// bboxRects checks a [minLon, minLat, maxLon, maxLat] box and splits one
// that crosses the antimeridian (minLon > maxLon) in two.
func bboxRects(b [4]float64) ([]orb.Bound, error) {
	for _, v := range b {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, store.Invalidf("bbox %v has a value that is not a finite number", b)
		}
	}
	if b[1] > b[3] {
		return nil, store.Invalidf("bbox %v: minimum latitude %g is above maximum latitude %g", b, b[1], b[3])
	}
	if b[0] <= b[2] {
		return []orb.Bound{{Min: orb.Point{b[0], b[1]}, Max: orb.Point{b[2], b[3]}}}, nil
	}
	return []orb.Bound{
		{Min: orb.Point{b[0], b[1]}, Max: orb.Point{math.Max(180, b[0]), b[3]}},
		{Min: orb.Point{math.Min(-180, b[2]), b[1]}, Max: orb.Point{b[2], b[3]}},
	}, nil
}
