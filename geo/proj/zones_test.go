package proj

import (
	"testing"

	"github.com/twpayne/go-geom"
)

func TestUTMZone(t *testing.T) {
	for _, tc := range []struct {
		lon, lat float64
		want     string
	}{
		{-115.56944, 32.84755, "EPSG:32611"}, // Imperial, CA
		{-87.63, 41.88, "EPSG:32616"},        // Chicago
		{151.2, -33.87, "EPSG:32756"},        // Sydney
		{-180, 0, "EPSG:32601"},
		{180, 10, "EPSG:32660"},
		{179.999, -1, "EPSG:32760"},
	} {
		if got := UTMZone(tc.lon, tc.lat); got != tc.want {
			t.Errorf("UTMZone(%v, %v) = %s, want %s", tc.lon, tc.lat, got, tc.want)
		}
	}
}

func TestStatePlane(t *testing.T) {
	for _, tc := range []struct {
		name     string
		lon, lat float64
		want     string
	}{
		{"Imperial CA (zone 6, not 5 whose box also holds it)", -115.56944, 32.84755, "EPSG:2230"},
		{"Los Angeles CA zone 5", -118.24, 34.05, "EPSG:2229"},
		{"Phoenix AZ Central, international feet", -112.07, 33.45, "EPSG:2223"},
		{"Manhattan NY Long Island", -73.97, 40.78, "EPSG:2263"},
	} {
		got, ok := StatePlane(tc.lon, tc.lat)
		if !ok || got != tc.want {
			t.Errorf("%s: StatePlane = %s %v, want %s", tc.name, got, ok, tc.want)
		}
	}
	if got, ok := StatePlane(2.35, 48.86); ok {
		t.Errorf("Paris has a State Plane zone %s", got)
	}
}

func TestFromWGS84Geom(t *testing.T) {
	c := mustParse(t, "EPSG:2230")
	g := geom.NewLineStringFlat(geom.XYZ, []float64{-115.56944, 32.84755, 7, -115.53027, 32.97866, 8})
	if err := c.FromWGS84Geom(g); err != nil {
		t.Fatal(err)
	}
	// PROJ's numbers (testdata/imperial_places_wgs84_to_epsg2230_and_26911.csv).
	want := []float64{6770683.8948, 1888840.5404, 7, 6782384.5179, 1936624.1816, 8}
	for i, v := range g.FlatCoords() {
		if d := v - want[i]; d > 0.001 || d < -0.001 {
			t.Errorf("coordinate %d = %.4f, want %.4f", i, v, want[i])
		}
	}
	// All or nothing: the far side of the globe fails and changes nothing.
	utm := mustParse(t, "EPSG:32611")
	bad := geom.NewLineStringFlat(geom.XY, []float64{-115, 32, 80, 0})
	if err := utm.FromWGS84Geom(bad); err == nil {
		t.Fatal("no error for a point 197° from the central meridian")
	}
	if bad.FlatCoords()[0] != -115 {
		t.Errorf("failed transform changed the geometry: %v", bad.FlatCoords())
	}
}
