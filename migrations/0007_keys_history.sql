-- API keys, private collections, the history of every feature, and the
-- change log of edits made in the database by other clients than cityatlas.

-- API keys: the public id embedded in the token, and an HMAC-SHA256 of the
-- secret under a per-key salt (package auth); never the secret.
CREATE TABLE keys (
    id          text PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    role        text NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
    collections text[] NOT NULL DEFAULT '{}',
    salt        bytea NOT NULL,
    hash        bytea NOT NULL,
    created     timestamptz NOT NULL DEFAULT now(),
    expires     timestamptz,
    revoked     timestamptz
);

ALTER TABLE collections ADD COLUMN private boolean NOT NULL DEFAULT false;

-- Every version of a feature that has been replaced or deleted, written by
-- a trigger whoever the writer: with the live row in features (its current
-- version), they are the feature's history. Versions replaced before this
-- migration are not there.
CREATE TABLE feature_versions (
    collection  text COLLATE "C" NOT NULL,
    feature_id  bigint NOT NULL,
    version     bigint NOT NULL,
    external_id text COLLATE "C",
    geom        geometry,
    properties  jsonb NOT NULL,
    updated     timestamptz NOT NULL,
    PRIMARY KEY (feature_id, version)
);

CREATE FUNCTION cityatlas_keep_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO feature_versions (collection, feature_id, version, external_id, geom, properties, updated)
    VALUES (OLD.collection, OLD.id, OLD.version, OLD.external_id, OLD.geom, OLD.properties, OLD.updated)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE TRIGGER features_keep_version AFTER UPDATE OR DELETE ON features
    FOR EACH ROW EXECUTE FUNCTION cityatlas_keep_version();

-- Writes made by other clients (psql, QGIS) than cityatlas, which sets
-- cityatlas.writer in its own write transactions and logs its writes
-- itself. For the others a trigger moves the version and the times on and
-- writes the change log, under the writers' advisory lock (see
-- store/postgis/sql.go) so that seqs commit in order, with the database
-- user as the actor; the NOTIFY wakes the instances.
CREATE FUNCTION cityatlas_direct_stamp() RETURNS trigger
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
    RETURN NEW;
END
$$;

CREATE FUNCTION cityatlas_direct_log() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    r record;
    s bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(202876838, hashtext(coalesce(current_schema(), '')));
    IF TG_OP = 'DELETE' THEN
        r := OLD;
    ELSE
        r := NEW;
    END IF;
    INSERT INTO changes (collection, feature_id, op, version, actor, time)
    VALUES (r.collection, r.id, lower(TG_OP), r.version, session_user, now())
    RETURNING seq INTO s;
    PERFORM pg_notify('cityatlas_changes', s::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER features_direct_stamp BEFORE INSERT OR UPDATE ON features
    FOR EACH ROW WHEN (coalesce(current_setting('cityatlas.writer', true), '') = '')
    EXECUTE FUNCTION cityatlas_direct_stamp();

CREATE TRIGGER features_direct_log AFTER INSERT OR UPDATE OR DELETE ON features
    FOR EACH ROW WHEN (coalesce(current_setting('cityatlas.writer', true), '') = '')
    EXECUTE FUNCTION cityatlas_direct_log();

CREATE INDEX changes_feature_idx ON changes (feature_id, seq);
