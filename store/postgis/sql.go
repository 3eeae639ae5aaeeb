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

	// Each collection has its own table of features (migrations/0010).
	sqlAddFeatureTable = `SELECT cityatlas_add_feature_table($1)`

	sqlDeleteCollection = `DELETE FROM collections WHERE id = $1`

	// Renaming collection $1 to $2.
	sqlRenameCopy = `INSERT INTO collections (id, title, description, geometry_type, fields, license, keywords, time_field, role, created, private, meta)
SELECT $2, title, description, geometry_type, fields, license, keywords, time_field, role, created, private, meta FROM collections WHERE id = $1`
	sqlRenameVersions = `UPDATE feature_versions SET collection = $2 WHERE collection = $1`
	sqlRenameLog      = `UPDATE changes SET collection = $2 WHERE collection = $1 AND feature_id <> 0`
	sqlRenameGrants   = `UPDATE keys SET collections = array_replace(collections, $1, $2) WHERE $1 = ANY (collections)`

	// $1 collection, $2 actor: a change to the collection itself.
	sqlLogCollection = `INSERT INTO changes (collection, feature_id, op, version, actor, time) VALUES ($1, 0, 'collection', 0, $2, now())`
	// The collection's features go with it, partition and all; the change
	// log stays.
	sqlDeleteCollectionFeatures = `SELECT cityatlas_drop_feature_table($1)`
)

// The change log.
const (
	sqlChanges = `SELECT seq, collection, feature_id, op, version, actor, time FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2`

	sqlLastSeq = `SELECT coalesce(max(seq), 0) FROM changes`
)

// History (migrations/0007): the versions a feature's change-log entries
// name, with the content of each from feature_versions (replaced and
// deleted versions) or the collection's table (the current one).

// liveVersion is the join of the feature's current row (as f: id,
// external_id, geom, props) on condition on; t nil means the collection
// is gone, and with it every current row.
func liveVersion(t *table, on string) string {
	if t == nil {
		return `LEFT JOIN (SELECT NULL::bigint AS id, NULL::text AS external_id, NULL::geometry AS geom, NULL::jsonb AS props) f ON false`
	}
	return `LEFT JOIN (SELECT id, version, external_id, geom, ` + t.properties("") + ` AS props FROM ` + t.ident + `) f ON ` + on
}

// historySQL: $1 collection, $2 feature id, $3 after seq, $4 limit (NULL:
// none).
func historySQL(t *table) string {
	return `SELECT c.seq, c.op, c.version, c.actor, c.time,
	v.feature_id IS NOT NULL OR f.id IS NOT NULL,
	coalesce(CASE WHEN v.feature_id IS NOT NULL THEN v.external_id ELSE f.external_id END, ''),
	ST_AsBinary(CASE WHEN v.feature_id IS NOT NULL THEN v.geom ELSE f.geom END),
	CASE WHEN v.feature_id IS NOT NULL THEN v.properties ELSE f.props END
FROM changes c
LEFT JOIN feature_versions v ON v.feature_id = c.feature_id AND v.version = c.version
` + liveVersion(t, `f.id = c.feature_id AND f.version = c.version`) + `
WHERE c.collection = $1 AND c.feature_id = $2 AND c.seq > $3
ORDER BY c.seq LIMIT $4`
}

// historyLoadSQL finds the bulk load a feature came from: the last load of
// its collection before $3 (the seq of the feature's first own entry). $1
// collection, $2 feature id.
func historyLoadSQL(t *table) string {
	exists := "false"
	if t != nil {
		exists = `EXISTS (SELECT 1 FROM ` + t.ident + ` WHERE id = $2)`
	}
	return `SELECT c.seq, c.actor, c.time,
	v.feature_id IS NOT NULL OR f.id IS NOT NULL,
	coalesce(CASE WHEN v.feature_id IS NOT NULL THEN v.external_id ELSE f.external_id END, ''),
	ST_AsBinary(CASE WHEN v.feature_id IS NOT NULL THEN v.geom ELSE f.geom END),
	CASE WHEN v.feature_id IS NOT NULL THEN v.properties ELSE f.props END
FROM changes c
LEFT JOIN feature_versions v ON v.feature_id = $2 AND v.version = 1
` + liveVersion(t, `f.id = $2 AND f.version = 1`) + `
WHERE c.collection = $1 AND c.op = 'load' AND c.seq < $3
	AND (v.feature_id IS NOT NULL OR ` + exists + `)
ORDER BY c.seq DESC LIMIT 1`
}

const (
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
