package importers

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"

	"github.com/cityatlas/cityatlas/geo/proj"
)

// The GeoPackage reader opens the file read-only with modernc.org/sqlite
// (pure Go) and reads every feature and attribute table that gpkg_contents
// lists (or only Options.Layer), each as one Reader named
// "file.gpkg!layer".
//
// Field types come from the columns' declared SQLite types, as the
// GeoPackage standard names them (clause 1.1.1.1.3): INTEGER, INT,
// MEDIUMINT, SMALLINT, TINYINT → integer; BOOLEAN (0 or 1) → boolean;
// REAL, DOUBLE, FLOAT → number; TEXT, TEXT(n) → string; DATE → date;
// DATETIME → datetime; BLOB → string (hexadecimal). The integer primary key
// (the feature id) is not a field: it is each Feature's ID. A date-time
// without an offset (GDAL writes "2022-04-16T10:15:10" when the source had
// none) is a wall-clock time in Options.Location, UTC when nil.
//
// The CRS is the layer's srs_id in gpkg_spatial_ref_sys: "EPSG:n" when the
// organization is EPSG and package geo/proj knows the code, else the
// definition's WKT; srs_id 0 (undefined geographic) is EPSG:4326 and -1
// (undefined Cartesian) is unknown.
//
// Geometry blobs are decoded by decodeGeoPackageGeometry (bounded: see
// checkWKB); a blob larger than maxGeoPackageBlob is a bad record.

// maxGeoPackageBlob bounds one geometry (SQLite allows a blob of up to
// 1 GB; no asset needs more than this).
const maxGeoPackageBlob = 64 << 20

// gpkgDriver is this package's own modernc driver (no SQL functions).
var gpkgDriver = &sqlite.Driver{}

type gpkgConnector struct{ dsn string }

func (c gpkgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return gpkgDriver.Open(c.dsn)
}

func (c gpkgConnector) Driver() driver.Driver { return gpkgDriver }

// gpkgLayer is one table of a GeoPackage.
type gpkgLayer struct {
	table, geomCol, geomType string
	srsID                    int64
}

// openGeoPackage opens every layer of the GeoPackage at path (or the one
// opts.Layer names).
func openGeoPackage(path string, opts Options) (_ []Reader, err error) {
	if err := checkSQLiteHeader(path); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("importers: %s: %w", path, err)
	}
	dsn := "file:" + (&url.URL{Path: abs}).EscapedPath() + "?mode=ro&immutable=1"
	db := sql.OpenDB(gpkgConnector{dsn: dsn})
	db.SetMaxOpenConns(1)
	defer func() {
		if err != nil {
			db.Close()
		}
	}()
	name := filepath.Base(path)
	layers, err := gpkgLayers(db, name)
	if err != nil {
		return nil, err
	}
	if opts.Layer != "" {
		var keep []gpkgLayer
		var names []string
		for _, l := range layers {
			names = append(names, l.table)
			if l.table == opts.Layer {
				keep = append(keep, l)
			}
		}
		if len(keep) == 0 {
			return nil, fmt.Errorf("importers: %s: %w: no layer %q (it has %s)", name, ErrFormat, opts.Layer, strings.Join(quoteAll(names), ", "))
		}
		layers = keep
	}
	if len(layers) == 0 {
		return nil, fmt.Errorf("importers: %s: %w: the GeoPackage has no feature or attribute table in gpkg_contents", name, ErrFormat)
	}
	shared := &sharedDB{db: db, n: len(layers)}
	var rs []Reader
	defer func() {
		if err != nil {
			for _, r := range rs {
				r.Close()
			}
		}
	}()
	for _, l := range layers {
		r, err := newGeoPackageReader(shared, name, l, opts)
		if err != nil {
			return nil, err
		}
		rs = append(rs, r)
	}
	return rs, nil
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}

// checkSQLiteHeader refuses a file that is not an SQLite database before
// SQLite sees it.
func checkSQLiteHeader(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("importers: %w", err)
	}
	defer f.Close()
	h := make([]byte, 16)
	if _, err := io.ReadFull(f, h); err != nil || string(h) != "SQLite format 3\x00" {
		return fmt.Errorf("importers: %s: %w: not a GeoPackage (not an SQLite database)", filepath.Base(path), ErrFormat)
	}
	return nil
}

// sharedDB is the database handle of a GeoPackage's readers, closed with
// the last of them.
type sharedDB struct {
	db *sql.DB
	n  int
}

func (s *sharedDB) release() error {
	s.n--
	if s.n == 0 {
		return s.db.Close()
	}
	return nil
}

// gpkgLayers lists the feature and attribute tables in gpkg_contents'
// order.
func gpkgLayers(db *sql.DB, name string) ([]gpkgLayer, error) {
	rows, err := db.Query(`SELECT c.table_name, c.data_type, coalesce(g.column_name, ''), coalesce(g.geometry_type_name, ''), coalesce(g.srs_id, c.srs_id, -1)
		FROM gpkg_contents c LEFT JOIN gpkg_geometry_columns g ON g.table_name = c.table_name
		WHERE c.data_type IN ('features', 'attributes') ORDER BY c.rowid`)
	if err != nil {
		return nil, fmt.Errorf("importers: %s: %w: not a GeoPackage (%s)", name, ErrFormat, sqliteMessage(err))
	}
	defer rows.Close()
	var ls []gpkgLayer
	for rows.Next() {
		var l gpkgLayer
		var dataType string
		if err := rows.Scan(&l.table, &dataType, &l.geomCol, &l.geomType, &l.srsID); err != nil {
			return nil, fmt.Errorf("importers: %s: %w: gpkg_contents: %s", name, ErrFormat, sqliteMessage(err))
		}
		if dataType == "attributes" {
			l.geomCol, l.geomType = "", ""
		}
		ls = append(ls, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("importers: %s: %w: gpkg_contents: %s", name, ErrFormat, sqliteMessage(err))
	}
	return ls, nil
}

// sqliteMessage is an SQLite error without the driver's decoration.
func sqliteMessage(err error) string {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Error()
	}
	return err.Error()
}

// quoteIdent quotes an SQLite identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// gpkgColumn is one column of a layer's table.
type gpkgColumn struct {
	name, typ string // typ: a Field type, "" for the geometry, "fid"
}

// geoPackageReader streams one table.
type geoPackageReader struct {
	name   string
	shared *sharedDB
	layer  gpkgLayer
	cols   []gpkgColumn
	fields []Field
	srs    string
	loc    *time.Location
	values bool
	rows   *sql.Rows
	scan   []any
	record int
	naive  int
	err    error
	closed bool
}

func newGeoPackageReader(shared *sharedDB, file string, l gpkgLayer, opts Options) (*geoPackageReader, error) {
	r := &geoPackageReader{name: file + "!" + l.table, shared: shared, layer: l, loc: opts.Location, values: opts.Values}
	if err := r.readColumns(); err != nil {
		shared.release()
		return nil, err
	}
	r.srs = opts.SRS
	if r.srs == "" && l.geomCol != "" {
		srs, err := r.readSRS()
		if err != nil {
			shared.release()
			return nil, err
		}
		r.srs = srs
	}
	return r, nil
}

// readColumns reads the table's columns and their declared types.
func (r *geoPackageReader) readColumns() error {
	rows, err := r.shared.db.Query(`SELECT name, type, pk FROM pragma_table_info(?)`, r.layer.table)
	if err != nil {
		return fmt.Errorf("importers: %s: %w: %s", r.name, ErrFormat, sqliteMessage(err))
	}
	defer rows.Close()
	for rows.Next() {
		var name, decl string
		var pk int
		if err := rows.Scan(&name, &decl, &pk); err != nil {
			return fmt.Errorf("importers: %s: %w: %s", r.name, ErrFormat, sqliteMessage(err))
		}
		c := gpkgColumn{name: name}
		switch {
		case strings.EqualFold(name, r.layer.geomCol):
			c.typ = ""
		case pk == 1 && strings.EqualFold(decl, "INTEGER"):
			c.typ = "fid"
		default:
			c.typ = gpkgFieldType(decl)
			r.fields = append(r.fields, Field{Name: name, Type: c.typ})
		}
		r.cols = append(r.cols, c)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("importers: %s: %w: %s", r.name, ErrFormat, sqliteMessage(err))
	}
	if len(r.cols) == 0 {
		return fmt.Errorf("importers: %s: %w: gpkg_contents lists table %q, which the file does not have", r.name, ErrFormat, r.layer.table)
	}
	return nil
}

// gpkgFieldType maps a declared SQLite column type to a Field type.
func gpkgFieldType(decl string) string {
	d := strings.ToUpper(strings.TrimSpace(decl))
	if i := strings.IndexByte(d, '('); i >= 0 {
		d = strings.TrimSpace(d[:i])
	}
	switch d {
	case "INTEGER", "INT", "MEDIUMINT", "SMALLINT", "TINYINT", "BIGINT":
		return TypeInteger
	case "BOOLEAN":
		return TypeBoolean
	case "REAL", "DOUBLE", "FLOAT", "NUMERIC":
		return TypeNumber
	case "DATE":
		return TypeDate
	case "DATETIME", "TIMESTAMP":
		return TypeDateTime
	}
	return TypeString
}

// readSRS finds the layer's CRS in gpkg_spatial_ref_sys.
func (r *geoPackageReader) readSRS() (string, error) {
	switch r.layer.srsID {
	case 0:
		return "EPSG:4326", nil
	case -1:
		return "", nil
	}
	var org, def sql.NullString
	var code sql.NullInt64
	err := r.shared.db.QueryRow(`SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?`, r.layer.srsID).Scan(&org, &code, &def)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("importers: %s: %w: srs_id %d is not in gpkg_spatial_ref_sys", r.name, ErrFormat, r.layer.srsID)
	}
	if err != nil {
		return "", fmt.Errorf("importers: %s: %w: gpkg_spatial_ref_sys: %s", r.name, ErrFormat, sqliteMessage(err))
	}
	wkt := strings.TrimSpace(def.String)
	if wkt == "undefined" {
		wkt = ""
	}
	if strings.EqualFold(org.String, "EPSG") && code.Valid {
		epsg := "EPSG:" + strconv.FormatInt(code.Int64, 10)
		if _, err := proj.Parse(epsg); err == nil || wkt == "" {
			return epsg, nil
		}
	}
	return wkt, nil
}

func (r *geoPackageReader) Name() string        { return r.name }
func (r *geoPackageReader) Fields() []Field     { return r.fields }
func (r *geoPackageReader) SRS() string         { return r.srs }
func (r *geoPackageReader) NaiveDateTimes() int { return r.naive }

// GeometryType is the layer's declared geometry type in GeoJSON's words.
func (r *geoPackageReader) GeometryType() string {
	if r.layer.geomCol == "" {
		return ""
	}
	switch strings.ToUpper(r.layer.geomType) {
	case "POINT":
		return "Point"
	case "LINESTRING":
		return "LineString"
	case "POLYGON":
		return "Polygon"
	case "MULTIPOINT":
		return "MultiPoint"
	case "MULTILINESTRING":
		return "MultiLineString"
	case "MULTIPOLYGON":
		return "MultiPolygon"
	case "GEOMETRYCOLLECTION":
		return "GeometryCollection"
	}
	return "Geometry"
}

func (r *geoPackageReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	if r.rows != nil {
		r.rows.Close()
	}
	return r.shared.release()
}

func (r *geoPackageReader) fatal(err error) (Feature, error) {
	r.err = err
	if r.rows != nil {
		r.rows.Close()
	}
	return Feature{}, err
}

func (r *geoPackageReader) Next() (Feature, error) {
	if r.err != nil {
		return Feature{}, r.err
	}
	if r.closed {
		return r.fatal(fmt.Errorf("importers: %s: reader closed", r.name))
	}
	if r.rows == nil {
		names := make([]string, len(r.cols))
		for i, c := range r.cols {
			names[i] = quoteIdent(c.name)
			if c.typ == TypeDate || c.typ == TypeDateTime {
				// As the text written: the driver would parse a column
				// declared DATE or DATETIME itself, losing whether it
				// had an offset.
				names[i] = "(" + names[i] + " || '')"
			}
		}
		rows, err := r.shared.db.Query(`SELECT ` + strings.Join(names, ", ") + ` FROM ` + quoteIdent(r.layer.table))
		if err != nil {
			return r.fatal(fmt.Errorf("importers: %s: %w: %s", r.name, ErrFormat, sqliteMessage(err)))
		}
		r.rows = rows
		r.scan = make([]any, len(r.cols))
	}
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return r.fatal(fmt.Errorf("importers: %s: %w: after record %d: %s", r.name, ErrFormat, r.record, sqliteMessage(err)))
		}
		return r.fatal(io.EOF)
	}
	r.record++
	vals := make([]any, len(r.cols))
	for i := range vals {
		r.scan[i] = &vals[i]
	}
	if err := r.rows.Scan(r.scan...); err != nil {
		return r.fatal(fmt.Errorf("importers: %s: %w: record %d: %s", r.name, ErrFormat, r.record, sqliteMessage(err)))
	}
	return r.feature(vals)
}

// feature converts one row's values.
func (r *geoPackageReader) feature(vals []any) (Feature, error) {
	f := Feature{Record: r.record}
	if r.values {
		f.Values = make([]any, 0, len(r.fields))
	} else {
		f.Properties = make(map[string]any, len(r.fields))
	}
	for i, c := range r.cols {
		v := vals[i]
		switch c.typ {
		case "":
			b, ok := v.([]byte)
			if v == nil {
				continue
			}
			if !ok {
				return f, &RecordError{File: r.name, Record: r.record, Err: fmt.Errorf("%w: the geometry column holds %T, not a blob", ErrGeometry, v)}
			}
			if len(b) > maxGeoPackageBlob {
				return f, &RecordError{File: r.name, Record: r.record, Err: fmt.Errorf("%w: geometry of %d bytes, more than %d MB", ErrGeometry, len(b), maxGeoPackageBlob>>20)}
			}
			g, err := decodeGeoPackageGeometry(b)
			if err != nil {
				return f, &RecordError{File: r.name, Record: r.record, Err: err}
			}
			f.Geometry = g
		case "fid":
			if n, ok := v.(int64); ok {
				f.ID = strconv.FormatInt(n, 10)
			}
		default:
			pv, err := r.value(c.typ, v)
			if err != nil {
				return f, &RecordError{File: r.name, Record: r.record, Field: c.name, Err: err}
			}
			if r.values {
				f.Values = append(f.Values, pv)
			} else {
				f.Properties[c.name] = pv
			}
		}
	}
	return f, nil
}

// value converts one SQLite value to its field's type.
func (r *geoPackageReader) value(typ string, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if b, ok := v.([]byte); ok {
		if typ == TypeString {
			return hex.EncodeToString(b), nil
		}
		v = string(b)
	}
	switch typ {
	case TypeString:
		switch v := v.(type) {
		case string:
			return v, nil
		case int64:
			return strconv.FormatInt(v, 10), nil
		case float64:
			return strconv.FormatFloat(v, 'g', -1, 64), nil
		}
	case TypeInteger:
		switch v := v.(type) {
		case int64:
			return v, nil
		case float64:
			if v == float64(int64(v)) {
				return int64(v), nil
			}
		}
	case TypeNumber:
		switch v := v.(type) {
		case int64:
			return float64(v), nil
		case float64:
			return v, nil
		}
	case TypeBoolean:
		if n, ok := v.(int64); ok && (n == 0 || n == 1) {
			return n == 1, nil
		}
	case TypeDate:
		if s, ok := v.(string); ok {
			if t, err := time.Parse(time.DateOnly, strings.TrimSpace(s)); err == nil {
				return t, nil
			}
		}
	case TypeDateTime:
		if s, ok := v.(string); ok {
			if t, naive, ok := ParseDateTime(s, r.loc); ok {
				if naive {
					r.naive++
				}
				return t, nil
			}
		}
	}
	return nil, fmt.Errorf("%w: %s is not %s", ErrValue, describeSQL(v), article(typ))
}

func describeSQL(v any) string {
	if s, ok := v.(string); ok {
		if len(s) > 40 {
			s = s[:40] + "..."
		}
		return strconv.Quote(s)
	}
	return fmt.Sprint(v)
}
