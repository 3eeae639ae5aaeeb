package gpkg

import (
	"context"
	"maps"
	"regexp"
	"testing"

	"github.com/twpayne/go-geom"

	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/storetest"
)

var layerLine = regexp.MustCompile(`(?m)^\d+: (\S+)(?: \((.+)\))?$`)

// ogrLayers runs ogrinfo on the file and returns each layer it lists with
// its geometry type as ogrinfo says it ("" when it says none).
func ogrLayers(t *testing.T, path string) map[string]string {
	t.Helper()
	out := run(t, needTool(t, "ogrinfo"), "-ro", path)
	layers := map[string]string{}
	for _, m := range layerLine.FindAllStringSubmatch(out, -1) {
		layers[m[1]] = m[2]
	}
	if len(layers) == 0 {
		t.Fatalf("ogrinfo lists no layers:\n%s", out)
	}
	return layers
}

// TestOgrinfoLayers: ogrinfo (as QGIS, through GDAL) lists a store file's
// collections and nothing else, each with its collection's geometry type:
// a Polygon layer that also holds a MultiPolygon is a Polygon layer, an
// any-geometry layer has no single type. A file written before (its
// polygon layer registered as GEOMETRY, the change log in gpkg_contents)
// is put right when the store opens it.
func TestOgrinfoLayers(t *testing.T) {
	ctx := context.Background()
	s, path := MustOpen(t)
	parks := storetest.MustCreate(t, s, storetest.Assets("parks", store.GeometryPolygon))
	signs := storetest.MustCreate(t, s, storetest.Assets("signs", store.GeometryPoint))
	things := storetest.MustCreate(t, s, storetest.Assets("things", store.GeometryAny))
	ring := []float64{0, 0, 1, 0, 1, 1, 0, 0}
	storetest.MustApply(t, s, parks.ID,
		store.Mutation{Op: store.OpInsert, Feature: store.Feature{Geometry: geom.NewPolygonFlat(geom.XY, ring, []int{8})}},
		store.Mutation{Op: store.OpInsert, Feature: store.Feature{Geometry: geom.NewMultiPolygonFlat(geom.XY, ring, [][]int{{8}})}})
	storetest.MustApply(t, s, signs.ID, store.Mutation{Op: store.OpInsert, Feature: store.Feature{Geometry: storetest.Point(1, 1)}})
	storetest.MustApply(t, s, things.ID, store.Mutation{Op: store.OpInsert, Feature: store.Feature{Geometry: storetest.Point(1, 1)}})
	want := map[string]string{"parks": "Polygon", "signs": "Point", "things": ""}

	check := func(when string) {
		t.Helper()
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if got := ogrLayers(t, path); !maps.Equal(got, want) {
			t.Errorf("%s: ogrinfo lists %v, want %v", when, got, want)
		}
	}
	check("new file")

	// The file as the store used to write it.
	var err error
	if s, err = Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, q := range []string{
		"UPDATE gpkg_geometry_columns SET geometry_type_name = 'GEOMETRY' WHERE table_name = 'parks'",
		"INSERT INTO gpkg_contents (table_name, data_type, identifier, description) VALUES ('cityatlas_changes', 'attributes', 'cityatlas_changes', 'cityatlas change log')",
		"DELETE FROM gpkg_extensions WHERE extension_name = 'gdal_aspatial'",
	} {
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := ogrLayers(t, path); maps.Equal(got, want) {
		t.Fatalf("the old form of the file lists %v already: the test shows nothing", got)
	}
	if s, err = Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	check("an old file opened again")
}
