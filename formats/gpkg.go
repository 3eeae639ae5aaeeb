package formats

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkb"
	"github.com/twpayne/go-geom/encoding/wkbcommon"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/cityatlas/cityatlas/geo"
	"github.com/cityatlas/cityatlas/store"
)

// gpkgWriter builds a GeoPackage 1.3 in a temporary file (an SQLite
// database cannot be written front to back) and copies it out on Close.
type gpkgWriter struct {
	out    io.Writer
	dir    string
	path   string
	db     *sql.DB
	tx     *sql.Tx
	ins    *sql.Stmt
	rtree  *sql.Stmt
	fields []store.Field
	args   []any
	blob   bytes.Buffer
	ext    [4]float64
	hasExt bool
	zs     bool
	table  string
	gtype  string // geometry_type_name
	layer  Layer
}

const gpkgWGS84 = `GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]`

// NewGeoPackage returns a writer of a GeoPackage with one feature table
// named after the layer (fid = the feature id, geom, one typed column a
// property) and its R-tree spatial index. The file is built in
// Layer.TempDir and copied to w by Close.
func NewGeoPackage(w io.Writer, l Layer) (Writer, error) {
	dir, err := os.MkdirTemp(l.TempDir, "cityatlas-gpkg-")
	if err != nil {
		return nil, errorf("gpkg", "%w", err)
	}
	gw := &gpkgWriter{out: w, dir: dir, path: filepath.Join(dir, "out.gpkg"), fields: l.Fields, table: l.Name, layer: l}
	if err := gw.init(l); err != nil {
		gw.Abort()
		return nil, errorf("gpkg", "%w", err)
	}
	return gw, nil
}

func sqlQuote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func (gw *gpkgWriter) init(l Layer) error {
	db, err := sql.Open("sqlite", gw.path+"?_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)&_pragma=cache_size(-16384)&_pragma=application_id(1196444487)&_pragma=user_version(10300)")
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(1)
	gw.db = db
	ctx := context.Background()
	t := sqlQuote(gw.table)
	gw.gtype = strings.ToUpper(string(l.Geometry))
	cols := "fid INTEGER PRIMARY KEY NOT NULL, geom " + gw.gtype
	marks := "?, ?"
	for _, f := range l.Fields {
		cols += ", " + sqlQuote(f.Name) + " " + gpkgType(f.Type)
		marks += ", ?"
	}
	rtree := sqlQuote("rtree_" + gw.table + "_geom")
	stmts := []string{
		`CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY, organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT)`,
		`INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
			('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
			('WGS 84 geodetic', 4326, 'EPSG', 4326, '` + gpkgWGS84 + `', 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid')`,
		`CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE, description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER, CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))`,
		`CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL, CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name), CONSTRAINT uk_gc_table_name UNIQUE (table_name), CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name), CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))`,
		`CREATE TABLE gpkg_extensions (table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))`,
		`CREATE TABLE ` + t + ` (` + cols + `)`,
		`CREATE VIRTUAL TABLE ` + rtree + ` USING rtree(id, minx, maxx, miny, maxy)`,
		`INSERT INTO gpkg_extensions VALUES ('` + strings.ReplaceAll(gw.table, "'", "''") + `', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')`,
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%.40s...: %w", s, err)
		}
	}
	if gw.tx, err = db.BeginTx(ctx, nil); err != nil {
		return err
	}
	if gw.ins, err = gw.tx.PrepareContext(ctx, "INSERT INTO "+t+" VALUES ("+marks+")"); err != nil {
		return err
	}
	if gw.rtree, err = gw.tx.PrepareContext(ctx, "INSERT INTO "+rtree+" VALUES (?, ?, ?, ?, ?)"); err != nil {
		return err
	}
	gw.args = make([]any, 2+len(l.Fields))
	return nil
}

func gpkgType(t store.FieldType) string {
	switch t {
	case store.TypeInteger:
		return "INTEGER"
	case store.TypeNumber:
		return "REAL"
	case store.TypeBoolean:
		return "BOOLEAN"
	case store.TypeDate:
		return "DATE"
	case store.TypeDateTime:
		return "DATETIME"
	}
	return "TEXT"
}

func (gw *gpkgWriter) Write(f *Feature) error {
	gw.args[0] = f.ID
	gw.args[1] = nil
	if f.Geometry != nil {
		b, env, err := gw.encode(f.Geometry)
		if err != nil {
			return errorf("gpkg", "feature %d: %w", f.ID, err)
		}
		gw.args[1] = b
		if env != nil {
			if _, err := gw.rtree.Exec(f.ID, env[0], env[2], env[1], env[3]); err != nil {
				return errorf("gpkg", "feature %d: %w", f.ID, err)
			}
		}
	}
	for i, v := range f.Values {
		gw.args[2+i] = sqlValue(gw.fields[i].Type, v)
	}
	if _, err := gw.ins.Exec(gw.args...); err != nil {
		return errorf("gpkg", "feature %d: %w", f.ID, err)
	}
	return nil
}

// sqlValue converts a property's JSON text to its GeoPackage column value.
func sqlValue(t store.FieldType, v string) any {
	if v == "" || v == "null" {
		return nil
	}
	switch t {
	case store.TypeInteger:
		if n, ok := integer(v); ok {
			return n
		}
	case store.TypeNumber:
		if x, ok := number(v); ok {
			return x
		}
	case store.TypeBoolean:
		return v == "true"
	case store.TypeDateTime:
		s := text(v)
		if tm, err := time.Parse(time.RFC3339Nano, s); err == nil && tm.Equal(tm.Truncate(time.Millisecond)) {
			return tm.UTC().Format("2006-01-02T15:04:05.000Z")
		}
		return s
	}
	return text(v)
}

var gpkgEmptyPoint = wkbcommon.WKBOptionEmptyPointHandling(wkbcommon.EmptyPointHandlingNaN)

// encode returns g as GeoPackage binary (header with envelope, then ISO
// WKB) and its 2D envelope [minx, miny, maxx, maxy] (nil when empty). The
// slice is reused by the next call.
func (gw *gpkgWriter) encode(g geom.T) ([]byte, *[4]float64, error) {
	buf := &gw.blob
	buf.Reset()
	empty := g.Empty()
	ind := 0
	if !empty {
		d, ok := geo.Dims(g.Layout())
		if !ok {
			return nil, nil, fmt.Errorf("unsupported layout %v", g.Layout())
		}
		ind = d + 1
	}
	flags := byte(0x01 | ind<<1)
	if empty {
		flags |= 0x10
	}
	var b [8]byte
	buf.Write([]byte{'G', 'P', 0, flags})
	binary.LittleEndian.PutUint32(b[:4], 4326)
	buf.Write(b[:4])
	var env *[4]float64
	if ind > 0 {
		bounds := g.Bounds()
		for i := 0; i < bounds.Layout().Stride(); i++ {
			binary.LittleEndian.PutUint64(b[:], math.Float64bits(bounds.Min(i)))
			buf.Write(b[:])
			binary.LittleEndian.PutUint64(b[:], math.Float64bits(bounds.Max(i)))
			buf.Write(b[:])
		}
		e := [4]float64{bounds.Min(0), bounds.Min(1), bounds.Max(0), bounds.Max(1)}
		env = &e
		gw.note(e, g.Layout())
	}
	if err := wkb.Write(buf, wkb.NDR, g, gpkgEmptyPoint); err != nil {
		return nil, nil, err
	}
	return buf.Bytes(), env, nil
}

func (gw *gpkgWriter) note(e [4]float64, layout geom.Layout) {
	if layout == geom.XYZ || layout == geom.XYZM {
		gw.zs = true
	}
	if !gw.hasExt {
		gw.ext, gw.hasExt = e, true
		return
	}
	gw.ext = [4]float64{min(gw.ext[0], e[0]), min(gw.ext[1], e[1]), max(gw.ext[2], e[2]), max(gw.ext[3], e[3])}
}

func (gw *gpkgWriter) Close() error {
	defer gw.Abort()
	if err := gw.finish(); err != nil {
		return errorf("gpkg", "%w", err)
	}
	f, err := os.Open(gw.path)
	if err != nil {
		return errorf("gpkg", "%w", err)
	}
	defer f.Close()
	if _, err := io.Copy(gw.out, f); err != nil {
		return errorf("gpkg", "%w", err)
	}
	return nil
}

func (gw *gpkgWriter) finish() error {
	z := 0
	if gw.zs {
		z = 1
	}
	var ext [4]any
	if gw.hasExt {
		ext = [4]any{gw.ext[0], gw.ext[1], gw.ext[2], gw.ext[3]}
	}
	name := gw.table
	l := &gw.layer
	ident := cmp.Or(l.Title, name)
	changed := time.Now().UTC()
	if u, err := time.Parse(time.RFC3339, l.MetaValue(MetaUpdated)); err == nil {
		changed = u
	}
	if _, err := gw.tx.Exec(`INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, min_x, min_y, max_x, max_y, srs_id) VALUES (?, 'features', ?, ?, ?, ?, ?, ?, ?, 4326)`,
		name, ident, l.Description, changed.Format("2006-01-02T15:04:05.000Z"), ext[0], ext[1], ext[2], ext[3]); err != nil {
		return err
	}
	if err := gw.writeMetadata(); err != nil {
		return err
	}
	if _, err := gw.tx.Exec(`INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', ?, 4326, ?, 0)`, name, gw.gtype, z); err != nil {
		return err
	}
	gw.ins.Close()
	gw.rtree.Close()
	if err := gw.tx.Commit(); err != nil {
		return err
	}
	gw.tx = nil
	err := gw.db.Close()
	gw.db = nil
	return err
}

func (gw *gpkgWriter) Abort() {
	if gw.tx != nil {
		_ = gw.tx.Rollback()
		gw.tx = nil
	}
	if gw.db != nil {
		_ = gw.db.Close()
		gw.db = nil
	}
	if gw.dir != "" {
		_ = os.RemoveAll(gw.dir)
		gw.dir = ""
	}
}
