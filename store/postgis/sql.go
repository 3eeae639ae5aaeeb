package postgis

// All the SQL of the package. Tables are unqualified: they live in the first
// schema of the connection's search_path. Geometries travel as ISO WKB
// (ST_GeomFromWKB / ST_AsBinary), which keeps Z; the SRID is always 4326.

// lockClass is the first key of the transaction advisory lock that every
// Apply takes; the second is a hash of the current schema. It serialises
// writers so that change-log sequence numbers commit in order: a reader
// that catches up from its last seq can never miss a smaller seq that
// commits later.
const lockClass = 0x0c17a7a6

const sqlWriteLock = `SELECT pg_advisory_xact_lock($1, hashtext(coalesce(current_schema(), '')))`

// sqlNoJIT turns JIT compilation off for a write transaction: the planner
// overrates the joins of a batch against a large collection (no statistics
// on the temporary load table) and spends more time compiling each
// statement than running it.
const sqlNoJIT = `SET LOCAL jit = off`

// sqlWriter marks a write transaction as cityatlas's own: the triggers of
// migrations/0007 then leave its versions, times and change log to it.
const sqlWriter = `SELECT set_config('cityatlas.writer', 'on', true)`

const sqlListen = `LISTEN cityatlas_changes`

const sqlNotify = `SELECT pg_notify('cityatlas_changes', $1)`

// Collections.
const (
	sqlCollectionColumns = `id, title, description, geometry_type, fields, license, keywords, time_field, role, created, private, meta`

	sqlCollections = `SELECT ` + sqlCollectionColumns + ` FROM collections ORDER BY id COLLATE "C"`

	sqlCollection = `SELECT ` + sqlCollectionColumns + ` FROM collections WHERE id = $1`

	// sqlCollectionForShare keeps the collection from being deleted while
	// an Apply writes to it.
	sqlCollectionForShare = sqlCollection + ` FOR SHARE`

	sqlCreateCollection = `INSERT INTO collections (id, title, description, geometry_type, fields, license, keywords, time_field, role, created, private, meta)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now(), $10, $11)
RETURNING created`

	// $1 id, $2 title, $3 description, $4 license, $5 keywords, $6 meta,
	// $7 actor: the descriptive fields and their change-log entry.
	sqlUpdateCollection = `WITH u AS (
	UPDATE collections SET title = $2, description = $3, license = $4, keywords = $5, meta = $6
	WHERE id = $1
	RETURNING id
)
INSERT INTO changes (collection, feature_id, op, version, actor, time)
SELECT id, 0, 'collection', 0, $7, now() FROM u
RETURNING seq`

	// Each collection has its own partition of features (migrations/0003).
	sqlAddFeatureTable = `SELECT cityatlas_add_feature_table($1)`

	sqlDeleteCollection = `DELETE FROM collections WHERE id = $1`

	// Renaming collection $1 to $2.
	sqlRenameCopy = `INSERT INTO collections (id, title, description, geometry_type, fields, license, keywords, time_field, role, created, private, meta)
SELECT $2, title, description, geometry_type, fields, license, keywords, time_field, role, created, private, meta FROM collections WHERE id = $1`
	sqlRenameFeatures = `INSERT INTO features (id, collection, external_id, geom, properties, version, created, updated)
SELECT id, $2, external_id, geom, properties, version, created, updated FROM features WHERE collection = $1`
	sqlRenameVersions = `UPDATE feature_versions SET collection = $2 WHERE collection = $1`
	sqlRenameLog      = `UPDATE changes SET collection = $2 WHERE collection = $1 AND feature_id <> 0`
	sqlRenameGrants   = `UPDATE keys SET collections = array_replace(collections, $1, $2) WHERE $1 = ANY (collections)`

	// $1 collection, $2 actor: a change to the collection itself.
	sqlLogCollection = `INSERT INTO changes (collection, feature_id, op, version, actor, time) VALUES ($1, 0, 'collection', 0, $2, now())`
	// The collection's features go with it, partition and all; the change
	// log stays.
	sqlDeleteCollectionFeatures = `SELECT cityatlas_drop_feature_table($1)`
)

// Reading features.
const (
	sqlFeatureColumns = `id, coalesce(external_id, ''), ST_AsBinary(geom), properties, version, created, updated`

	sqlFeature = `SELECT ` + sqlFeatureColumns + ` FROM features WHERE collection = $1 AND id = $2`

	sqlScan = `SELECT ` + sqlFeatureColumns + ` FROM features WHERE collection = $1 ORDER BY id`

	sqlCount = `SELECT count(*) FROM features WHERE collection = $1`

	// LIMIT NULL means no limit.
	sqlPage = `SELECT ` + sqlFeatureColumns + ` FROM features WHERE collection = $1 ORDER BY id LIMIT $2 OFFSET $3`

	// The && test uses the GiST index; ST_Intersects is the exact test.
	// ST_Envelope of the diagonal is the bbox polygon, or a line or a
	// point when the bbox has no width or height: GEOS misjudges
	// intersections with the zero-area polygon that ST_MakeEnvelope gives.
	sqlBBox      = `ST_Envelope(ST_SetSRID(ST_MakeLine(ST_MakePoint($2, $3), ST_MakePoint($4, $5)), 4326))`
	sqlBBoxWhere = ` AND geom && ` + sqlBBox + ` AND ST_Intersects(geom, ` + sqlBBox + `)`

	sqlCountBBox = sqlCount + sqlBBoxWhere

	sqlPageBBox = `SELECT ` + sqlFeatureColumns + ` FROM features WHERE collection = $1` + sqlBBoxWhere + ` ORDER BY id LIMIT $6 OFFSET $7`
)

// The change log.
const (
	sqlChanges = `SELECT seq, collection, feature_id, op, version, actor, time FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2`

	sqlLastSeq = `SELECT coalesce(max(seq), 0) FROM changes`
)

// Writing one mutation at a time. Each statement writes the feature and its
// change-log entry in one round trip.
const (
	// $1 collection, $2 external id ('' for none), $3 WKB, $4 properties, $5 actor.
	sqlInsert = `WITH f AS (
	INSERT INTO features (collection, external_id, geom, properties, version, created, updated)
	VALUES ($1, NULLIF($2, ''), ST_GeomFromWKB($3, 4326), $4, 1, now(), now())
	RETURNING id, version, created, updated
), c AS (
	INSERT INTO changes (collection, feature_id, op, version, actor, time)
	SELECT $1, id, 'insert', version, $5, updated FROM f
	RETURNING seq
)
SELECT f.id, f.created, f.updated, c.seq FROM f, c`

	// $1 collection, $2 id, $3 WKB, $4 properties, $5 IfVersion (0: any), $6 actor.
	sqlUpdate = `WITH v AS (
	INSERT INTO feature_versions (collection, feature_id, version, external_id, geom, properties, updated)
	SELECT collection, id, version, external_id, geom, properties, updated FROM features
	WHERE collection = $1 AND id = $2 AND ($5::bigint = 0 OR version = $5)
	ON CONFLICT DO NOTHING
), f AS (
	UPDATE features SET geom = ST_GeomFromWKB($3, 4326), properties = $4, version = version + 1, updated = now()
	WHERE collection = $1 AND id = $2 AND ($5::bigint = 0 OR version = $5)
	RETURNING id, external_id, version, created, updated
), c AS (
	INSERT INTO changes (collection, feature_id, op, version, actor, time)
	SELECT $1, id, 'update', version, $6, updated FROM f
	RETURNING seq
)
SELECT coalesce(f.external_id, ''), f.version, f.created, f.updated, c.seq FROM f, c`

	// $1 collection, $2 id, $3 IfVersion (0: any), $4 actor.
	sqlDelete = `WITH v AS (
	INSERT INTO feature_versions (collection, feature_id, version, external_id, geom, properties, updated)
	SELECT collection, id, version, external_id, geom, properties, updated FROM features
	WHERE collection = $1 AND id = $2 AND ($3::bigint = 0 OR version = $3)
	ON CONFLICT DO NOTHING
), f AS (
	DELETE FROM features WHERE collection = $1 AND id = $2 AND ($3::bigint = 0 OR version = $3)
	RETURNING ` + sqlFeatureColumnsNamed + `
), c AS (
	INSERT INTO changes (collection, feature_id, op, version, actor, time)
	SELECT $1, id, 'delete', version, $4, now() FROM f
	RETURNING seq
)
SELECT f.id, f.external_id, f.wkb, f.properties, f.version, f.created, f.updated, c.seq FROM f, c`

	sqlFeatureColumnsNamed = `id, coalesce(external_id, '') AS external_id, ST_AsBinary(geom) AS wkb, properties, version, created, updated`

	// sqlFeatureVersion tells a missing feature from a version conflict.
	sqlFeatureVersion = `SELECT version FROM features WHERE collection = $1 AND id = $2`

	// sqlUpsertMatch finds the feature an upsert replaces and whether it
	// would change. Geometries are compared as EWKB bytes, not with
	// ST_Equals, which ignores Z. $1 collection, $2 external id, $3 WKB,
	// $4 properties.
	sqlUpsertMatch = `SELECT id, version, created, updated,
	ST_AsEWKB(geom) IS NOT DISTINCT FROM ST_AsEWKB(ST_GeomFromWKB($3, 4326)) AND properties = $4::jsonb
FROM features WHERE collection = $1 AND external_id = $2
FOR UPDATE`
)

// Writing a batch of inserts and upserts through COPY. The batch is copied
// into a temporary table and matched against the stored features in one
// query; the outcome of every mutation is decided from what it returns, so
// a batch that changes nothing costs a COPY and a join. Changed and new
// features are written from the temporary table with one statement each,
// their ids and change-log seqs reserved up front (as applyFresh does).
const (
	loadTable = "ca_load"

	sqlLoadCreate = `CREATE TEMP TABLE ca_load (
	ord         integer PRIMARY KEY,
	external_id text,
	wkb         bytea,
	properties  jsonb NOT NULL
) ON COMMIT DROP`

	// $1 collection.
	sqlLoadMatch = `SELECT l.ord, f.id, f.version, f.created, f.updated,
	ST_AsEWKB(f.geom) IS NOT DISTINCT FROM ST_AsEWKB(ST_GeomFromWKB(l.wkb, 4326)) AND f.properties = l.properties
FROM ca_load l JOIN features f ON f.collection = $1 AND f.external_id = l.external_id`

	// $1 collection, $2 the rows' ords, $3 their new ids.
	sqlLoadInsert = `INSERT INTO features (id, collection, external_id, geom, properties, version, created, updated)
SELECT u.id, $1, l.external_id, ST_GeomFromWKB(l.wkb, 4326), l.properties, 1, now(), now()
FROM unnest($2::integer[], $3::bigint[]) AS u(ord, id) JOIN ca_load l ON l.ord = u.ord`

	// $1 collection, $2 the rows' ords, $3 the ids of the features they
	// replace.
	sqlLoadUpdate = `UPDATE features f SET geom = ST_GeomFromWKB(l.wkb, 4326), properties = l.properties, version = f.version + 1, updated = now()
FROM unnest($2::integer[], $3::bigint[]) AS u(ord, id) JOIN ca_load l ON l.ord = u.ord
WHERE f.collection = $1 AND f.id = u.id`

	sqlLoadDrop = `DROP TABLE ca_load`

	// A batch of deletes in one statement; $1 collection, $2 ids.
	// sqlKeepVersions writes the current versions of features $2 of
	// collection $1 to the history before a bulk update or delete replaces
	// them (migrations/0007: for its own writes cityatlas does this itself,
	// one statement a batch, instead of the row trigger other clients get).
	sqlKeepVersions = `INSERT INTO feature_versions (collection, feature_id, version, external_id, geom, properties, updated)
SELECT collection, id, version, external_id, geom, properties, updated FROM features
WHERE collection = $1 AND id = ANY($2)
ON CONFLICT DO NOTHING`

	sqlDeleteMany = `DELETE FROM features WHERE collection = $1 AND id = ANY($2) RETURNING ` + sqlFeatureColumnsNamed
)

// loadColumns are the columns that COPY fills.
var loadColumns = []string{"ord", "external_id", "wkb", "properties"}

// History (migrations/0007): the versions a feature's change-log entries
// name, with the content of each from feature_versions (replaced and
// deleted versions) or features (the current one).
const (
	// $1 collection, $2 feature id, $3 after seq, $4 limit (NULL: none).
	sqlHistory = `SELECT c.seq, c.op, c.version, c.actor, c.time,
	v.feature_id IS NOT NULL OR f.id IS NOT NULL,
	coalesce(CASE WHEN v.feature_id IS NOT NULL THEN v.external_id ELSE f.external_id END, ''),
	ST_AsBinary(CASE WHEN v.feature_id IS NOT NULL THEN v.geom ELSE f.geom END),
	CASE WHEN v.feature_id IS NOT NULL THEN v.properties ELSE f.properties END
FROM changes c
LEFT JOIN feature_versions v ON v.feature_id = c.feature_id AND v.version = c.version
LEFT JOIN features f ON f.collection = c.collection AND f.id = c.feature_id AND f.version = c.version
WHERE c.collection = $1 AND c.feature_id = $2 AND c.seq > $3
ORDER BY c.seq LIMIT $4`

	// The bulk load a feature came from: the last load of its collection
	// before $3 (the seq of the feature's first own entry). $1 collection,
	// $2 feature id.
	sqlHistoryLoad = `SELECT c.seq, c.actor, c.time,
	v.feature_id IS NOT NULL OR f.id IS NOT NULL,
	coalesce(CASE WHEN v.feature_id IS NOT NULL THEN v.external_id ELSE f.external_id END, ''),
	ST_AsBinary(CASE WHEN v.feature_id IS NOT NULL THEN v.geom ELSE f.geom END),
	CASE WHEN v.feature_id IS NOT NULL THEN v.properties ELSE f.properties END
FROM changes c
LEFT JOIN feature_versions v ON v.feature_id = $2 AND v.version = 1
LEFT JOIN features f ON f.collection = $1 AND f.id = $2 AND f.version = 1
WHERE c.collection = $1 AND c.op = 'load' AND c.seq < $3
	AND (v.feature_id IS NOT NULL OR EXISTS (SELECT 1 FROM features WHERE collection = $1 AND id = $2))
ORDER BY c.seq DESC LIMIT 1`

	sqlCollectionChanges = `SELECT seq, collection, feature_id, op, version, actor, time FROM changes WHERE collection = $1 AND seq > $2 ORDER BY seq LIMIT $3`
)

// API keys (migrations/0007).
const (
	sqlKeyColumns = `id, name, role, collections, salt, hash, created, coalesce(expires, 'epoch'), coalesce(revoked, 'epoch')`

	sqlCreateKey = `INSERT INTO keys (id, name, role, collections, salt, hash, created, expires)
VALUES ($1, $2, $3, $4, $5, $6, now(), $7) RETURNING created`

	sqlKeyByID = `SELECT ` + sqlKeyColumns + ` FROM keys WHERE id = $1`

	sqlKeys = `SELECT ` + sqlKeyColumns + ` FROM keys ORDER BY name COLLATE "C"`

	sqlRevokeKey = `UPDATE keys SET revoked = coalesce(revoked, now()) WHERE name = $1`
)
