package ingest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/gpkg"
	"github.com/cityatlas/cityatlas/store/postgis"
	"github.com/cityatlas/cityatlas/store/postgis/pgtest"
)

// Files the tests import, where the repository keeps them.
const (
	suitePoints = "../importers/testdata/shapefile-suite/points.shp"
	suitePointM = "../importers/testdata/shapefile-suite/pointm.shp" // no .prj
	landmarks   = "../importers/testdata/chicago/Individual_Landmarks.csv"
	bangorParks = "../importers/testdata/bangor-me/parks.geojson"
	parking     = "../importers/testdata/bangor-me/OnStreetParking/OnStreetParking.shp"
	osmPoints   = "../testdata/osm-sfbay/osm_sfbay_traffic_signals_and_stops.geojson"
	imperialCSV = "testdata/imperial/imperial_places_wgs84_to_epsg2230_and_26911.csv"
)

// opener opens an empty backend that is closed when the test ends.
type opener func(t testing.TB) store.Backend

// backends are the two real backends; PostGIS skips without a database
// (fails under CI=true).
var backends = []struct {
	name string
	open opener
}{
	{"gpkg", openGPKG},
	{"postgis", openPostGIS},
}

func openGPKG(t testing.TB) store.Backend {
	t.Helper()
	b, err := gpkg.Open(context.Background(), filepath.Join(t.TempDir(), "test.gpkg"))
	if err != nil {
		t.Fatalf("gpkg.Open: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func openPostGIS(t testing.TB) store.Backend {
	t.Helper()
	ctx := context.Background()
	url := pgtest.URL(t, "cityatlas_ingest_")
	b, err := postgis.Open(ctx, url)
	if err != nil {
		t.Fatalf("postgis.Open: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// writeFile writes content to name in a temporary folder and returns the
// path.
func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// all returns every feature of the collection, by external id.
func all(t testing.TB, b store.Backend, coll string) map[string]store.Feature {
	t.Helper()
	out := map[string]store.Feature{}
	err := b.Scan(context.Background(), coll, func(f store.Feature) error {
		out[f.ExternalID] = f
		return nil
	})
	if err != nil {
		t.Fatalf("scan %s: %v", coll, err)
	}
	return out
}

// mustRun runs an import that must succeed.
func mustRun(t testing.TB, b store.Backend, files []string, opts Options) *Report {
	t.Helper()
	rep, err := Run(context.Background(), b, files, opts)
	if err != nil {
		for _, p := range rep.Problems {
			t.Log(p)
		}
		t.Fatalf("import %v: %v", files, err)
	}
	return rep
}

func hasCollection(t testing.TB, b store.Backend, id string) bool {
	t.Helper()
	cs, err := b.Collections(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.ID == id {
			return true
		}
	}
	return false
}

func lastSeq(t testing.TB, b store.Backend) int64 {
	t.Helper()
	s, err := b.LastSeq(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s
}
