-- The database refuses geometries that cityatlas cannot hold, whoever
-- writes them (QGIS, psql, another tool), with the same bounds as the
-- service (geo.CheckStorable): one of the six simple types or a
-- GeometryCollection of them (never a collection inside a collection, nor
-- curves, triangles or surfaces), at most 1,000,000 positions, and every
-- coordinate a finite number.
--
-- The constraint is NOT VALID: rows already stored are not checked (one
-- bad row must not stop the migration, and so every start-up); the
-- service quarantines those when it reads them, and serves the rest.
-- Every new or updated row is checked. A point, nearly every row of an
-- asset layer, is checked without leaving SQL (about 0.2 µs in a COPY).
-- Other geometries are checked through their WKT, which shows NaN and
-- infinities by name (type names are upper case): a few µs a row.

CREATE FUNCTION cityatlas_collection_storable(g geometry) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT NOT EXISTS (
        SELECT 1 FROM generate_series(1, ST_NumGeometries(g)) i
        WHERE ST_GeometryType(ST_GeometryN(g, i)) NOT IN
            ('ST_Point', 'ST_LineString', 'ST_Polygon', 'ST_MultiPoint', 'ST_MultiLineString', 'ST_MultiPolygon'))
$$;

CREATE FUNCTION cityatlas_geometry_storable(g geometry) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN g IS NULL THEN true
        WHEN ST_GeometryType(g) = 'ST_Point' THEN ST_IsEmpty(g) OR (
            ST_X(g) > '-Infinity' AND ST_X(g) < 'Infinity' -- NaN is above Infinity
            AND ST_Y(g) > '-Infinity' AND ST_Y(g) < 'Infinity'
            AND coalesce(ST_Z(g) > '-Infinity' AND ST_Z(g) < 'Infinity', true)
            AND coalesce(ST_M(g) > '-Infinity' AND ST_M(g) < 'Infinity', true))
        WHEN ST_GeometryType(g) IN ('ST_LineString', 'ST_Polygon', 'ST_MultiPoint', 'ST_MultiLineString', 'ST_MultiPolygon', 'ST_GeometryCollection') THEN
            ST_NPoints(g) <= 1000000
            AND ST_AsText(g) !~ '(NaN|Inf)'
            AND (ST_GeometryType(g) <> 'ST_GeometryCollection' OR cityatlas_collection_storable(g))
        ELSE false
    END
$$;

ALTER TABLE features ADD CONSTRAINT features_geom_storable
    CHECK (cityatlas_geometry_storable(geom)) NOT VALID;
COMMENT ON CONSTRAINT features_geom_storable ON features IS
    'cityatlas cannot hold this geometry: it must be a Point, LineString, Polygon, their Multi forms or a GeometryCollection of them (not of collections), of at most 1000000 positions, with finite coordinates';

-- A bulk load's table, made LIKE features without its constraints, takes
-- the constraint before it is attached (ATTACH PARTITION wants it), NOT
-- VALID: cityatlas checked every geometry it copied in.
CREATE OR REPLACE FUNCTION cityatlas_attach_feature_table(coll text, stage text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    tbl text := cityatlas_feature_table(coll);
BEGIN
    EXECUTE format('DROP TABLE IF EXISTS %I', tbl);
    EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I PRIMARY KEY USING INDEX %I',
        stage, cityatlas_index_name(tbl, 'pkey'), stage || '_pkey');
    EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I UNIQUE USING INDEX %I',
        stage, cityatlas_index_name(tbl, 'external_id_key'), stage || '_ext');
    EXECUTE format('ALTER INDEX %I RENAME TO %I', stage || '_geom', cityatlas_index_name(tbl, 'geom_idx'));
    EXECUTE format('ALTER TABLE %I ADD CONSTRAINT features_geom_storable CHECK (cityatlas_geometry_storable(geom)) NOT VALID', stage);
    EXECUTE format('ALTER TABLE features ATTACH PARTITION %I FOR VALUES IN (%L)', stage, coll);
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', stage, stage || '_coll');
    EXECUTE format('ALTER TABLE %I RENAME TO %I', stage, tbl);
END
$$;
