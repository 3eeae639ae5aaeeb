package gpkg

import (
	"strings"

	"github.com/cityatlas/cityatlas/store"
)

// The GeoPackage 1.3 core tables, the WGS 84 and the two undefined spatial
// reference systems the spec requires, and cityatlas's own tables.
const (
	applicationID = 0x47504B47 // "GPKG"
	userVersion   = 10300      // GeoPackage 1.3.0

	wgs84WKT = `GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]`

	rtreeExtension  = "gpkg_rtree_index"
	rtreeDefinition = "http://www.geopackage.org/spec120/#extension_rtree"
)

var schemaSQL = []string{
	`CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
		srs_name TEXT NOT NULL,
		srs_id INTEGER NOT NULL PRIMARY KEY,
		organization TEXT NOT NULL,
		organization_coordsys_id INTEGER NOT NULL,
		definition TEXT NOT NULL,
		description TEXT)`,
	`INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES
		('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
		('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
		('WGS 84 geodetic', 4326, 'EPSG', 4326, '` + wgs84WKT + `', 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid')`,
	`CREATE TABLE IF NOT EXISTS gpkg_contents (
		table_name TEXT NOT NULL PRIMARY KEY,
		data_type TEXT NOT NULL,
		identifier TEXT UNIQUE,
		description TEXT DEFAULT '',
		last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
		min_x DOUBLE,
		min_y DOUBLE,
		max_x DOUBLE,
		max_y DOUBLE,
		srs_id INTEGER,
		CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))`,
	`CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
		table_name TEXT NOT NULL,
		column_name TEXT NOT NULL,
		geometry_type_name TEXT NOT NULL,
		srs_id INTEGER NOT NULL,
		z TINYINT NOT NULL,
		m TINYINT NOT NULL,
		CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
		CONSTRAINT uk_gc_table_name UNIQUE (table_name),
		CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
		CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))`,
	`CREATE TABLE IF NOT EXISTS gpkg_extensions (
		table_name TEXT,
		column_name TEXT,
		extension_name TEXT NOT NULL,
		definition TEXT NOT NULL,
		scope TEXT NOT NULL,
		CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))`,
	`CREATE TABLE IF NOT EXISTS cityatlas_collections (
		id TEXT NOT NULL PRIMARY KEY,
		meta TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS cityatlas_sequence (
		name TEXT NOT NULL PRIMARY KEY,
		value INTEGER NOT NULL)`,
	`INSERT OR IGNORE INTO cityatlas_sequence (name, value) VALUES ('feature', 0)`,
	// A random number the file keeps for life: with its path, its
	// Identity (an index snapshot of another file is never used).
	`INSERT OR IGNORE INTO cityatlas_sequence (name, value) VALUES ('identity', random())`,
	`CREATE TABLE IF NOT EXISTS cityatlas_changes (
		seq INTEGER PRIMARY KEY AUTOINCREMENT,
		collection TEXT NOT NULL,
		feature_id INTEGER NOT NULL,
		op TEXT NOT NULL,
		version INTEGER NOT NULL,
		actor TEXT NOT NULL,
		time DATETIME NOT NULL)`,
	// Every version of a feature that was replaced or deleted: with the
	// live row, the feature's history. Internal, like the keys: not in
	// gpkg_contents, so GDAL and QGIS do not list them.
	`CREATE TABLE IF NOT EXISTS cityatlas_versions (
		feature_id INTEGER NOT NULL,
		version INTEGER NOT NULL,
		collection TEXT NOT NULL,
		external_id TEXT,
		geom BLOB,
		properties TEXT NOT NULL,
		updated DATETIME NOT NULL,
		PRIMARY KEY (feature_id, version))`,
	`CREATE INDEX IF NOT EXISTS cityatlas_changes_feature ON cityatlas_changes (feature_id, seq)`,
	`CREATE INDEX IF NOT EXISTS cityatlas_changes_collection ON cityatlas_changes (collection, seq)`,
	// API keys: the public id and an HMAC-SHA256 of the secret under a
	// per-key salt (package auth), never the secret.
	`CREATE TABLE IF NOT EXISTS cityatlas_keys (
		id TEXT NOT NULL PRIMARY KEY,
		name TEXT NOT NULL UNIQUE,
		role TEXT NOT NULL,
		collections TEXT NOT NULL,
		salt BLOB NOT NULL,
		hash BLOB NOT NULL,
		created DATETIME NOT NULL,
		expires DATETIME,
		revoked DATETIME)`,
	// The cityatlas tables are internal: they stay out of gpkg_contents, so
	// that GDAL and QGIS list only the collections as layers. GDAL lists the
	// tables gpkg_contents lacks too, unless the file registers an attributes
	// table or GDAL's aspatial extension, which this row does (it declares
	// no table of its own). Files written before kept the change log in
	// gpkg_contents as attributes: it is taken out.
	`DELETE FROM gpkg_contents WHERE table_name IN ('cityatlas_changes', 'cityatlas_collections', 'cityatlas_sequence')`,
	`INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
		SELECT NULL, NULL, 'gdal_aspatial', 'http://gdal.org/geopackage_aspatial.html', 'read-write'
		WHERE NOT EXISTS (SELECT 1 FROM gpkg_extensions WHERE table_name IS NULL AND extension_name = 'gdal_aspatial')`,
	// Each collection's layer has the collection's geometry type. Files
	// written before registered GEOMETRY once a layer held a Multi form of
	// its type (QGIS and ogrinfo then said "Unknown (any)"): registered
	// again here. A Polygon layer keeps its MultiPolygons, which GDAL reads
	// as they are.
	`UPDATE gpkg_geometry_columns SET geometry_type_name =
		(SELECT upper(json_extract(c.meta, '$.collection.geometryType')) FROM cityatlas_collections c WHERE c.id = gpkg_geometry_columns.table_name)
		WHERE table_name IN (SELECT id FROM cityatlas_collections)
		AND geometry_type_name IS NOT (SELECT upper(json_extract(c.meta, '$.collection.geometryType')) FROM cityatlas_collections c WHERE c.id = gpkg_geometry_columns.table_name)`,
}

// reservedPrefixes are table name prefixes that GeoPackage, SQLite and this
// package keep for themselves; a collection id may not start with them.
var reservedPrefixes = []string{"gpkg_", "gpkgext_", "sqlite_", "rtree_", "cityatlas_"}

// sqlType maps a field type to the GeoPackage column type.
func sqlType(t store.FieldType) string {
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

// gpkgGeometryName is the geometry_type_name for a collection's geometry.
func gpkgGeometryName(t store.GeometryType) string {
	return strings.ToUpper(string(t))
}

// quote returns s as an SQLite identifier.
func quote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

func rtreeName(table string) string { return "rtree_" + table + "_geom" }

// tableSQL returns the CREATE TABLE statement of a feature table called
// name for collection m, with a geometry column of SQL type geomType.
func tableSQL(m *meta, name, geomType string) string {
	var b strings.Builder
	b.WriteString("CREATE TABLE " + quote(name) + " (\n\tfid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,\n\tgeom " + geomType)
	for i, f := range m.Collection.Fields {
		b.WriteString(",\n\t" + quote(m.Columns[i]) + " " + sqlType(f.Type))
	}
	b.WriteString(",\n\texternal_id TEXT UNIQUE,\n\tversion INTEGER NOT NULL,\n\tcreated DATETIME NOT NULL,\n\tupdated DATETIME NOT NULL)")
	return b.String()
}

// rtreeSQL returns the statements that create the R-tree index of a feature
// table and the triggers of the GeoPackage RTree Spatial Indexes extension
// (GeoPackage 1.3, F.3) that keep it in step.
func rtreeSQL(id string) []string {
	r := quote(rtreeName(id))
	return append([]string{"CREATE VIRTUAL TABLE " + r + " USING rtree(id, minx, maxx, miny, maxy)"}, triggerSQL(id)...)
}

func triggerSQL(id string) []string {
	t, r := quote(id), quote(rtreeName(id))
	trig := func(suffix string) string { return quote(rtreeName(id) + "_" + suffix) }
	vals := "(NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom))"
	return []string{
		"CREATE TRIGGER " + trig("insert") + " AFTER INSERT ON " + t +
			" WHEN (NEW.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN INSERT OR REPLACE INTO " + r + " VALUES " + vals + "; END",
		"CREATE TRIGGER " + trig("update1") + " AFTER UPDATE OF geom ON " + t +
			" WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN INSERT OR REPLACE INTO " + r + " VALUES " + vals + "; END",
		"CREATE TRIGGER " + trig("update2") + " AFTER UPDATE OF geom ON " + t +
			" WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom)) BEGIN DELETE FROM " + r + " WHERE id = OLD.fid; END",
		"CREATE TRIGGER " + trig("update3") + " AFTER UPDATE ON " + t +
			" WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN DELETE FROM " + r + " WHERE id = OLD.fid; INSERT OR REPLACE INTO " + r + " VALUES " + vals + "; END",
		"CREATE TRIGGER " + trig("update4") + " AFTER UPDATE ON " + t +
			" WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom)) BEGIN DELETE FROM " + r + " WHERE id IN (OLD.fid, NEW.fid); END",
		"CREATE TRIGGER " + trig("delete") + " AFTER DELETE ON " + t +
			" WHEN OLD.geom NOT NULL BEGIN DELETE FROM " + r + " WHERE id = OLD.fid; END",
	}
}
