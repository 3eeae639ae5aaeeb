-- Features are partitioned by collection: each collection has its own
-- table (a LIST partition of features) with its own indexes. Queries on
-- features that name a collection read only its partition, deleting a
-- collection drops a table instead of deleting rows, and a bulk load into an
-- empty collection fills a fresh table and indexes it once, at the end,
-- instead of updating indexes shared with every other layer row by row.
--
-- What changed from version 1, measured on 1,000,000 points (PostgreSQL 15,
-- PostGIS 3.3, see BENCHMARKS.md):
-- * the per-partition keys are single columns, PRIMARY KEY (id) and
--   UNIQUE (external_id): a partition holds one collection, so they are the
--   old (collection, id) and (collection, external_id) keys, and building
--   them takes half the time of the two-column ones. Feature ids stay unique
--   across collections: they all come from the one sequence features_id_seq.
-- * collection and external_id compare byte-wise (COLLATE "C"): ids are
--   matched for equality only, and "C" keeps index builds off the locale.
-- * the CHECK (ST_SRID(geom) = 4326) is gone: it cost about 17 µs a row in
--   COPY, eight times the rest of the row. cityatlas writes every geometry
--   with SRID 4326 itself.
-- * the change log takes a fourth kind of entry, 'load': a bulk load filled
--   an empty collection at once (one entry instead of one a feature;
--   followers reload the collection).

ALTER TABLE features RENAME TO ca_features_v1;
ALTER SEQUENCE features_id_seq RENAME TO ca_features_v1_id_seq;
CREATE SEQUENCE features_id_seq;

-- cityatlas_feature_table names the partition of a collection: features_ID,
-- or, for ids too long for a 63-byte name, a prefix of the id and a hash.
CREATE FUNCTION cityatlas_feature_table(coll text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN length(coll) <= 54 THEN 'features_' || coll
        ELSE 'features_' || left(coll, 45) || '_' || left(md5(coll), 8) END
$$;

CREATE TABLE features (
    id          bigint NOT NULL DEFAULT nextval('features_id_seq'),
    collection  text COLLATE "C" NOT NULL,
    external_id text COLLATE "C",
    geom        geometry,
    properties  jsonb NOT NULL DEFAULT '{}',
    version     bigint NOT NULL DEFAULT 1,
    created     timestamptz NOT NULL DEFAULT now(),
    updated     timestamptz NOT NULL DEFAULT now()
) PARTITION BY LIST (collection);
ALTER SEQUENCE features_id_seq OWNED BY features.id;

-- cityatlas_index_name names an index of a feature table: the table's name
-- (shortened when it must be) and a suffix, in at most 63 bytes.
CREATE FUNCTION cityatlas_index_name(tbl text, suffix text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT left(tbl, 62 - length(suffix)) || '_' || suffix
$$;

-- cityatlas_index_features gives a partition its keys and spatial index.
CREATE FUNCTION cityatlas_index_features(tbl text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I PRIMARY KEY (id)', tbl, cityatlas_index_name(tbl, 'pkey'));
    EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I UNIQUE (external_id)', tbl, cityatlas_index_name(tbl, 'external_id_key'));
    EXECUTE format('CREATE INDEX %I ON %I USING gist (geom)', cityatlas_index_name(tbl, 'geom_idx'), tbl);
END
$$;

-- cityatlas_add_feature_table makes the partition of a new collection.
CREATE FUNCTION cityatlas_add_feature_table(coll text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE TABLE %I PARTITION OF features FOR VALUES IN (%L)',
        cityatlas_feature_table(coll), coll);
    PERFORM cityatlas_index_features(cityatlas_feature_table(coll));
END
$$;

-- cityatlas_attach_feature_table makes a loaded table the partition of
-- collection coll in place of the (empty) one it has. The table, made
-- LIKE features, holds only rows of coll (its CHECK constraint STAGE_coll
-- says so, which spares ATTACH a scan) and has three indexes built: unique
-- STAGE_pkey on id, unique STAGE_ext on external_id, gist STAGE_geom.
CREATE FUNCTION cityatlas_attach_feature_table(coll text, stage text) RETURNS void
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
    EXECUTE format('ALTER TABLE features ATTACH PARTITION %I FOR VALUES IN (%L)', stage, coll);
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', stage, stage || '_coll');
    EXECUTE format('ALTER TABLE %I RENAME TO %I', stage, tbl);
END
$$;

DO $$
DECLARE
    c text;
    next_id bigint;
BEGIN
    FOR c IN SELECT id FROM collections ORDER BY id LOOP
        PERFORM cityatlas_add_feature_table(c);
    END LOOP;
    -- Features of collections that no longer exist (there should be none:
    -- deleting a collection deletes them) have no partition and go with
    -- the old table.
    INSERT INTO features (id, collection, external_id, geom, properties, version, created, updated)
    SELECT id, collection, external_id, geom, properties, version, created, updated
    FROM ca_features_v1 WHERE collection IN (SELECT id FROM collections);
    -- Ids go on after every id ever drawn (the change log may name
    -- deleted ones).
    SELECT greatest(
        (SELECT last_value FROM ca_features_v1_id_seq),
        (SELECT coalesce(max(id), 0) FROM ca_features_v1),
        (SELECT coalesce(max(feature_id), 0) FROM changes)) + 1 INTO next_id;
    DROP TABLE ca_features_v1;
    PERFORM setval('features_id_seq', next_id, false);
END
$$;

ALTER TABLE changes DROP CONSTRAINT IF EXISTS changes_op_check;
ALTER TABLE changes ADD CONSTRAINT changes_op_check CHECK (op IN ('insert', 'update', 'delete', 'load'));

-- cityatlas_drop_feature_table drops the partition of a deleted collection.
CREATE FUNCTION cityatlas_drop_feature_table(coll text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('DROP TABLE IF EXISTS %I', cityatlas_feature_table(coll));
END
$$;
