package postgis

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkb"
	"github.com/twpayne/go-geom/encoding/wkt"

	"github.com/cityatlas/cityatlas/geo"
	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/storetest"
)

type wkbCase struct {
	name, wkt string
	wkb       []byte
}

// postgisWKB reads testdata/postgis-wkb.tsv.
func postgisWKB(tb testing.TB) []wkbCase {
	tb.Helper()
	f, err := os.Open("testdata/postgis-wkb.tsv")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var cases []wkbCase
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, "\t")
		if len(parts) != 3 {
			tb.Fatalf("bad line %q", line)
		}
		b, err := hex.DecodeString(parts[2])
		if err != nil {
			tb.Fatalf("%s: %v", parts[0], err)
		}
		cases = append(cases, wkbCase{parts[0], parts[1], b})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	if len(cases) < 10 {
		tb.Fatalf("only %d cases in testdata/postgis-wkb.tsv", len(cases))
	}
	return cases
}

// sameGeometry reports whether a and b have the same type, layout and
// coordinates (NaN equal to NaN, for empty points).
func sameGeometry(a, b geom.T) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if reflect.TypeOf(a) != reflect.TypeOf(b) || a.Empty() != b.Empty() {
		return false
	}
	if ga, ok := a.(*geom.GeometryCollection); ok {
		gb := b.(*geom.GeometryCollection)
		if ga.NumGeoms() != gb.NumGeoms() {
			return false
		}
		for i := range ga.NumGeoms() {
			if !sameGeometry(ga.Geom(i), gb.Geom(i)) {
				return false
			}
		}
		return ga.NumGeoms() > 0 || ga.Layout() == gb.Layout() || ga.Layout() == geom.NoLayout || gb.Layout() == geom.NoLayout
	}
	if a.Layout() != b.Layout() {
		return false
	}
	fa, fb := a.FlatCoords(), b.FlatCoords()
	if len(fa) != len(fb) {
		return false
	}
	for i := range fa {
		if fa[i] != fb[i] && !(math.IsNaN(fa[i]) && math.IsNaN(fb[i])) {
			return false
		}
	}
	return reflect.DeepEqual(a.Ends(), b.Ends()) && reflect.DeepEqual(a.Endss(), b.Endss())
}

// TestPostGISWKB checks the WKB that PostGIS sends against the WKT it came
// from, and that the package encodes each geometry to PostGIS's bytes.
func TestPostGISWKB(t *testing.T) {
	any := store.Collection{ID: "any", Geometry: store.GeometryAny}
	for _, tc := range postgisWKB(t) {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeGeometry(tc.wkb)
			if err != nil {
				t.Fatal(err)
			}
			if got.SRID() != 4326 {
				t.Errorf("SRID %d, want 4326", got.SRID())
			}
			if tc.name != "point_empty" { // go-geom's WKT has no empty point
				want, err := wkt.Unmarshal(tc.wkt)
				if err != nil {
					t.Fatalf("wkt %q: %v", tc.wkt, err)
				}
				if !sameGeometry(got, want) {
					t.Fatalf("decoded %#v, want %#v", got, want)
				}
			}
			enc, err := encodeGeometry(&any, got)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(enc, tc.wkb) {
				t.Errorf("encoded %x, PostGIS has %x", enc, tc.wkb)
			}
		})
	}
}

func FuzzDecodeGeometry(f *testing.F) {
	for _, tc := range postgisWKB(f) {
		f.Add(tc.wkb)
	}
	any := store.Collection{ID: "any", Geometry: store.GeometryAny}
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := decodeGeometry(b)
		if err != nil || g == nil {
			return
		}
		enc, err := encodeGeometry(&any, g)
		if err != nil {
			return // e.g. NaN coordinates, refused on the way in
		}
		g2, err := decodeGeometry(enc)
		if err != nil {
			t.Fatalf("re-encoded %x does not decode: %v", enc, err)
		}
		if !sameGeometry(g, g2) {
			t.Fatalf("round trip changed %#v into %#v", g, g2)
		}
	})
}

func TestEncodeGeometryRefuses(t *testing.T) {
	polys := store.Collection{ID: "parks", Geometry: store.GeometryPolygon}
	any := store.Collection{ID: "any", Geometry: store.GeometryAny}
	gc := geom.NewGeometryCollection()
	if err := gc.Push(geom.NewPointFlat(geom.XY, []float64{1, math.Inf(1)})); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		c    *store.Collection
		g    geom.T
	}{
		{"point into polygons", &polys, geom.NewPointFlat(geom.XY, []float64{1, 2})},
		{"line into polygons", &polys, geom.NewLineStringFlat(geom.XY, []float64{1, 2, 3, 4})},
		{"collection into polygons", &polys, geom.NewGeometryCollection()},
		{"NaN", &any, geom.NewLineStringFlat(geom.XY, []float64{1, 2, math.NaN(), 4})},
		{"infinite Z", &any, geom.NewPointFlat(geom.XYZ, []float64{1, 2, math.Inf(-1)})},
		{"infinite in a collection", &any, gc},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if b, err := encodeGeometry(tt.c, tt.g); !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("encodeGeometry = %x, %v; want ErrInvalid", b, err)
			}
		})
	}
}

// TestGeometryRoundTripDB writes every geometry of testdata/postgis-wkb.tsv
// and storetest.Geometries through Apply and reads it back with Feature,
// Query and Scan, on both write paths.
func TestGeometryRoundTripDB(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	want := map[string]geom.T{}
	for _, tc := range postgisWKB(t) {
		g, err := wkb.Unmarshal(tc.wkb, emptyPointAsNaN)
		if err != nil {
			t.Fatal(err)
		}
		want["tsv "+tc.name] = g
	}
	for name, g := range storetest.Geometries() {
		want["storetest "+name] = g
	}
	for _, path := range []struct {
		name    string
		bulkMin int
	}{{"one by one", 1 << 30}, {"COPY", 1}} {
		t.Run(path.name, func(t *testing.T) {
			s.bulkMin = path.bulkMin
			c := storetest.MustCreate(t, s, storetest.Assets("g_"+strings.ReplaceAll(strings.ToLower(path.name), " ", "_"), store.GeometryAny))
			var (
				ms    []store.Mutation
				names []string
			)
			for name, g := range want {
				names = append(names, name)
				ms = append(ms, store.Mutation{Op: store.OpUpsert, Feature: store.Feature{ExternalID: name, Geometry: g}})
			}
			rs := storetest.MustApply(t, s, c.ID, ms...)
			byID := map[int64]string{}
			for i, r := range rs {
				byID[r.Feature.ID] = names[i]
				f, err := s.Feature(ctx, c.ID, r.Feature.ID)
				if err != nil {
					t.Fatal(err)
				}
				if !sameGeometry(f.Geometry, want[names[i]]) {
					t.Errorf("%s: Feature read %#v, want %#v", names[i], f.Geometry, want[names[i]])
				}
			}
			n := 0
			err := s.Scan(ctx, c.ID, func(f store.Feature) error {
				n++
				if !sameGeometry(f.Geometry, want[byID[f.ID]]) {
					t.Errorf("%s: Scan read %#v", byID[f.ID], f.Geometry)
				}
				return nil
			})
			if err != nil || n != len(want) {
				t.Fatalf("Scan: %d features, %v", n, err)
			}
			// Writing the same geometries again changes nothing: Z and M
			// survive the comparison.
			for i, r := range storetest.MustApply(t, s, c.ID, ms...) {
				if r.Outcome != store.Unchanged {
					t.Errorf("%s: second upsert %s, want unchanged", names[i], r.Outcome)
				}
			}
		})
	}
}

// TestPointWKB: the fast path for points writes what go-geom's writer does.
func TestPointWKB(t *testing.T) {
	for _, p := range []*geom.Point{
		geom.NewPointFlat(geom.XY, []float64{-115.5, 32.8}),
		geom.NewPointFlat(geom.XYZ, []float64{-115.5, 32.8, 12.25}),
		geom.NewPointFlat(geom.XYM, []float64{1, 2, 3}),
		geom.NewPointFlat(geom.XYZM, []float64{1, 2, 3, 4}),
	} {
		want, err := wkb.Marshal(p, wkb.NDR)
		if err != nil {
			t.Fatal(err)
		}
		d, _ := geo.Dims(p.Layout())
		if got := pointWKB(p, d); !bytes.Equal(got, want) {
			t.Errorf("%v: pointWKB %x, wkb.Marshal %x", p.Layout(), got, want)
		}
	}
}
