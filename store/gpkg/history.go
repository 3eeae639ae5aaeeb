package gpkg

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/twpayne/go-geom"

	"github.com/cityatlas/cityatlas/store"
)

var _ store.Historian = (*Store)(nil)

// History returns every version of feature id (see store.Historian): its
// change-log entries with the content kept in cityatlas_versions (replaced
// and deleted versions) or the feature table (the current one). Versions
// replaced before cityatlas kept them have no content.
func (s *Store) History(ctx context.Context, collection string, id int64, after int64, limit int) ([]store.Version, error) {
	if limit <= 0 {
		limit = -1
	}
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("gpkg: history: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT c.seq, c.op, c.version, c.actor, CAST(c.time AS TEXT),
			v.feature_id IS NOT NULL, v.external_id, v.geom, v.properties
		FROM cityatlas_changes c
		LEFT JOIN cityatlas_versions v ON v.feature_id = c.feature_id AND v.version = c.version
		WHERE c.collection = ? AND c.feature_id = ? AND c.seq > ? ORDER BY c.seq LIMIT ?`, collection, id, after, limit)
	if err != nil {
		return nil, fmt.Errorf("gpkg: history of feature %d of %q: %w", id, collection, err)
	}
	var out []store.Version
	for rows.Next() {
		var (
			v     store.Version
			op    string
			ts    string
			kept  bool
			ext   sql.NullString
			blob  []byte
			props sql.NullString
		)
		if err := rows.Scan(&v.Seq, &op, &v.Version, &v.Actor, &ts, &kept, &ext, &blob, &props); err != nil {
			rows.Close()
			return nil, fmt.Errorf("gpkg: history: %w", err)
		}
		v.Collection, v.FeatureID, v.Op = collection, id, store.Op(op)
		if v.Time, err = parseTime(ts); err != nil {
			rows.Close()
			return nil, fmt.Errorf("gpkg: history: %w", err)
		}
		if kept {
			if v.Geometry, err = decodeBlob(blob); err != nil {
				rows.Close()
				return nil, fmt.Errorf("gpkg: history: version %d: %w", v.Version, err)
			}
			v.Content, v.ExternalID, v.Properties = true, ext.String, store.Properties(props.String)
		}
		out = append(out, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("gpkg: history: %w", err)
	}
	if len(out) == 0 && after > 0 {
		return []store.Version{}, nil
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("gpkg: history of feature %d of %q: %w", id, collection, store.ErrNotFound)
	}
	// The current version's content is the live row.
	m, err := loadMeta(ctx, tx, collection)
	if errors.Is(err, store.ErrNotFound) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("gpkg: history: %w", err)
	}
	f, _, err := m.scanFeature(tx.QueryRowContext(ctx, "SELECT "+m.cols+" FROM "+quote(collection)+" WHERE fid = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("gpkg: history: %w", err)
	}
	for i := range out {
		if v := &out[i]; !v.Content && v.Op != store.OpDelete && v.Version == f.Version {
			v.Content, v.Geometry, v.Properties, v.ExternalID = true, f.Geometry, f.Properties, f.ExternalID
		}
	}
	return out, nil
}

func decodeBlob(b []byte) (geom.T, error) {
	if b == nil {
		return nil, nil
	}
	return decodeGeometry(b)
}

// CollectionChanges returns up to limit change-log entries of one
// collection with Seq > after, in Seq order (limit <= 0: no limit).
func (s *Store) CollectionChanges(ctx context.Context, collection string, after int64, limit int) ([]store.Change, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.r.QueryContext(ctx, `SELECT seq, collection, feature_id, op, version, actor, CAST(time AS TEXT)
		FROM cityatlas_changes WHERE collection = ? AND seq > ? ORDER BY seq LIMIT ?`, collection, after, limit)
	if err != nil {
		return nil, fmt.Errorf("gpkg: changes of %q: %w", collection, err)
	}
	return scanChanges(rows)
}

func scanChanges(rows *sql.Rows) ([]store.Change, error) {
	defer rows.Close()
	out := []store.Change{}
	for rows.Next() {
		var (
			c  store.Change
			op string
			ts string
		)
		if err := rows.Scan(&c.Seq, &c.Collection, &c.FeatureID, &op, &c.Version, &c.Actor, &ts); err != nil {
			return nil, fmt.Errorf("gpkg: changes: %w", err)
		}
		c.Op = store.Op(op)
		var err error
		if c.Time, err = parseTime(ts); err != nil {
			return nil, fmt.Errorf("gpkg: changes: seq %d: %w", c.Seq, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("gpkg: changes: %w", err)
	}
	return out, nil
}
