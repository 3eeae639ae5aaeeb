package postgis

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cityatlas/cityatlas/internal/tooltest"
	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/postgis/pgtest"
	"github.com/cityatlas/cityatlas/store/storetest"
)

// gdalTool returns the path of a GDAL command line tool (see tooltest).
func gdalTool(t *testing.T, name string) string { return tooltest.Need(t, name, "gdal-bin") }

// gdalSource is the GDAL PostgreSQL data source of store s's schema.
func gdalSource(t *testing.T, s *Store) string {
	t.Helper()
	u, err := url.Parse(os.Getenv(pgtest.EnvURL))
	if err != nil {
		t.Fatal(err)
	}
	var schema string
	if err := s.pool.QueryRow(context.Background(), "SELECT current_schema()").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	parts := []string{"dbname=" + strings.TrimPrefix(u.Path, "/"), "active_schema=" + schema}
	for k, vs := range u.Query() {
		parts = append(parts, k+"="+vs[0])
	}
	if u.Host != "" {
		parts = append(parts, "host="+u.Hostname())
		if p := u.Port(); p != "" {
			parts = append(parts, "port="+p)
		}
	}
	if u.User != nil {
		parts = append(parts, "user="+u.User.Username())
		if pw, ok := u.User.Password(); ok {
			parts = append(parts, "password="+pw)
		}
	}
	return "PG:" + strings.Join(parts, " ")
}

// TestGDALSeesTypedLayers: GDAL's PostgreSQL driver (what QGIS uses) opens
// a layer's table as an ordinary layer with typed fields and the right
// count, and a feature it appends (as a QGIS edit would) is taken by the
// database's triggers into the change log and reads back through the
// service.
func TestGDALSeesTypedLayers(t *testing.T) {
	ogrinfo, ogr2ogr := gdalTool(t, "ogrinfo"), gdalTool(t, "ogr2ogr")
	ctx := context.Background()
	s := mustOpen(t)
	spec := storetest.Assets("signs", store.GeometryPoint)
	spec.Fields = append(spec.Fields, store.Field{Name: "tags", Type: store.TypeArray})
	c := storetest.MustCreate(t, s, spec)
	storetest.MustApply(t, s, c.ID,
		store.Mutation{Op: store.OpInsert, Feature: store.Feature{ExternalID: "a", Geometry: storetest.Point(-115.56, 32.85),
			Properties: storetest.Props(t, c, map[string]any{"name": "Main", "lanes": 2, "height": 2.5, "lit": true,
				"installed": "2020-01-02", "seen": "2024-05-06T07:08:09Z", "condition": "good", "tags": []any{"x", 1}})}},
		store.Mutation{Op: store.OpInsert, Feature: store.Feature{Geometry: storetest.Point(-115.57, 32.86)}},
		store.Mutation{Op: store.OpInsert, Feature: store.Feature{Properties: storetest.Props(t, c, map[string]any{"name": "no geometry"})}})
	src := gdalSource(t, s)

	out, err := exec.Command(ogrinfo, "-ro", "-so", src, "features_signs").CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, out)
	}
	t.Logf("ogrinfo:\n%s", out)
	text := string(out)
	if !strings.Contains(text, "Feature Count: 3") {
		t.Errorf("ogrinfo does not count 3 features")
	}
	for field, typ := range map[string]string{"name": "String", "lanes": "Integer64", "height": "Real", "lit": "Integer(Boolean)",
		"installed": "Date", "seen": "DateTime", "condition": "String", "tags": "String(JSON)", "external_id": "String", "version": "Integer64"} {
		if !regexp.MustCompile(`(?m)^` + field + `: ` + regexp.QuoteMeta(typ) + ` `).MatchString(text) {
			t.Errorf("ogrinfo does not show field %s as %s", field, typ)
		}
	}
	if !strings.Contains(text, "FID Column = id") || !strings.Contains(text, "Geometry Column = geom") {
		t.Errorf("ogrinfo does not take id as the FID and geom as the geometry")
	}

	// A feature appended by GDAL: typed values, a default id, the trigger's
	// version and change-log entry.
	before := lastSeq(t, s)
	in := filepath.Join(t.TempDir(), "new.geojson")
	if err := os.WriteFile(in, []byte(`{"type":"FeatureCollection","features":[{"type":"Feature",
		"geometry":{"type":"Point","coordinates":[-115.55,32.84]},
		"properties":{"name":"from GDAL","lanes":3,"condition":"fair","installed":"2021-03-04"}}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(ogr2ogr, "-update", "-append", "-nln", "features_signs", "-a_srs", "EPSG:4326", src, in).CombinedOutput()
	if err != nil {
		t.Fatalf("ogr2ogr -append: %v\n%s", err, out)
	}
	chs, err := s.Changes(ctx, before, 0)
	if err != nil || len(chs) != 1 || chs[0].Op != store.OpInsert {
		t.Fatalf("changes after the GDAL append: %+v, %v", chs, err)
	}
	f, err := s.Feature(ctx, c.ID, chs[0].FeatureID)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"name":"from GDAL","lanes":3,"installed":"2021-03-04","condition":"fair"}`; string(f.Properties) != want || f.Version != 1 {
		t.Errorf("the GDAL feature reads back as version %d %s, want version 1 %s", f.Version, f.Properties, want)
	}
	// One that breaks the schema is refused by the database.
	bad := filepath.Join(t.TempDir(), "bad.geojson")
	if err := os.WriteFile(bad, []byte(`{"type":"FeatureCollection","features":[{"type":"Feature",
		"geometry":{"type":"Point","coordinates":[-115.55,32.84]},"properties":{"condition":"splendid"}}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(ogr2ogr, "-update", "-append", "-nln", "features_signs", "-a_srs", "EPSG:4326", src, bad).CombinedOutput(); err == nil {
		if chs, _ := s.Changes(ctx, chs[0].Seq, 0); len(chs) != 0 {
			t.Errorf("the database took a condition outside the layer's values:\n%s", out)
		}
	}
}
