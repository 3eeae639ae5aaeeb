package demo

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/twpayne/go-geom"
)

// toOrb converts a go-geom polygon to orb, for an independent
// point-in-polygon test.
func toOrb(p *geom.Polygon) orb.Polygon {
	var out orb.Polygon
	for k := 0; k < p.NumLinearRings(); k++ {
		var r orb.Ring
		for _, c := range p.LinearRing(k).Coords() {
			r = append(r, orb.Point{c.X(), c.Y()})
		}
		out = append(out, r)
	}
	return out
}

func TestPlaces(t *testing.T) {
	places := Places()
	if len(places) != 12 {
		t.Fatalf("Places() has %d places, want the 12 of data/places.csv", len(places))
	}
	byName := map[string]Place{}
	for _, p := range places {
		byName[p.Name] = p
	}
	tests := []struct {
		name     string
		lon, lat float64
	}{
		{"Imperial", -115.56944, 32.84755},
		{"El Centro", -115.56305, 32.792},
		{"Brawley", -115.53027, 32.97866},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, ok := byName[tc.name]
			if !ok {
				t.Fatalf("no place %q", tc.name)
			}
			if p.Lon != tc.lon || p.Lat != tc.lat {
				t.Errorf("%s at (%v, %v), want (%v, %v)", tc.name, p.Lon, p.Lat, tc.lon, tc.lat)
			}
		})
	}
	places[0].Name = "changed"
	if Places()[0].Name == "changed" {
		t.Error("Places returns the package's own slice; callers can corrupt it")
	}
}

func TestBoundary(t *testing.T) {
	limits, county := Boundary()
	lp, ok := limits.(*geom.Polygon)
	if !ok {
		t.Fatalf("city limits are %T, want *geom.Polygon", limits)
	}
	cp, ok := county.(*geom.Polygon)
	if !ok {
		t.Fatalf("county is %T, want *geom.Polygon", county)
	}
	if lp.SRID() != 4326 || cp.SRID() != 4326 {
		t.Errorf("SRIDs %d and %d, want 4326", lp.SRID(), cp.SRID())
	}
	ring := lp.LinearRing(0)
	first, last := ring.Coord(0), ring.Coord(ring.NumCoords()-1)
	if !first.Equal(geom.XY, last) {
		t.Errorf("city limits ring not closed: %v ... %v", first, last)
	}
	if a := planar.Area(toOrb(lp)); a <= 0 {
		t.Errorf("city limits ring is clockwise (signed area %v), want counter-clockwise", a)
	}
	ol, oc := toOrb(lp), toOrb(cp)
	centre := orb.Point{-115.5694, 32.8476}
	if !planar.PolygonContains(ol, centre) {
		t.Error("city limits do not contain the centre of Imperial")
	}
	for _, p := range Places() {
		if !planar.PolygonContains(oc, orb.Point{p.Lon, p.Lat}) {
			t.Errorf("county does not contain %s", p.Name)
		}
		if p.Name != "Imperial" && planar.PolygonContains(ol, orb.Point{p.Lon, p.Lat}) {
			t.Errorf("city limits of Imperial contain %s", p.Name)
		}
	}
	for _, c := range ring.Coords() {
		if !planar.PolygonContains(oc, orb.Point{c.X(), c.Y()}) {
			t.Errorf("city limits vertex %v outside the county", c)
		}
	}
	// About 5 km across at scale 1.
	b := Bounds(Options{Seed: 1})
	c := mustCity(t, Options{})
	w, h := (b[2]-b[0])*c.mLon, (b[3]-b[1])*c.mLat
	for _, d := range []float64{w, h} {
		if d < 4000 || d > 6000 {
			t.Errorf("city extent %.0f m × %.0f m, want about 5 km", w, h)
			break
		}
	}
}

func mustCity(t testing.TB, opts Options) *city {
	t.Helper()
	c, err := newCity(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestParsePlacesErrors(t *testing.T) {
	tests := []struct {
		name, in string
	}{
		{"empty", ""},
		{"no lng column", "name,lat\nA,1\n"},
		{"header only", "name,lat,lng\n"},
		{"bad lat", "name,lat,lng\nA,north,1\n"},
		{"lat out of range", "name,lat,lng\nA,91,1\n"},
		{"lng out of range", "name,lat,lng\nA,1,-181\n"},
		{"NaN", "name,lat,lng\nA,NaN,1\n"},
		{"empty name", "name,lat,lng\n,1,1\n"},
		{"short record", "name,lat,lng\nA,1\n"},
		{"bad quote", "name,lat,lng\n\"A,1,1\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parsePlaces(bytes.NewReader([]byte(tc.in)))
			if !errors.Is(err, errParse) {
				t.Errorf("parsePlaces(%q) error %v, want one wrapping errParse", tc.in, err)
			}
		})
	}
}

func TestParseBoundaryErrors(t *testing.T) {
	tests := []struct {
		name, in string
	}{
		{"not json", "{"},
		{"no features", `{"type":"FeatureCollection","features":[]}`},
		{"null geometry", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":null}]}`},
		{"point", readFile(t, "testdata/boundary_point.geojson")},
		{"projected", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[600000,3600000],[601000,3600000],[601000,3601000],[600000,3600000]]]}}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := parseBoundary([]byte(tc.in)); !errors.Is(err, errParse) {
				t.Errorf("parseBoundary error %v, want one wrapping errParse", err)
			}
		})
	}
	g, err := parseBoundary([]byte(readFile(t, "testdata/boundary_multipolygon.geojson")))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := g.(*geom.MultiPolygon); !ok {
		t.Errorf("got %T, want *geom.MultiPolygon", g)
	}
}

func readFile(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// seeds adds data/ files and testdata/ files matching pattern to f.
func seeds(f *testing.F, pattern string) {
	for _, dir := range []string{"data", "testdata"} {
		names, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			f.Fatal(err)
		}
		for _, n := range names {
			f.Add([]byte(readFile(f, n)))
		}
	}
}

func FuzzParsePlaces(f *testing.F) {
	seeds(f, "*.csv")
	f.Fuzz(func(t *testing.T, data []byte) {
		places, err := parsePlaces(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, errParse) {
				t.Fatalf("error %v does not wrap errParse", err)
			}
			return
		}
		if len(places) == 0 {
			t.Fatal("no error and no places")
		}
		for _, p := range places {
			if p.Name == "" || !(math.Abs(p.Lat) <= 90) || !(math.Abs(p.Lon) <= 180) {
				t.Fatalf("accepted a bad place %+v", p)
			}
		}
	})
}

func FuzzParseBoundary(f *testing.F) {
	seeds(f, "*.geojson")
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := parseBoundary(data)
		if err != nil {
			if !errors.Is(err, errParse) {
				t.Fatalf("error %v does not wrap errParse", err)
			}
			return
		}
		switch g.(type) {
		case *geom.Polygon, *geom.MultiPolygon:
		default:
			t.Fatalf("accepted a %T", g)
		}
		if g.SRID() != 4326 {
			t.Fatalf("SRID %d, want 4326", g.SRID())
		}
		flat := g.FlatCoords()
		for k := 0; k+1 < len(flat); k += g.Stride() {
			if !(math.Abs(flat[k]) <= 180 && math.Abs(flat[k+1]) <= 90) {
				t.Fatalf("accepted position (%v, %v)", flat[k], flat[k+1])
			}
		}
	})
}
