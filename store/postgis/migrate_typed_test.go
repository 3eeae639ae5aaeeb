package postgis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cityatlas/cityatlas/migrations"
	"github.com/cityatlas/cityatlas/store"
)

// TestMigrateTypedTables builds a database with the layout before
// migration 0010 (a partition of features a collection, properties as
// jsonb), with rows of every field type, history, and rows that other
// clients wrote past the service; migrates it in place; and checks every
// feature: the good ones read back as they were, with their versions and
// history, the one the typed table keeps but the service cannot hold is
// quarantined, and the ones the typed columns cannot take are kept whole
// in rejected_features.
func TestMigrateTypedTables(t *testing.T) {
	ctx := context.Background()
	url := newSchema(t)
	conn := connect(t, url)
	if _, err := migrations.Apply(ctx, conn, migrationsBelow(t, 10)); err != nil {
		t.Fatal(err)
	}
	const fields = `[{"name": "name", "type": "string", "title": "Name"}, {"name": "lanes", "type": "integer"},
		{"name": "height", "type": "number"}, {"name": "lit", "type": "boolean"}, {"name": "installed", "type": "date"},
		{"name": "seen", "type": "datetime"}, {"name": "condition", "type": "string", "values": ["good", "fair", "poor"]},
		{"name": "tags", "type": "array"}]`
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := conn.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`INSERT INTO collections (id, title, geometry_type, fields) VALUES ('signs', 'Signs', 'Point', $1), ('parks', 'Parks', 'Polygon', '[]')`, fields)
	exec(`SELECT cityatlas_add_feature_table('signs'), cityatlas_add_feature_table('parks')`)
	rows := []struct{ ext, geom, props string }{
		{"full", "POINT(-115.56 32.85)", `{"name": "Main & 1st", "lanes": 4, "height": 2.5, "lit": true, "installed": "2019-05-01",
			"seen": "2024-03-02T10:11:12.345678Z", "condition": "fair", "tags": ["a", 1, true]}`},
		{"z", "POINT Z(-115.57 32.86 3)", `{}`},
		{"bad_integer", "POINT(1 1)", `{"lanes": "many"}`},
		{"unknown", "POINT(2 2)", `{"colour": "red"}`},
		{"enum", "POINT(3 3)", `{"condition": "excellent"}`},
		{"multi", "MULTIPOINT((4 4),(5 5))", `{"name": "two"}`},
		{"nogeom", "", `{"name": "nowhere"}`},
	}
	ids := map[string]int64{}
	for _, r := range rows {
		var id int64
		err := conn.QueryRow(ctx, `INSERT INTO features (collection, external_id, geom, properties) VALUES ('signs', $1, ST_SetSRID(NULLIF($2, '')::geometry, 4326), $3) RETURNING id`,
			r.ext, r.geom, r.props).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		ids[r.ext] = id
	}
	exec(`INSERT INTO features (collection, external_id, geom, properties) VALUES ('parks', 'P1', ST_SetSRID('POLYGON((0 0,1 0,1 1,0 0))'::geometry, 4326), '{}')`)
	// A second version of "full", by psql: the old triggers keep version 1.
	exec(`UPDATE features SET properties = properties || '{"lanes": 6}' WHERE id = $1`, ids["full"])

	s, err := Open(ctx, url) // migrates
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	full, err := s.Feature(ctx, "signs", ids["full"])
	if err != nil {
		t.Fatal(err)
	}
	want := `{"name":"Main \u0026 1st","lanes":6,"height":2.5,"lit":true,"installed":"2019-05-01","seen":"2024-03-02T10:11:12.345678Z","condition":"fair","tags":["a",1,true]}`
	if string(full.Properties) != want || full.Version != 2 || full.ExternalID != "full" {
		t.Errorf("full after migrating: version %d, %s\nwant version 2, %s", full.Version, full.Properties, want)
	}
	vs, err := s.History(ctx, "signs", ids["full"], 0, 0)
	if err != nil || len(vs) != 2 || vs[0].Version != 1 || vs[1].Version != 2 || !vs[0].Content || !vs[1].Content {
		t.Fatalf("history of full: %+v, %v", vs, err)
	}
	if lanes, _ := vs[0].Properties.Get("lanes"); lanes.Int() != 4 {
		t.Errorf("version 1 of full: %s", vs[0].Properties)
	}
	if string(vs[1].Properties) != want {
		t.Errorf("version 2 of full: %s", vs[1].Properties)
	}
	for _, ext := range []string{"z", "multi", "nogeom"} {
		f, err := s.Feature(ctx, "signs", ids[ext])
		if err != nil {
			t.Errorf("%s: %v", ext, err)
			continue
		}
		if ext == "z" && (len(f.Geometry.FlatCoords()) != 3 || f.Geometry.FlatCoords()[2] != 3) {
			t.Errorf("z lost its Z: %v", f.Geometry.FlatCoords())
		}
		if ext == "nogeom" && (f.Geometry != nil || string(f.Properties) != `{"name":"nowhere"}`) {
			t.Errorf("nogeom: %v %s", f.Geometry, f.Properties)
		}
	}
	if _, err := s.Feature(ctx, "signs", ids["enum"]); !errors.Is(err, store.ErrBadData) {
		t.Errorf("the row outside the enumeration: %v, want ErrBadData (kept, quarantined)", err)
	}
	for _, ext := range []string{"bad_integer", "unknown"} {
		if _, err := s.Feature(ctx, "signs", ids[ext]); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: %v, want it moved out of the layer", ext, err)
		}
		var props, reason string
		err := conn.QueryRow(ctx, `SELECT properties::text, reason FROM rejected_features WHERE collection = 'signs' AND id = $1`, ids[ext]).Scan(&props, &reason)
		if err != nil || props == "" || reason == "" {
			t.Errorf("%s in rejected_features: %q, %q, %v", ext, props, reason, err)
		}
		t.Logf("rejected %s: %s (%s)", ext, props, reason)
	}
	st, err := store.Open(ctx, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ci, err := st.Collection("signs"); err != nil || ci.Count != 4 {
		t.Errorf("signs: %d features (%v), want 4 (and one quarantined)", ci.Count, err)
	}
	if ci, err := st.Collection("parks"); err != nil || ci.Count != 1 {
		t.Errorf("parks: %d features (%v), want 1", ci.Count, err)
	}

	// The typed table, as QGIS sees it.
	types := map[string]string{}
	trows, err := conn.Query(ctx, `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'features_signs'`)
	if err != nil {
		t.Fatal(err)
	}
	var col, typ string
	for trows.Next() {
		if err := trows.Scan(&col, &typ); err != nil {
			t.Fatal(err)
		}
		types[col] = typ
	}
	for col, typ := range map[string]string{"name": "text", "lanes": "bigint", "height": "double precision", "lit": "boolean",
		"installed": "date", "seen": "timestamp with time zone", "condition": "text", "tags": "jsonb", "geom": "USER-DEFINED"} {
		if types[col] != typ {
			t.Errorf("column %s is %q, want %q", col, types[col], typ)
		}
	}
	// PostGIS's geometry_columns (what QGIS and GDAL list) gives each
	// layer its SRID and type.
	gc, err := conn.Query(ctx, `SELECT f_table_name, type, srid FROM geometry_columns WHERE f_table_schema = current_schema() AND f_table_name LIKE 'features\_%' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	var name, gtype string
	var srid int
	for gc.Next() {
		if err := gc.Scan(&name, &gtype, &srid); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprint(name, " ", gtype, " ", srid))
	}
	if want := "[features_parks POLYGON 4326 features_signs POINT 4326]"; fmt.Sprint(got) != want {
		t.Errorf("geometry_columns: %v, want %s", got, want)
	}
	// Written past the service, checked by the database.
	conn = connect(t, url)
	for _, set := range []string{`lanes = 'many'`, `condition = 'excellent'`, `height = 'Infinity'`, `tags = '{"a": 1}'`,
		`geom = ST_SetSRID('LINESTRING(0 0,1 1)'::geometry, 4326)`} {
		_, err := conn.Exec(ctx, `UPDATE features_signs SET `+set+` WHERE id = $1`, ids["z"])
		if err == nil {
			t.Errorf("the database took %s", set)
		} else if !strings.Contains(err.Error(), "violates check constraint") && !strings.Contains(err.Error(), "invalid input syntax") {
			t.Logf("%s: %v", set, err)
		}
	}
	// Ids go on after the old ones; the triggers follow direct writes.
	before := lastSeq(t, s)
	var newID int64
	if err := conn.QueryRow(ctx, `INSERT INTO features_signs (name, geom) VALUES ('after', ST_SetSRID(ST_MakePoint(1, 2), 4326)) RETURNING id`).Scan(&newID); err != nil {
		t.Fatal(err)
	}
	if newID <= ids["nogeom"] {
		t.Errorf("new id %d, want more than %d", newID, ids["nogeom"])
	}
	chs, err := s.Changes(ctx, before, 0)
	if err != nil || len(chs) != 1 || chs[0].FeatureID != newID || chs[0].Collection != "signs" || chs[0].Op != store.OpInsert {
		t.Errorf("changes after a psql insert: %+v, %v", chs, err)
	}
}
