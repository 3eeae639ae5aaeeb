package gpkg

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/tidwall/gjson"
	"github.com/twpayne/go-geom"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/cityatlas/cityatlas/geo"
	"github.com/cityatlas/cityatlas/store"
)

// Apply performs the mutations on one collection in a single transaction
// (see store.Backend.Apply). Errors name the failing mutation by index and
// wrap store.ErrNotFound, store.ErrConflict or store.ErrInvalid.
func (s *Store) Apply(ctx context.Context, collection string, ms []store.Mutation, actor string) ([]store.Result, error) {
	results := make([]store.Result, 0, len(ms))
	err := s.applyAll(ctx, collection, store.Stream(ms, nil), actor, func(r store.Result) error {
		results = append(results, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("gpkg: apply to %q: %w", collection, err)
	}
	return results, nil
}

// applyAll performs the mutations that next yields, until io.EOF, in one
// transaction, passing each result to result; on any error nothing is
// written. Apply and ApplyStream are both this.
func (s *Store) applyAll(ctx context.Context, collection string, next func() (store.Mutation, error), actor string, result func(store.Result) error) error {
	return s.write(ctx, func(tx *sql.Tx) error { return applyIn(ctx, tx, collection, next, actor, result) })
}

// applyIn is applyAll's work inside transaction tx.
func applyIn(ctx context.Context, tx *sql.Tx, collection string, next func() (store.Mutation, error), actor string, result func(store.Result) error) error {
	{
		m, err := loadMeta(ctx, tx, collection)
		if err != nil {
			return err
		}
		now := time.Now().UTC().Truncate(time.Millisecond)
		a := &applier{tx: tx, m: m, actor: actor, now: now, nowText: now.Format(timeLayout)}
		defer a.close()
		if err := tx.QueryRowContext(ctx, "SELECT value FROM cityatlas_sequence WHERE name = 'feature'").Scan(&a.lastID); err != nil {
			return fmt.Errorf("read id counter: %w", err)
		}
		for i := 0; ; i++ {
			if i%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			mu, err := next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return err
			}
			r, err := a.apply(ctx, mu)
			if err != nil {
				what := string(mu.Op)
				if mu.Feature.ID != 0 {
					what += fmt.Sprintf(" feature %d", mu.Feature.ID)
				}
				if mu.Feature.ExternalID != "" {
					what += fmt.Sprintf(" external id %q", mu.Feature.ExternalID)
				}
				return fmt.Errorf("mutation %d (%s): %w", i, what, err)
			}
			if err := result(r); err != nil {
				return err
			}
		}
		return a.finish(ctx)
	}
}

// applier carries one Apply transaction: its prepared statements, the id
// counter and what the GeoPackage metadata tables must learn at the end.
type applier struct {
	tx      *sql.Tx
	m       *meta
	actor   string
	now     time.Time
	nowText string // now as stored

	lastID, firstID int64
	changed         bool
	shrunk          bool // a geometry on the extent's boundary was removed or replaced: recompute the extent
	grown           bool
	ext             [4]float64 // min_x, min_y, max_x, max_y of the geometries written
	hasZ, hasM      bool

	stmts map[string]*sql.Stmt
}

func (a *applier) close() {
	for _, st := range a.stmts {
		st.Close()
	}
}

func (a *applier) stmt(ctx context.Context, key string, build func() string) (*sql.Stmt, error) {
	if st, ok := a.stmts[key]; ok {
		return st, nil
	}
	st, err := a.tx.PrepareContext(ctx, build())
	if err != nil {
		return nil, fmt.Errorf("prepare %s: %w", key, err)
	}
	if a.stmts == nil {
		a.stmts = map[string]*sql.Stmt{}
	}
	a.stmts[key] = st
	return st, nil
}

// prepared is a feature ready to be written.
type prepared struct {
	geom  []byte
	props store.Properties
	args  []any // one per field column
}

// prepare validates f against the collection and encodes it.
func (a *applier) prepare(ctx context.Context, f *store.Feature) (prepared, error) {
	var p prepared
	c := &a.m.Collection
	raw := f.Properties
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = store.Properties("{}")
	}
	if err := store.CheckPropertiesJSON(raw); err != nil {
		return p, err
	}
	doc := gjson.ParseBytes(raw)
	if !doc.IsObject() || !gjson.ValidBytes(raw) {
		return p, store.Invalidf("properties must be a JSON object")
	}
	// The values as JSON decoding with UseNumber gives them, for
	// EncodeProperties to check against the schema and make canonical.
	vals := make(map[string]any, len(c.Fields))
	var unknown string
	doc.ForEach(func(k, v gjson.Result) bool {
		if _, ok := a.m.fieldIdx[k.Str]; !ok {
			unknown = k.Str
			return false
		}
		switch v.Type {
		case gjson.String:
			vals[k.Str] = v.Str
		case gjson.Number:
			vals[k.Str] = json.Number(v.Raw)
		case gjson.True:
			vals[k.Str] = true
		case gjson.False:
			vals[k.Str] = false
		case gjson.Null:
			delete(vals, k.Str)
		default:
			if v.IsArray() {
				vals[k.Str] = json.RawMessage(v.Raw) // EncodeProperties checks it against the field
			} else {
				vals[k.Str] = map[string]any{}
			}
		}
		return true
	})
	if unknown != "" {
		return p, store.Invalidf("property %q is not in the schema of collection %q", unknown, c.ID)
	}
	var err error
	if p.props, err = store.EncodeProperties(c, vals); err != nil {
		return p, err
	}
	// Column values from the canonical form, typed by the schema.
	p.args = make([]any, len(c.Fields))
	gjson.ParseBytes(p.props).ForEach(func(k, v gjson.Result) bool {
		i := a.m.fieldIdx[k.Str]
		switch c.Fields[i].Type {
		case store.TypeInteger:
			p.args[i] = v.Int()
		case store.TypeNumber:
			p.args[i] = v.Float()
		case store.TypeBoolean:
			if v.Bool() {
				p.args[i] = int64(1)
			} else {
				p.args[i] = int64(0)
			}
		case store.TypeDateTime:
			p.args[i] = datetimeText(v.Str)
		case store.TypeArray:
			p.args[i] = v.Raw // the JSON text, in a TEXT column
		default:
			p.args[i] = v.Str
		}
		return true
	})
	if f.Geometry != nil {
		t := geo.TypeName(f.Geometry)
		if !store.GeometryAllowed(c.Geometry, t) {
			return p, store.Invalidf("collection %q takes %s geometries, not %s", c.ID, c.Geometry, t)
		}
		if err := geo.CheckStorable(f.Geometry); err != nil {
			return p, store.Invalidf("%s geometry: %v", t, err)
		}
		if p.geom, err = encodeGeometry(f.Geometry); err != nil {
			return p, store.Invalidf("%v", err)
		}
		if !f.Geometry.Empty() {
			a.note(f.Geometry)
		}
	}
	return p, nil
}

// note records what a written geometry means for gpkg_contents and
// gpkg_geometry_columns.
func (a *applier) note(g geom.T) {
	switch g.Layout() {
	case geom.XYZ:
		a.hasZ = true
	case geom.XYM:
		a.hasM = true
	case geom.XYZM:
		a.hasZ, a.hasM = true, true
	}
	e, ok := geo.Bounds(g)
	if !ok {
		return
	}
	if !a.grown {
		a.ext, a.grown = e, true
		return
	}
	a.ext[0], a.ext[1] = math.Min(a.ext[0], e[0]), math.Min(a.ext[1], e[1])
	a.ext[2], a.ext[3] = math.Max(a.ext[2], e[2]), math.Max(a.ext[3], e[3])
}

func (a *applier) apply(ctx context.Context, mu store.Mutation) (store.Result, error) {
	switch mu.Op {
	case store.OpInsert:
		return a.insert(ctx, &mu.Feature)
	case store.OpUpdate:
		old, oldGeom, err := a.byID(ctx, mu.Feature.ID)
		if err != nil {
			return store.Result{}, err
		}
		if mu.IfVersion != 0 && mu.IfVersion != old.Version {
			return store.Result{}, fmt.Errorf("%w: feature %d is at version %d, not %d", store.ErrConflict, old.ID, old.Version, mu.IfVersion)
		}
		return a.update(ctx, old, oldGeom, &mu.Feature, false)
	case store.OpUpsert:
		if mu.Feature.ExternalID == "" {
			return store.Result{}, store.Invalidf("an upsert needs an external id")
		}
		old, oldGeom, err := a.byExternalID(ctx, mu.Feature.ExternalID)
		if errors.Is(err, store.ErrNotFound) {
			return a.insert(ctx, &mu.Feature)
		}
		if err != nil {
			return store.Result{}, err
		}
		if mu.IfVersion != 0 && mu.IfVersion != old.Version {
			return store.Result{}, fmt.Errorf("%w: feature %d is at version %d, not %d", store.ErrConflict, old.ID, old.Version, mu.IfVersion)
		}
		return a.update(ctx, old, oldGeom, &mu.Feature, true)
	case store.OpDelete:
		old, oldGeom, err := a.byID(ctx, mu.Feature.ID)
		if err != nil {
			return store.Result{}, err
		}
		if mu.IfVersion != 0 && mu.IfVersion != old.Version {
			return store.Result{}, fmt.Errorf("%w: feature %d is at version %d, not %d", store.ErrConflict, old.ID, old.Version, mu.IfVersion)
		}
		st, err := a.stmt(ctx, "delete", func() string {
			return "DELETE FROM " + quote(a.m.Collection.ID) + " WHERE fid = ?"
		})
		if err != nil {
			return store.Result{}, err
		}
		if _, err := st.ExecContext(ctx, old.ID); err != nil {
			return store.Result{}, fmt.Errorf("delete: %w", err)
		}
		if err := a.keep(ctx, &old, oldGeom); err != nil {
			return store.Result{}, err
		}
		a.removed(oldGeom)
		seq, err := a.log(ctx, old.ID, store.OpDelete, old.Version)
		if err != nil {
			return store.Result{}, err
		}
		return store.Result{Outcome: store.Deleted, Feature: old, Seq: seq}, nil
	}
	return store.Result{}, store.Invalidf("unknown operation %q (insert, update, upsert, delete)", mu.Op)
}

// removed notes that a stored geometry was deleted or replaced: when it
// reached the layer's extent, the extent may shrink and is recomputed.
func (a *applier) removed(blob []byte) {
	if blob == nil || a.shrunk || !a.m.hasExt {
		return
	}
	env, ok, err := envelope2D(blob)
	if err != nil || !ok {
		return
	}
	e := a.m.extent
	if env[0] <= e[0] || env[2] <= e[1] || env[1] >= e[2] || env[3] >= e[3] {
		a.shrunk = true
	}
}

func (a *applier) insert(ctx context.Context, f *store.Feature) (store.Result, error) {
	p, err := a.prepare(ctx, f)
	if err != nil {
		return store.Result{}, err
	}
	st, err := a.stmt(ctx, "insert", func() string {
		var b strings.Builder
		b.WriteString("INSERT INTO " + quote(a.m.Collection.ID) + " (fid, geom")
		for _, c := range a.m.Columns {
			b.WriteString(", " + quote(c))
		}
		b.WriteString(", external_id, version, created, updated) VALUES (?, ?")
		b.WriteString(strings.Repeat(", ?", len(a.m.Columns)+4))
		b.WriteString(")")
		return b.String()
	})
	if err != nil {
		return store.Result{}, err
	}
	id := a.lastID + 1
	now := a.nowText
	args := make([]any, 0, len(p.args)+6)
	args = append(args, id, p.geom)
	args = append(args, p.args...)
	args = append(args, nullString(f.ExternalID), int64(1), now, now)
	if _, err := st.ExecContext(ctx, args...); err != nil {
		if isUnique(err) {
			return store.Result{}, fmt.Errorf("%w: external id %q exists in collection %q", store.ErrConflict, f.ExternalID, a.m.Collection.ID)
		}
		return store.Result{}, fmt.Errorf("insert: %w", err)
	}
	a.lastID = id
	seq, err := a.log(ctx, id, store.OpInsert, 1)
	if err != nil {
		return store.Result{}, err
	}
	return store.Result{Outcome: store.Inserted, Seq: seq, Feature: store.Feature{
		ID: id, Collection: a.m.Collection.ID, ExternalID: f.ExternalID, Geometry: f.Geometry,
		Properties: p.props, Version: 1, Created: a.now, Updated: a.now,
	}}, nil
}

// update replaces old's geometry and properties with f's; oldGeom is old's
// stored geometry blob. An upsert changes nothing when geometry and
// properties are byte-identical.
func (a *applier) update(ctx context.Context, old store.Feature, oldGeom []byte, f *store.Feature, upsert bool) (store.Result, error) {
	p, err := a.prepare(ctx, f)
	if err != nil {
		return store.Result{}, err
	}
	ext := old.ExternalID
	if f.ExternalID != "" {
		ext = f.ExternalID
	}
	if upsert && bytes.Equal(oldGeom, p.geom) && bytes.Equal(old.Properties, p.props) {
		return store.Result{Outcome: store.Unchanged, Feature: old}, nil
	}
	st, err := a.stmt(ctx, "update", func() string {
		var b strings.Builder
		b.WriteString("UPDATE " + quote(a.m.Collection.ID) + " SET geom = ?")
		for _, c := range a.m.Columns {
			b.WriteString(", " + quote(c) + " = ?")
		}
		b.WriteString(", external_id = ?, version = ?, updated = ? WHERE fid = ?")
		return b.String()
	})
	if err != nil {
		return store.Result{}, err
	}
	version := old.Version + 1
	args := make([]any, 0, len(p.args)+5)
	args = append(args, p.geom)
	args = append(args, p.args...)
	args = append(args, nullString(ext), version, a.nowText, old.ID)
	if _, err := st.ExecContext(ctx, args...); err != nil {
		if isUnique(err) {
			return store.Result{}, fmt.Errorf("%w: external id %q exists in collection %q", store.ErrConflict, ext, a.m.Collection.ID)
		}
		return store.Result{}, fmt.Errorf("update: %w", err)
	}
	a.removed(oldGeom)
	if err := a.keep(ctx, &old, oldGeom); err != nil {
		return store.Result{}, err
	}
	seq, err := a.log(ctx, old.ID, store.OpUpdate, version)
	if err != nil {
		return store.Result{}, err
	}
	return store.Result{Outcome: store.Updated, Seq: seq, Feature: store.Feature{
		ID: old.ID, Collection: a.m.Collection.ID, ExternalID: ext, Geometry: f.Geometry,
		Properties: p.props, Version: version, Created: old.Created, Updated: a.now,
	}}, nil
}

func (a *applier) byID(ctx context.Context, id int64) (store.Feature, []byte, error) {
	st, err := a.stmt(ctx, "byID", func() string {
		return "SELECT " + a.m.cols + " FROM " + quote(a.m.Collection.ID) + " WHERE fid = ?"
	})
	if err != nil {
		return store.Feature{}, nil, err
	}
	f, g, err := a.m.scanFeature(st.QueryRowContext(ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		return f, nil, fmt.Errorf("feature %d of collection %q: %w", id, a.m.Collection.ID, store.ErrNotFound)
	}
	return stub(f, g, err)
}

// stub lets a write replace or delete a stored feature that cannot be read
// (store.ErrBadData, quarantined by the index): the feature then has only
// its id, external id, version and times, and counts as changed.
func stub(f store.Feature, blob []byte, err error) (store.Feature, []byte, error) {
	if errors.Is(err, store.ErrBadData) {
		return store.Feature{ID: f.ID, Collection: f.Collection, ExternalID: f.ExternalID, Version: f.Version,
			Created: f.Created, Updated: f.Updated}, blob, nil
	}
	return f, blob, err
}

func (a *applier) byExternalID(ctx context.Context, ext string) (store.Feature, []byte, error) {
	st, err := a.stmt(ctx, "byExternalID", func() string {
		return "SELECT " + a.m.cols + " FROM " + quote(a.m.Collection.ID) + " WHERE external_id = ?"
	})
	if err != nil {
		return store.Feature{}, nil, err
	}
	f, g, err := a.m.scanFeature(st.QueryRowContext(ctx, ext))
	if errors.Is(err, sql.ErrNoRows) {
		return f, nil, fmt.Errorf("external id %q of collection %q: %w", ext, a.m.Collection.ID, store.ErrNotFound)
	}
	return stub(f, g, err)
}

// keep writes the version old, which is being replaced or deleted, to
// the history (cityatlas_versions); oldGeom is its stored geometry blob.
func (a *applier) keep(ctx context.Context, old *store.Feature, oldGeom []byte) error {
	st, err := a.stmt(ctx, "keep", func() string {
		return `INSERT OR IGNORE INTO cityatlas_versions (feature_id, version, collection, external_id, geom, properties, updated)
			VALUES (?, ?, ?, ?, ?, ?, ?)`
	})
	if err != nil {
		return err
	}
	_, err = st.ExecContext(ctx, old.ID, old.Version, a.m.Collection.ID, nullString(old.ExternalID), oldGeom,
		string(old.Properties), old.Updated.UTC().Format(timeLayout))
	if err != nil {
		return fmt.Errorf("keep version %d of feature %d: %w", old.Version, old.ID, err)
	}
	return nil
}

func (a *applier) log(ctx context.Context, id int64, op store.Op, version int64) (int64, error) {
	st, err := a.stmt(ctx, "log", func() string {
		return "INSERT INTO cityatlas_changes (collection, feature_id, op, version, actor, time) VALUES (?, ?, ?, ?, ?, ?)"
	})
	if err != nil {
		return 0, err
	}
	res, err := st.ExecContext(ctx, a.m.Collection.ID, id, string(op), version, a.actor, a.nowText)
	if err != nil {
		return 0, fmt.Errorf("change log: %w", err)
	}
	a.changed = true
	seq, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("change log: %w", err)
	}
	return seq, nil
}

// finish stores the id counter and brings gpkg_contents (extent,
// last_change) and gpkg_geometry_columns (z, m, type) up to date.
func (a *applier) finish(ctx context.Context) error {
	if !a.changed {
		return nil
	}
	tx, id := a.tx, a.m.Collection.ID
	if _, err := tx.ExecContext(ctx, "UPDATE cityatlas_sequence SET value = ? WHERE name = 'feature'", a.lastID); err != nil {
		return fmt.Errorf("store id counter: %w", err)
	}
	var ext [4]sql.NullFloat64
	switch {
	case a.shrunk:
		// Exact, from the geometry envelopes (the R-tree holds float32
		// bounds). It reads the whole table, but only when a geometry on the
		// extent's boundary went away.
		err := tx.QueryRowContext(ctx, "SELECT min(ST_MinX(geom)), min(ST_MinY(geom)), max(ST_MaxX(geom)), max(ST_MaxY(geom)) FROM "+quote(id)).
			Scan(&ext[0], &ext[1], &ext[2], &ext[3])
		if err != nil {
			return fmt.Errorf("compute extent: %w", err)
		}
	case a.grown:
		e := a.ext
		if a.m.hasExt {
			e[0], e[1] = math.Min(e[0], a.m.extent[0]), math.Min(e[1], a.m.extent[1])
			e[2], e[3] = math.Max(e[2], a.m.extent[2]), math.Max(e[3], a.m.extent[3])
		}
		for i := range ext {
			ext[i] = sql.NullFloat64{Float64: e[i], Valid: true}
		}
	default:
		if a.m.hasExt {
			for i := range ext {
				ext[i] = sql.NullFloat64{Float64: a.m.extent[i], Valid: true}
			}
		}
	}
	if _, err := tx.ExecContext(ctx, "UPDATE gpkg_contents SET min_x = ?, min_y = ?, max_x = ?, max_y = ?, last_change = ? WHERE table_name = ?",
		ext[0], ext[1], ext[2], ext[3], a.now.Format(timeLayout), id); err != nil {
		return fmt.Errorf("update gpkg_contents: %w", err)
	}
	z, m := a.m.z, a.m.m
	if a.hasZ && z == 0 {
		z = 2
	}
	if a.hasM && m == 0 {
		m = 2
	}
	if z != a.m.z || m != a.m.m {
		if _, err := tx.ExecContext(ctx, "UPDATE gpkg_geometry_columns SET z = ?, m = ? WHERE table_name = ?", z, m, id); err != nil {
			return fmt.Errorf("update gpkg_geometry_columns: %w", err)
		}
	}
	return nil
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func isUnique(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}

// datetimeText writes a canonical (RFC 3339, UTC) datetime property in the
// GeoPackage DATETIME form, YYYY-MM-DDTHH:MM:SS.SSSZ, when that loses
// nothing; a value finer than milliseconds keeps all its digits.
func datetimeText(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || !t.Equal(t.Truncate(time.Millisecond)) {
		return s
	}
	return t.UTC().Format(timeLayout)
}
