package postgis

import (
	"crypto/md5"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/cityatlas/cityatlas/store"
)

// table is the SQL of one collection's feature table (migrations/0010):
// id, external_id, a column a field in the schema's order (named as the
// field), version, created, updated, geom.
type table struct {
	c     *store.Collection
	name  string   // the table's name
	ident string   // ... quoted
	cols  []string // the fields' columns, quoted
}

func tableOf(c *store.Collection) *table {
	t := &table{c: c, name: featureTable(c.ID)}
	t.ident = pgx.Identifier{t.name}.Sanitize()
	t.cols = make([]string, len(c.Fields))
	for i, f := range c.Fields {
		t.cols[i] = pgx.Identifier{f.Name}.Sanitize()
	}
	return t
}

// featureTable names the table of collection coll, as
// cityatlas_feature_table does (migrations/0003): features_ID, or for ids
// too long for a 63-byte name a prefix of the id and a hash.
func featureTable(coll string) string {
	if len(coll) <= 54 {
		return "features_" + coll
	}
	sum := md5.Sum([]byte(coll))
	return "features_" + coll[:45] + "_" + hex.EncodeToString(sum[:])[:8]
}

// pgType is the column type of a field type (cityatlas_column_type).
func pgType(t store.FieldType) string {
	switch t {
	case store.TypeInteger:
		return "bigint"
	case store.TypeNumber:
		return "float8"
	case store.TypeBoolean:
		return "boolean"
	case store.TypeDate:
		return "date"
	case store.TypeDateTime:
		return "timestamptz"
	case store.TypeArray:
		return "jsonb"
	}
	return "text"
}

// list joins the fields' columns, each written by col(i, quoted name),
// with a comma before each.
func (t *table) list(col func(i int, name string) string) string {
	var b strings.Builder
	for i, name := range t.cols {
		b.WriteString(", ")
		b.WriteString(col(i, name))
	}
	return b.String()
}

// params are the fields' values as parameters $first, $first+1, ..., cast
// to their columns' types, with a comma before each.
func (t *table) params(first int) string {
	return t.list(func(i int, _ string) string {
		return "$" + strconv.Itoa(first+i) + "::" + pgType(t.c.Fields[i].Type)
	})
}

// columns are the feature columns that featureRow reads, qualified by
// alias when it is not empty: id, external id, WKB, version, created,
// updated, the fields (arrays as text).
func (t *table) columns(alias string) string {
	q := ""
	if alias != "" {
		q = alias + "."
	}
	return q + "id, coalesce(" + q + "external_id, '') AS external_id, ST_AsBinary(" + q + "geom) AS wkb, " +
		q + "version, " + q + "created, " + q + "updated" +
		t.list(func(i int, name string) string {
			if t.c.Fields[i].Type == store.TypeArray {
				return q + name + "::text AS " + name
			}
			return q + name
		})
}

// properties is the jsonb object of a row's properties (alias qualifies
// the columns when not empty), as feature_versions keeps them.
func (t *table) properties(alias string) string {
	if len(t.cols) == 0 {
		return `'{}'::jsonb`
	}
	q := ""
	if alias != "" {
		q = alias + "."
	}
	// jsonb_build_object takes at most 100 arguments.
	var parts []string
	for i := 0; i < len(t.cols); i += 50 {
		var b strings.Builder
		b.WriteString("jsonb_build_object(")
		for j := i; j < min(i+50, len(t.cols)); j++ {
			if j > i {
				b.WriteString(", ")
			}
			b.WriteString(quoteLiteral(t.c.Fields[j].Name) + ", " + q + t.cols[j])
		}
		b.WriteString(")")
		parts = append(parts, b.String())
	}
	return "jsonb_strip_nulls(" + strings.Join(parts, " || ") + ")"
}

// same is the condition that a row's fields (qualified by alias) equal
// the values written by val(i).
func (t *table) same(alias string, val func(i int) string) string {
	if len(t.cols) == 0 {
		return "true"
	}
	var a, b strings.Builder
	for i, name := range t.cols {
		if i > 0 {
			a.WriteString(", ")
			b.WriteString(", ")
		}
		a.WriteString(alias + "." + name)
		b.WriteString(val(i))
	}
	return "ROW(" + a.String() + ") IS NOT DISTINCT FROM ROW(" + b.String() + ")"
}

// The statements of one feature at a time. Each writes the feature and its
// change-log entry in one round trip; fields' values are parameters.

// $1 collection, $2 external id (” for none), $3 WKB, $4 actor, $5... the
// fields.
func (t *table) insertSQL() string {
	return `WITH f AS (
	INSERT INTO ` + t.ident + ` (external_id, geom, version, created, updated` + t.list(func(_ int, n string) string { return n }) + `)
	VALUES (NULLIF($2::text, ''), ST_GeomFromWKB($3::bytea, 4326), 1, now(), now()` + t.params(5) + `)
	RETURNING id, version, created, updated
), c AS (
	INSERT INTO changes (collection, feature_id, op, version, actor, time)
	SELECT $1::text, id, 'insert', version, $4::text, updated FROM f
	RETURNING seq
)
SELECT f.id, f.created, f.updated, c.seq FROM f, c`
}

// keepVersion is the statement part that writes the current version of
// the features that cond selects to the history.
func (t *table) keepVersion(cond string) string {
	return `INSERT INTO feature_versions (collection, feature_id, version, external_id, geom, properties, updated)
SELECT ` + quoteLiteral(t.c.ID) + `, id, version, external_id, geom, ` + t.properties("") + `, updated FROM ` + t.ident + `
WHERE ` + cond + `
ON CONFLICT DO NOTHING`
}

// $1 collection, $2 id, $3 WKB, $4 IfVersion (0: any), $5 actor, $6... the
// fields.
func (t *table) updateSQL() string {
	where := `id = $2::bigint AND ($4::bigint = 0 OR version = $4::bigint)`
	return `WITH v AS (
	` + t.keepVersion(where) + `
), f AS (
	UPDATE ` + t.ident + ` SET geom = ST_GeomFromWKB($3::bytea, 4326)` +
		t.list(func(i int, n string) string {
			return n + " = $" + strconv.Itoa(6+i) + "::" + pgType(t.c.Fields[i].Type)
		}) + `,
		version = version + 1, updated = now()
	WHERE ` + where + `
	RETURNING id, external_id, version, created, updated
), c AS (
	INSERT INTO changes (collection, feature_id, op, version, actor, time)
	SELECT $1::text, id, 'update', version, $5::text, updated FROM f
	RETURNING seq
)
SELECT coalesce(f.external_id, ''), f.version, f.created, f.updated, c.seq FROM f, c`
}

// $1 collection, $2 id, $3 IfVersion (0: any), $4 actor.
func (t *table) deleteSQL() string {
	where := `id = $2::bigint AND ($3::bigint = 0 OR version = $3::bigint)`
	return `WITH v AS (
	` + t.keepVersion(where) + `
), f AS (
	DELETE FROM ` + t.ident + ` WHERE ` + where + `
	RETURNING ` + t.columns("") + `
), c AS (
	INSERT INTO changes (collection, feature_id, op, version, actor, time)
	SELECT $1::text, id, 'delete', version, $4::text, now() FROM f
	RETURNING seq
)
SELECT f.*, c.seq FROM f, c`
}

// versionSQL tells a missing feature $1 from a version conflict.
func (t *table) versionSQL() string {
	return `SELECT version FROM ` + t.ident + ` WHERE id = $1`
}

// upsertMatchSQL finds the feature an upsert replaces and whether it would
// change. Geometries are compared as EWKB bytes, not with ST_Equals, which
// ignores Z. $1 external id, $2 WKB, $3... the fields.
func (t *table) upsertMatchSQL() string {
	return `SELECT id, version, created, updated,
	ST_AsEWKB(f.geom) IS NOT DISTINCT FROM ST_AsEWKB(ST_GeomFromWKB($2::bytea, 4326)) AND ` +
		t.same("f", func(i int) string { return "$" + strconv.Itoa(3+i) + "::" + pgType(t.c.Fields[i].Type) }) + `
FROM ` + t.ident + ` f WHERE external_id = $1::text
FOR UPDATE`
}

// Reading.

func (t *table) featureSQL() string {
	return `SELECT ` + t.columns("") + ` FROM ` + t.ident + ` WHERE id = $1`
}

func (t *table) scanSQL() string {
	return `SELECT ` + t.columns("") + ` FROM ` + t.ident + ` ORDER BY id`
}

func (t *table) emptySQL() string {
	return `SELECT NOT EXISTS (SELECT 1 FROM ` + t.ident + `)`
}

// The bbox is $1..$4. The && test uses the GiST index; ST_Intersects is
// the exact test. ST_Envelope of the diagonal is the bbox polygon, or a
// line or a point when the bbox has no width or height: GEOS misjudges
// intersections with the zero-area polygon that ST_MakeEnvelope gives.
const (
	sqlBBox      = `ST_Envelope(ST_SetSRID(ST_MakeLine(ST_MakePoint($1, $2), ST_MakePoint($3, $4)), 4326))`
	sqlBBoxWhere = `geom && ` + sqlBBox + ` AND ST_Intersects(geom, ` + sqlBBox + `)`
)

// extentSQL is the extent of the table's geometries.
func (t *table) extentSQL() string {
	return `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) AS e FROM ` + t.ident + `) x`
}

// Writing a batch of inserts and upserts through COPY. The batch is copied
// into a temporary table and matched against the stored features in one
// query; the outcome of every mutation is decided from what it returns, so
// a batch that changes nothing costs a COPY and a join. Changed and new
// features are written from the temporary table with one statement each,
// their ids and change-log seqs reserved up front (as applyFresh does).
// The temporary table's field columns are p0, p1, ... (a field may be
// called ord), arrays as text.

const (
	loadTable   = "ca_load"
	sqlLoadDrop = `DROP TABLE ca_load`
)

func (t *table) loadCreateSQL() string {
	return `CREATE TEMP TABLE ca_load (ord integer PRIMARY KEY, external_id text, wkb bytea` +
		t.list(func(i int, _ string) string { return "p" + strconv.Itoa(i) + " " + loadType(t.c.Fields[i].Type) }) +
		`) ON COMMIT DROP`
}

func loadType(ft store.FieldType) string {
	if ft == store.TypeArray {
		return "text"
	}
	return pgType(ft)
}

// loadColumns are the columns of ca_load that COPY fills.
func (t *table) loadColumns() []string {
	cols := []string{"ord", "external_id", "wkb"}
	for i := range t.cols {
		cols = append(cols, "p"+strconv.Itoa(i))
	}
	return cols
}

// loadValue is field i of ca_load row l as its column's type.
func (t *table) loadValue(i int) string {
	v := "l.p" + strconv.Itoa(i)
	if t.c.Fields[i].Type == store.TypeArray {
		v += "::jsonb"
	}
	return v
}

func (t *table) loadMatchSQL() string {
	return `SELECT l.ord, f.id, f.version, f.created, f.updated,
	ST_AsEWKB(f.geom) IS NOT DISTINCT FROM ST_AsEWKB(ST_GeomFromWKB(l.wkb, 4326)) AND ` + t.same("f", t.loadValue) + `
FROM ca_load l JOIN ` + t.ident + ` f ON f.external_id = l.external_id`
}

// $1 the rows' ords, $2 their new ids.
func (t *table) loadInsertSQL() string {
	return `INSERT INTO ` + t.ident + ` (id, external_id, geom, version, created, updated` + t.list(func(_ int, n string) string { return n }) + `)
SELECT u.id, l.external_id, ST_GeomFromWKB(l.wkb, 4326), 1, now(), now()` + t.list(func(i int, _ string) string { return t.loadValue(i) }) + `
FROM unnest($1::integer[], $2::bigint[]) AS u(ord, id) JOIN ca_load l ON l.ord = u.ord`
}

// $1 the rows' ords, $2 the ids of the features they replace.
func (t *table) loadUpdateSQL() string {
	return `UPDATE ` + t.ident + ` f SET geom = ST_GeomFromWKB(l.wkb, 4326)` +
		t.list(func(i int, n string) string { return n + " = " + t.loadValue(i) }) + `, version = f.version + 1, updated = now()
FROM unnest($1::integer[], $2::bigint[]) AS u(ord, id) JOIN ca_load l ON l.ord = u.ord
WHERE f.id = u.id`
}

// keepVersionsSQL writes the current versions of features $1 to the
// history before a bulk update or delete replaces them (migrations/0007:
// for its own writes cityatlas does this itself, one statement a batch,
// instead of the row trigger other clients get).
func (t *table) keepVersionsSQL() string {
	return t.keepVersion(`id = ANY($1::bigint[])`)
}

// deleteManySQL deletes features $1.
func (t *table) deleteManySQL() string {
	return `DELETE FROM ` + t.ident + ` WHERE id = ANY($1::bigint[]) RETURNING ` + t.columns("")
}

// freshColumns are the columns of the table that a COPY of new features
// fills, in the order of stageRow.
func (t *table) freshColumns() []string {
	cols := []string{"id", "external_id"}
	for _, f := range t.c.Fields {
		cols = append(cols, f.Name)
	}
	return append(cols, "version", "created", "updated", "geom")
}
