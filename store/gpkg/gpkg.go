// Package gpkg is cityatlas's embedded storage backend: a store.Backend kept
// in one GeoPackage 1.3 file through the pure-Go SQLite driver
// modernc.org/sqlite (no cgo).
//
// Each collection is a GeoPackage feature table named after the collection
// id, with a geometry column "geom" in EPSG:4326 (WGS84 lon/lat), an R-tree
// spatial index (gpkg_rtree_index extension), one typed column per schema
// field and the columns external_id, version, created and updated. The file
// opens directly in GDAL and QGIS. Collection metadata, the feature id
// counter (ids are unique across collections) and the change log live in
// the tables cityatlas_collections, cityatlas_sequence and cityatlas_changes.
//
// Writes go through one connection (BEGIN IMMEDIATE, WAL journal), reads
// through a small pool.
package gpkg

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"modernc.org/sqlite"

	"github.com/cityatlas/cityatlas/store"
)

var _ store.Backend = (*Store)(nil)

// timeLayout is how created, updated, change-log and collection times are
// stored: UTC with milliseconds, the GeoPackage DATETIME text format.
const timeLayout = "2006-01-02T15:04:05.000Z"

// Store is a store.Backend on one GeoPackage file. It is safe for concurrent
// use.
type Store struct {
	path string
	w    *sql.DB // single connection, transactions BEGIN IMMEDIATE
	r    *sql.DB // readers
}

// sqliteDriver is a private modernc driver carrying the SQL functions the
// R-tree triggers call (ST_MinX, ST_MaxX, ST_MinY, ST_MaxY, ST_IsEmpty), so
// they reach only this package's connections.
var sqliteDriver = newDriver()

func newDriver() *sqlite.Driver {
	d := &sqlite.Driver{}
	bound := func(i int) func(*sqlite.FunctionContext, []driver.Value) (driver.Value, error) {
		return func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			b, ok := args[0].([]byte)
			if !ok {
				return nil, nil
			}
			env, ok, err := envelope2D(b)
			if err != nil || !ok {
				return nil, err
			}
			return env[i], nil
		}
	}
	d.MustRegisterDeterministicScalarFunction("ST_MinX", 1, bound(0))
	d.MustRegisterDeterministicScalarFunction("ST_MaxX", 1, bound(1))
	d.MustRegisterDeterministicScalarFunction("ST_MinY", 1, bound(2))
	d.MustRegisterDeterministicScalarFunction("ST_MaxY", 1, bound(3))
	d.MustRegisterDeterministicScalarFunction("ST_IsEmpty", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		b, ok := args[0].([]byte)
		if !ok {
			return nil, nil
		}
		_, nonEmpty, err := envelope2D(b)
		if err != nil {
			return nil, err
		}
		if nonEmpty {
			return int64(0), nil
		}
		return int64(1), nil
	})
	return d
}

type connector struct{ dsn string }

func (c connector) Connect(ctx context.Context) (driver.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return sqliteDriver.Open(c.dsn)
}

func (c connector) Driver() driver.Driver { return sqliteDriver }

// Open opens the GeoPackage at path, creating the file and the GeoPackage
// core tables when they are missing. An existing GeoPackage (for example one
// written by GDAL) is accepted; the cityatlas tables are added to it. It
// returns an error if the file is not an SQLite database or not a
// GeoPackage.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, store.Invalidf("gpkg: empty file path")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, store.Invalidf("gpkg: file path %q must not contain '?' or '#'", path)
	}
	// SQLite's page cache counts against the service's memory: the writer
	// gets 32 MiB for imports, each reader 8 MiB, and idle readers close.
	const pragmas = "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=temp_store(MEMORY)"
	w := sql.OpenDB(connector{dsn: path + pragmas + "&_pragma=cache_size(-32768)&_txlock=immediate"})
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	s := &Store{path: path, w: w}
	if err := s.init(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("gpkg: open %s: %w", path, err)
	}
	s.r = sql.OpenDB(connector{dsn: path + pragmas + "&_pragma=cache_size(-8192)"})
	s.r.SetMaxOpenConns(4)
	s.r.SetMaxIdleConns(2)
	s.r.SetConnMaxIdleTime(30 * time.Second)
	return s, nil
}

func (s *Store) init(ctx context.Context) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var appID, ver int64
	if err := tx.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID); err != nil {
		return err
	}
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&ver); err != nil {
		return err
	}
	var tables int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table'").Scan(&tables); err != nil {
		return err
	}
	switch {
	case appID == 0 && tables == 0:
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d", applicationID)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", userVersion)); err != nil {
			return err
		}
	case appID != applicationID:
		return store.Invalidf("not a GeoPackage (application_id %#x)", appID)
	}
	for _, q := range schemaSQL {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
	}
	return tx.Commit()
}

// Path returns the file the store is kept in.
func (s *Store) Path() string { return s.path }

// Close closes both connection pools; the WAL is checkpointed into the file.
func (s *Store) Close() error {
	var errR error
	if s.r != nil {
		errR = s.r.Close()
	}
	errW := s.w.Close()
	if err := errors.Join(errR, errW); err != nil {
		return fmt.Errorf("gpkg: close: %w", err)
	}
	return nil
}

// meta is a collection as this backend keeps it.
type meta struct {
	Collection store.Collection `json:"collection"`
	// Columns holds the SQL column of each field, in schema order: the field
	// name, with a suffix when it would clash (SQLite names are case
	// insensitive) with another column.
	Columns []string `json:"columns"`

	// From gpkg_geometry_columns and gpkg_contents, not the JSON.
	geomType string
	z, m     int
	extent   [4]float64 // min_x, min_y, max_x, max_y
	hasExt   bool

	fieldIdx map[string]int
	cols     string // select list
}

func (m *meta) prepare() {
	m.fieldIdx = make(map[string]int, len(m.Collection.Fields))
	var b strings.Builder
	b.WriteString("fid, external_id, geom, version, CAST(created AS TEXT), CAST(updated AS TEXT)")
	for i, f := range m.Collection.Fields {
		m.fieldIdx[f.Name] = i
		c := quote(m.Columns[i])
		if f.Type == store.TypeDate || f.Type == store.TypeDateTime {
			c = "CAST(" + c + " AS TEXT)"
		}
		b.WriteString(", " + c)
	}
	m.cols = b.String()
}

// columnNames picks a distinct SQL column for every field.
func columnNames(fields []store.Field) []string {
	used := map[string]bool{"fid": true, "geom": true, "external_id": true, "version": true, "created": true, "updated": true}
	cols := make([]string, len(fields))
	for i, f := range fields {
		name := f.Name
		for n := 2; used[strings.ToLower(name)]; n++ {
			name = fmt.Sprintf("%s_%d", f.Name, n)
		}
		used[strings.ToLower(name)] = true
		cols[i] = name
	}
	return cols
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

const metaSQL = `SELECT c.id, c.meta, g.geometry_type_name, g.z, g.m, ct.min_x, ct.min_y, ct.max_x, ct.max_y
	FROM cityatlas_collections c
	JOIN gpkg_geometry_columns g ON g.table_name = c.id
	JOIN gpkg_contents ct ON ct.table_name = c.id`

func scanMeta(sc interface{ Scan(...any) error }) (*meta, error) {
	var (
		id, js string
		m      meta
		ext    [4]sql.NullFloat64
		zf, mf int
	)
	if err := sc.Scan(&id, &js, &m.geomType, &zf, &mf, &ext[0], &ext[1], &ext[2], &ext[3]); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		return &meta{Collection: store.Collection{ID: id}}, fmt.Errorf("collection %q: %w: decode its metadata: %v", id, store.ErrBadData, err)
	}
	if m.Collection.ID != id || len(m.Columns) != len(m.Collection.Fields) {
		return &meta{Collection: store.Collection{ID: id}}, fmt.Errorf("collection %q: %w: its metadata names collection %q with %d columns for %d fields",
			id, store.ErrBadData, m.Collection.ID, len(m.Columns), len(m.Collection.Fields))
	}
	m.z, m.m = zf, mf
	if ext[0].Valid && ext[1].Valid && ext[2].Valid && ext[3].Valid {
		m.hasExt = true
		m.extent = [4]float64{ext[0].Float64, ext[1].Float64, ext[2].Float64, ext[3].Float64}
	}
	m.prepare()
	return &m, nil
}

// loadMeta reads collection id; ErrNotFound if there is none.
func loadMeta(ctx context.Context, q queryer, id string) (*meta, error) {
	m, err := scanMeta(q.QueryRowContext(ctx, metaSQL+" WHERE c.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("collection %q: %w", id, store.ErrNotFound)
	}
	return m, err
}

// Collections returns every collection, ordered by id. ErrBadData if the
// stored definition of one cannot be read.
func (s *Store) Collections(ctx context.Context) ([]store.Collection, error) {
	return s.collections(ctx, nil)
}

var _ store.CollectionSkipper = (*Store)(nil)

// CollectionsSkipping is Collections, passing the collections whose
// definition cannot be read to skip.
func (s *Store) CollectionsSkipping(ctx context.Context, skip func(id string, err error)) ([]store.Collection, error) {
	return s.collections(ctx, skip)
}

func (s *Store) collections(ctx context.Context, skip func(id string, err error)) ([]store.Collection, error) {
	rows, err := s.r.QueryContext(ctx, metaSQL+" ORDER BY c.id")
	if err != nil {
		return nil, fmt.Errorf("gpkg: collections: %w", err)
	}
	defer rows.Close()
	out := []store.Collection{}
	for rows.Next() {
		m, err := scanMeta(rows)
		if err != nil {
			if skip != nil && errors.Is(err, store.ErrBadData) {
				skip(m.Collection.ID, err)
				continue
			}
			return nil, fmt.Errorf("gpkg: collections: %w", err)
		}
		out = append(out, m.Collection)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("gpkg: collections: %w", err)
	}
	return out, nil
}

// CreateCollection creates the feature table of c and registers it in
// gpkg_contents and gpkg_geometry_columns. Errors wrap store.ErrInvalid
// (c fails store.ValidateCollection, or its id starts with a prefix
// reserved in a GeoPackage: gpkg_, sqlite_, rtree_, cityatlas_) or
// store.ErrConflict (a collection or table of that name exists).
func (s *Store) CreateCollection(ctx context.Context, c store.Collection) (store.Collection, error) {
	if err := checkNewCollection(&c); err != nil {
		return store.Collection{}, fmt.Errorf("gpkg: create collection: %w", err)
	}
	err := s.write(ctx, func(tx *sql.Tx) error { return createIn(ctx, tx, &c) })
	if err != nil {
		return store.Collection{}, fmt.Errorf("gpkg: create collection %q: %w", c.ID, err)
	}
	return c, nil
}

// checkNewCollection is CreateCollection's check of c before it writes.
func checkNewCollection(c *store.Collection) error {
	if err := store.ValidateCollection(c); err != nil {
		return err
	}
	for _, p := range reservedPrefixes {
		if strings.HasPrefix(c.ID, p) {
			return store.Invalidf("collection id %q starts with %q, which GeoPackage files reserve", c.ID, p)
		}
	}
	return nil
}

// createIn makes collection c (checked by checkNewCollection) in tx,
// setting c.Created.
func createIn(ctx context.Context, tx *sql.Tx, c *store.Collection) error {
	c.Created = time.Now().UTC().Truncate(time.Millisecond)
	m := &meta{Collection: *c, Columns: columnNames(c.Fields)}
	js, err := json.Marshal(m)
	if err != nil {
		return err
	}
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE lower(name) IN (lower(?), lower(?))", c.ID, rtreeName(c.ID)).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("collection %q: %w: a collection or table of that name exists", c.ID, store.ErrConflict)
	}
	gt := gpkgGeometryName(c.Geometry)
	for _, q := range append([]string{tableSQL(m, c.ID, gt)}, rtreeSQL(c.ID)...) {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	now := c.Created.Format(timeLayout)
	if _, err := tx.ExecContext(ctx, `INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, srs_id)
		VALUES (?, 'features', ?, ?, ?, ?)`, c.ID, c.ID, c.Description, now, srsWGS84); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m)
		VALUES (?, 'geom', ?, ?, 0, 0)`, c.ID, gt, srsWGS84); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
		VALUES (?, 'geom', ?, ?, 'write-only')`, c.ID, rtreeExtension, rtreeDefinition); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO cityatlas_collections (id, meta) VALUES (?, ?)", c.ID, string(js))
	return err
}

// DeleteCollection drops the feature table of collection id with its index
// and registrations (ErrNotFound if there is none). The change log keeps its
// entries.
func (s *Store) DeleteCollection(ctx context.Context, id, actor string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := loadMeta(ctx, tx, id); err != nil {
			return err
		}
		for _, q := range []string{
			"DROP TABLE " + quote(id),
			"DROP TABLE IF EXISTS " + quote(rtreeName(id)),
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		for _, t := range []string{"gpkg_extensions", "gpkg_geometry_columns", "gpkg_contents"} {
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+t+" WHERE table_name = ?", id); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM cityatlas_collections WHERE id = ?", id); err != nil {
			return err
		}
		_, err := logCollectionChange(ctx, tx, id, actor)
		return err
	})
	if err != nil {
		return fmt.Errorf("gpkg: delete collection %q: %w", id, err)
	}
	return nil
}

// write runs fn in a write transaction (BEGIN IMMEDIATE on the single writer
// connection) and commits if fn succeeds.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		// Once ctx is done database/sql rolls the transaction back and
		// closes its statements, so the statement running then fails with
		// "statement is closed": say that it was the cancellation.
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			return fmt.Errorf("%w: %w", cerr, err)
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		// Cancelled between the last statement and the commit: the
		// transaction was rolled back already (sql.ErrTxDone).
		if cerr := ctx.Err(); cerr != nil {
			return fmt.Errorf("%w: commit: %w", cerr, err)
		}
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Changes returns up to limit change-log entries with Seq > after, in Seq
// order; limit <= 0 means no limit.
func (s *Store) Changes(ctx context.Context, after int64, limit int) ([]store.Change, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.r.QueryContext(ctx, `SELECT seq, collection, feature_id, op, version, actor, CAST(time AS TEXT)
		FROM cityatlas_changes WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("gpkg: changes: %w", err)
	}
	return scanChanges(rows)
}

// LastSeq returns the highest change-log sequence number (0 if none).
func (s *Store) LastSeq(ctx context.Context) (int64, error) {
	var seq int64
	if err := s.r.QueryRowContext(ctx, "SELECT coalesce(max(seq), 0) FROM cityatlas_changes").Scan(&seq); err != nil {
		return 0, fmt.Errorf("gpkg: last seq: %w", err)
	}
	return seq, nil
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad time %q: %w", s, err)
	}
	return t.UTC(), nil
}
