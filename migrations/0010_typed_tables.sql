-- Each collection's features in an ordinary table of their own whose
-- columns are the layer's fields with PostgreSQL types, instead of one
-- partition of features with a jsonb properties column: QGIS, GDAL and SQL
-- see a typed attribute table, a write made there is refused when it breaks
-- the layer's schema, and rows are half as wide.
--
-- A feature table, features_ID (cityatlas_feature_table), has the columns
--   id bigint (features_id_seq, unique across collections), external_id,
--   one column a field in the schema's order, version, created, updated,
--   geom geometry (SRID 4326)
-- Field types map to text, bigint, double precision, boolean, date,
-- timestamptz, and jsonb for arrays (cityatlas_column_type). CHECK
-- constraints refuse what the service could not hold: a value outside a
-- string field's enumeration, NaN or an infinity, an array field that is
-- not an array, a date out of the years 1-9999, a geometry the service
-- cannot hold (migration 0005) or of another type than the layer's (a
-- single type admits its Multi form, as in the service), or an SRID other
-- than 4326. The geometry column has no typmod: a layer holds 2D and 3D
-- geometries (Z kept) and a single type's Multi form, which a typmod such
-- as geometry(Point, 4326) would refuse.
--
-- Triggers (cityatlas_feature_triggers) capture writes by other clients than
-- cityatlas, with the collection's id as their argument, as migration 0007's
-- did on the partitioned table. The history (feature_versions) keeps each
-- version's properties as a jsonb object.
--
-- The constraints are NOT VALID, as migration 0005's was: rows already
-- stored are not checked, and the service quarantines what it cannot hold.
-- Rows that the typed columns cannot take at all (a value that is not of
-- its field's type, a property outside the schema: written past the
-- service by other clients) are not lost: they go to rejected_features,
-- whole, with the reason, and leave the layer.

CREATE FUNCTION cityatlas_column_type(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE t WHEN 'integer' THEN 'bigint' WHEN 'number' THEN 'double precision'
        WHEN 'boolean' THEN 'boolean' WHEN 'date' THEN 'date' WHEN 'datetime' THEN 'timestamptz'
        WHEN 'array' THEN 'jsonb' ELSE 'text' END
$$;

-- cityatlas_field_check is the CHECK condition of a field's column (an
-- element of collections.fields), NULL for none.
CREATE FUNCTION cityatlas_field_check(f jsonb) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE
        WHEN f->>'type' = 'number' THEN
            format('%I <> ALL (''{NaN,Infinity,-Infinity}''::float8[])', f->>'name')
        WHEN f->>'type' = 'array' THEN
            format('jsonb_typeof(%I) = ''array''', f->>'name')
        WHEN f->>'type' = 'date' THEN
            format('%I BETWEEN ''0001-01-01'' AND ''9999-12-31''', f->>'name')
        WHEN f->>'type' = 'datetime' THEN
            format('%I >= ''0001-01-01 00:00:00+00'' AND %I < ''10000-01-01 00:00:00+00''', f->>'name', f->>'name')
        WHEN coalesce(f->>'type', 'string') = 'string' AND jsonb_typeof(f->'values') = 'array'
            AND jsonb_array_length(f->'values') > 0 THEN
            format('%I = ANY (%L::text[])', f->>'name',
                (SELECT array_agg(v) FROM jsonb_array_elements_text(f->'values') v))
    END
$$;

-- cityatlas_field_check_name names a field's CHECK constraint.
CREATE FUNCTION cityatlas_field_check_name(name text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN length(name) <= 57 THEN name ELSE left(name, 48) || '_' || left(md5(name), 8) END || '_check'
$$;

-- cityatlas_add_field_check gives table tbl the CHECK of field f (NOT
-- VALID: the rows there are not checked; every new or updated one is).
CREATE FUNCTION cityatlas_add_field_check(tbl text, f jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    chk text := cityatlas_field_check(f);
BEGIN
    IF chk IS NOT NULL THEN
        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (%s) NOT VALID',
            tbl, cityatlas_field_check_name(f->>'name'), chk);
    END IF;
END
$$;

-- cityatlas_geometry_check is the CHECK of a layer's geometry type (NULL
-- for a layer of any geometry).
CREATE FUNCTION cityatlas_geometry_check(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN t IN ('Point', 'MultiPoint') THEN 'GeometryType(geom) IN (''POINT'', ''MULTIPOINT'')'
        WHEN t IN ('LineString', 'MultiLineString') THEN 'GeometryType(geom) IN (''LINESTRING'', ''MULTILINESTRING'')'
        WHEN t IN ('Polygon', 'MultiPolygon') THEN 'GeometryType(geom) IN (''POLYGON'', ''MULTIPOLYGON'')'
        WHEN t = 'GeometryCollection' THEN 'GeometryType(geom) = ''GEOMETRYCOLLECTION'''
    END
$$;

-- cityatlas_create_feature_table makes table tbl for a layer of these
-- fields and geometry type, without keys, indexes, triggers or constraints
-- but features_geom_srid. That one is valid, not NOT VALID: PostGIS's
-- geometry_columns reads the SRID of a column without one in its type from
-- it (GDAL and QGIS take it from there), and fails on the words NOT VALID
-- after it. In a bulk load's COPY it costs well under a microsecond a row;
-- added to a loaded table, it would scan it.
CREATE FUNCTION cityatlas_create_feature_table(tbl text, fields jsonb, geometry_type text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    cols text := '';
    f jsonb;
BEGIN
    FOR f IN SELECT value FROM jsonb_array_elements(fields) LOOP
        cols := cols || format(', %I %s', f->>'name', cityatlas_column_type(f->>'type'));
    END LOOP;
    EXECUTE format('CREATE TABLE %I (id bigint NOT NULL DEFAULT nextval(''features_id_seq''), '
        'external_id text COLLATE "C"%s, version bigint NOT NULL DEFAULT 1, '
        'created timestamptz NOT NULL DEFAULT now(), updated timestamptz NOT NULL DEFAULT now(), '
        'geom geometry CONSTRAINT features_geom_srid CHECK (ST_SRID(geom) = 4326))', tbl, cols);
END
$$;

-- cityatlas_check_feature_table gives table tbl the other CHECK constraints
-- of its layer, NOT VALID: the rows there are not checked (one bad row must
-- not stop a migration; the service quarantines those it cannot hold when
-- it reads them), every new or updated one is.
CREATE FUNCTION cityatlas_check_feature_table(tbl text, fields jsonb, geometry_type text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    f jsonb;
    chk text := cityatlas_geometry_check(geometry_type);
BEGIN
    EXECUTE format('ALTER TABLE %I ADD CONSTRAINT features_geom_storable CHECK (cityatlas_geometry_storable(geom)) NOT VALID', tbl);
    EXECUTE format('COMMENT ON CONSTRAINT features_geom_storable ON %I IS %L', tbl,
        'cityatlas cannot hold this geometry: it must be a Point, LineString, Polygon, their Multi forms or a GeometryCollection of them (not of collections), of at most 1000000 positions, with finite coordinates');
    IF chk IS NOT NULL THEN
        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT features_geom_type CHECK (%s) NOT VALID', tbl, chk);
    END IF;
    FOR f IN SELECT value FROM jsonb_array_elements(fields) LOOP
        PERFORM cityatlas_add_field_check(tbl, f);
    END LOOP;
END
$$;

-- cityatlas_properties is the properties object of a feature row given as
-- jsonb (to_jsonb of the row): its field columns that are not NULL.
CREATE FUNCTION cityatlas_properties(r jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT jsonb_strip_nulls(r - '{id,external_id,geom,version,created,updated}'::text[])
$$;

-- The triggers for other clients than cityatlas, on each feature table;
-- their argument is the collection's id. The geometry column has no SRID
-- in its type (see above), so a client may write one without an SRID (GDAL
-- does) or in another CRS: the first is taken to be in EPSG:4326, the
-- second is transformed to it.
CREATE OR REPLACE FUNCTION cityatlas_direct_stamp() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.version := 1;
        NEW.created := now();
    ELSE
        NEW.version := OLD.version + 1;
        NEW.created := OLD.created;
    END IF;
    NEW.updated := now();
    IF NEW.geom IS NOT NULL AND ST_SRID(NEW.geom) = 0 THEN
        NEW.geom := ST_SetSRID(NEW.geom, 4326);
    ELSIF NEW.geom IS NOT NULL AND ST_SRID(NEW.geom) <> 4326 THEN
        NEW.geom := ST_Transform(NEW.geom, 4326);
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION cityatlas_keep_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO feature_versions (collection, feature_id, version, external_id, geom, properties, updated)
    VALUES (TG_ARGV[0], OLD.id, OLD.version, OLD.external_id, OLD.geom, cityatlas_properties(to_jsonb(OLD)), OLD.updated)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION cityatlas_direct_log() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    fid bigint;
    fversion bigint;
    s bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(202876838, hashtext(coalesce(current_schema(), '')));
    IF TG_OP = 'DELETE' THEN
        fid := OLD.id;
        fversion := OLD.version;
    ELSE
        fid := NEW.id;
        fversion := NEW.version;
    END IF;
    INSERT INTO changes (collection, feature_id, op, version, actor, time)
    VALUES (TG_ARGV[0], fid, lower(TG_OP), fversion, session_user, now())
    RETURNING seq INTO s;
    PERFORM pg_notify('cityatlas_changes', s::text);
    RETURN NULL;
END
$$;

CREATE FUNCTION cityatlas_feature_triggers(tbl text, coll text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    other text := '(coalesce(current_setting(''cityatlas.writer'', true), '''') = '''')';
BEGIN
    EXECUTE format('DROP TRIGGER IF EXISTS cityatlas_stamp ON %I', tbl);
    EXECUTE format('DROP TRIGGER IF EXISTS cityatlas_log ON %I', tbl);
    EXECUTE format('DROP TRIGGER IF EXISTS cityatlas_keep_version ON %I', tbl);
    EXECUTE format('CREATE TRIGGER cityatlas_stamp BEFORE INSERT OR UPDATE ON %I FOR EACH ROW WHEN %s '
        'EXECUTE FUNCTION cityatlas_direct_stamp()', tbl, other);
    EXECUTE format('CREATE TRIGGER cityatlas_log AFTER INSERT OR UPDATE OR DELETE ON %I FOR EACH ROW WHEN %s '
        'EXECUTE FUNCTION cityatlas_direct_log(%L)', tbl, other, coll);
    EXECUTE format('CREATE TRIGGER cityatlas_keep_version AFTER UPDATE OR DELETE ON %I FOR EACH ROW WHEN %s '
        'EXECUTE FUNCTION cityatlas_keep_version(%L)', tbl, other, coll);
END
$$;

-- cityatlas_describe_feature_table writes the comments of collection
-- coll's table tbl: the layer's title and description, each field's.
CREATE FUNCTION cityatlas_describe_feature_table(tbl text, coll text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    c record;
    f jsonb;
BEGIN
    SELECT * INTO c FROM collections WHERE id = coll;
    EXECUTE format('COMMENT ON TABLE %I IS %L', tbl,
        concat_ws(': ', 'cityatlas layer ' || coll, nullif(concat_ws(' - ', nullif(c.title, ''), nullif(c.description, '')), '')));
    FOR f IN SELECT value FROM jsonb_array_elements(c.fields) LOOP
        EXECUTE format('COMMENT ON COLUMN %I.%I IS %L', tbl, f->>'name',
            concat_ws(': ', (f->>'type') || ' field ' || (f->>'name'),
                nullif(concat_ws(' - ', nullif(f->>'title', ''), nullif(f->>'description', '')), '')));
    END LOOP;
END
$$;

-- cityatlas_add_feature_table makes the table of a new collection (its row
-- in collections written already): columns, keys, spatial index, comments,
-- triggers.
CREATE OR REPLACE FUNCTION cityatlas_add_feature_table(coll text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    tbl text := cityatlas_feature_table(coll);
    c record;
BEGIN
    SELECT * INTO c FROM collections WHERE id = coll;
    PERFORM cityatlas_create_feature_table(tbl, c.fields, c.geometry_type);
    PERFORM cityatlas_check_feature_table(tbl, c.fields, c.geometry_type);
    PERFORM cityatlas_index_features(tbl);
    PERFORM cityatlas_describe_feature_table(tbl, coll);
    PERFORM cityatlas_feature_triggers(tbl, coll);
END
$$;

-- cityatlas_attach_feature_table makes a loaded table the table of
-- collection coll in place of the (empty) one it has. The table, made by
-- cityatlas_create_feature_table, has three indexes built: unique
-- STAGE_pkey on id, unique STAGE_ext on external_id, gist STAGE_geom. It
-- takes the layer's constraints NOT VALID: cityatlas checked every row it
-- copied in.
CREATE OR REPLACE FUNCTION cityatlas_attach_feature_table(coll text, stage text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    tbl text := cityatlas_feature_table(coll);
    c record;
BEGIN
    SELECT * INTO c FROM collections WHERE id = coll;
    PERFORM cityatlas_check_feature_table(stage, c.fields, c.geometry_type);
    EXECUTE format('DROP TABLE IF EXISTS %I', tbl);
    EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I PRIMARY KEY USING INDEX %I',
        stage, cityatlas_index_name(tbl, 'pkey'), stage || '_pkey');
    EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I UNIQUE USING INDEX %I',
        stage, cityatlas_index_name(tbl, 'external_id_key'), stage || '_ext');
    EXECUTE format('ALTER INDEX %I RENAME TO %I', stage || '_geom', cityatlas_index_name(tbl, 'geom_idx'));
    EXECUTE format('ALTER TABLE %I RENAME TO %I', stage, tbl);
    PERFORM cityatlas_describe_feature_table(tbl, coll);
    PERFORM cityatlas_feature_triggers(tbl, coll);
END
$$;

-- A layer's schema changes: a field added (f, an element of
-- collections.fields) or dropped, in the transaction of the write that
-- needs it (cityatlas_describe_feature_table then writes the comments).
CREATE FUNCTION cityatlas_add_field(coll text, f jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('ALTER TABLE %I ADD COLUMN %I %s', cityatlas_feature_table(coll), f->>'name', cityatlas_column_type(f->>'type'));
    PERFORM cityatlas_add_field_check(cityatlas_feature_table(coll), f);
END
$$;

CREATE FUNCTION cityatlas_drop_field(coll text, name text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('ALTER TABLE %I DROP COLUMN %I', cityatlas_feature_table(coll), name);
END
$$;

-- What the typed tables could not take.
CREATE TABLE rejected_features (
    collection  text COLLATE "C" NOT NULL,
    id          bigint NOT NULL,
    external_id text COLLATE "C",
    geom        geometry,
    properties  jsonb NOT NULL,
    version     bigint NOT NULL,
    created     timestamptz NOT NULL,
    updated     timestamptz NOT NULL,
    reason      text NOT NULL,
    rejected    timestamptz NOT NULL DEFAULT now()
);

-- The move: each partition's rows into a new typed table, the partition
-- dropped, the new table renamed to its name and indexed.
ALTER SEQUENCE features_id_seq OWNED BY NONE;

DO $$
DECLARE
    c record;
    o record;
    tbl text;
    tmp text;
    names text[];
    cols text;
    sel text;
    ins text;
BEGIN
    FOR c IN SELECT id, fields, geometry_type FROM collections ORDER BY id LOOP
        tbl := cityatlas_feature_table(c.id);
        tmp := 'ca_typed_' || md5(c.id);
        PERFORM cityatlas_create_feature_table(tmp, c.fields, c.geometry_type);
        SELECT coalesce(array_agg(f->>'name'), '{}'),
               coalesce(string_agg(format(', %I', f->>'name'), ''), ''),
               coalesce(string_agg(format(', r.%I', f->>'name'), ''), '')
          INTO names, cols, sel
          FROM jsonb_array_elements(c.fields) f;
        IF to_regclass(quote_ident(tbl)) IS NULL THEN
            EXECUTE format('CREATE TABLE %I (LIKE features)', tbl);
        END IF;
        -- Properties outside the schema: the row as it is would lose them.
        EXECUTE format('INSERT INTO rejected_features (collection, id, external_id, geom, properties, version, created, updated, reason) '
            'SELECT %L, id, external_id, geom, properties, version, created, updated, ''properties outside the schema: '' || '
            '(SELECT string_agg(k, '', '') FROM jsonb_object_keys(properties - %L::text[]) k) '
            'FROM %I WHERE properties - %L::text[] <> ''{}''', c.id, names, tbl, names);
        -- The service took every geometry to be in EPSG:4326, whatever its
        -- SRID: so it is.
        ins := format('INSERT INTO %I (id, external_id, version, created, updated, geom%s) '
            'SELECT o.id, o.external_id, o.version, o.created, o.updated, ST_SetSRID(o.geom, 4326)%s '
            'FROM %I o, jsonb_populate_record(NULL::%I, o.properties) r ', tmp, cols, sel, tbl, tmp);
        BEGIN
            EXECUTE ins || format('WHERE o.properties - %L::text[] = ''{}''', names);
        EXCEPTION WHEN others THEN
            -- Some row does not fit: one at a time, the misfits rejected.
            FOR o IN EXECUTE format('SELECT * FROM %I WHERE properties - %L::text[] = ''{}'' ORDER BY id', tbl, names) LOOP
                BEGIN
                    EXECUTE ins || 'WHERE o.id = $1' USING o.id;
                EXCEPTION WHEN others THEN
                    INSERT INTO rejected_features (collection, id, external_id, geom, properties, version, created, updated, reason)
                    VALUES (c.id, o.id, o.external_id, o.geom, o.properties, o.version, o.created, o.updated, SQLERRM);
                END;
            END LOOP;
        END;
        EXECUTE format('DROP TABLE %I', tbl);
        EXECUTE format('ALTER TABLE %I RENAME TO %I', tmp, tbl);
        PERFORM cityatlas_check_feature_table(tbl, c.fields, c.geometry_type);
        PERFORM cityatlas_index_features(tbl);
        PERFORM cityatlas_describe_feature_table(tbl, c.id);
        PERFORM cityatlas_feature_triggers(tbl, c.id);
        EXECUTE format('ANALYZE %I', tbl);
    END LOOP;
END
$$;

DROP TABLE features;

-- A change of a layer's fields is one change-log entry (store.OpSchema).
ALTER TABLE changes DROP CONSTRAINT IF EXISTS changes_op_check;
ALTER TABLE changes ADD CONSTRAINT changes_op_check CHECK (op IN ('insert', 'update', 'delete', 'load', 'collection', 'schema'));
