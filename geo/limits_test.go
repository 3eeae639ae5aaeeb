package geo

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkt"
)

// nestedWKT is the geometry that, written into PostGIS by another client,
// used to make serve panic in go-geom's Bounds.
const nestedWKT = "GEOMETRYCOLLECTION(POINT(0 0),GEOMETRYCOLLECTION(POINT(1 1)))"

func TestCheckStorable(t *testing.T) {
	mustWKT := func(s string) geom.T {
		g, err := wkt.Unmarshal(s)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	cases := []struct {
		name    string
		g       geom.T
		wantErr string
	}{
		{"nil", nil, ""},
		{"point", mustWKT("POINT(1 2)"), ""},
		{"empty point", geom.NewPointEmpty(geom.XY), ""},
		{"point zm", mustWKT("POINT ZM (1 2 3 4)"), ""},
		{"collection", mustWKT("GEOMETRYCOLLECTION(POINT(0 0),LINESTRING(0 0,1 1))"), ""},
		{"empty collection", geom.NewGeometryCollection(), ""},
		{"nested collection", mustWKT(nestedWKT), "inside a GeometryCollection"},
		{"NaN", geom.NewPointFlat(geom.XY, []float64{math.NaN(), 1}), "not a finite number"},
		{"Inf in a line", geom.NewLineStringFlat(geom.XYZ, []float64{0, 0, 0, 1, 1, math.Inf(1)}), "not a finite number"},
		{"too many positions", geom.NewMultiPointFlat(geom.XY, make([]float64, 2*(MaxPositions+1))), "more than 1000000 positions"},
		{"too many positions across a collection", geom.NewGeometryCollection().MustPush(
			geom.NewLineStringFlat(geom.XY, make([]float64, MaxPositions)),
			geom.NewLineStringFlat(geom.XY, make([]float64, MaxPositions+2))), "more than 1000000 positions"},
		{"as many positions as allowed", geom.NewMultiPointFlat(geom.XY, make([]float64, 2*MaxPositions)), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckStorable(tc.g)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if !errors.Is(err, ErrGeometry) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.wantErr)
			}
			if Validate(tc.g) == nil {
				t.Fatal("Validate accepts what CheckStorable refuses")
			}
		})
	}
}

// TestNestedCollectionNoPanic: the functions the index calls on a stored
// geometry answer a nested collection instead of panicking.
func TestNestedCollectionNoPanic(t *testing.T) {
	g, err := wkt.Unmarshal(nestedWKT)
	if err != nil {
		t.Fatal(err)
	}
	b, ok := Bounds(g)
	if !ok || b != [4]float64{0, 0, 1, 1} {
		t.Errorf("Bounds = %v, %v; want [0 0 1 1], true", b, ok)
	}
	if _, err := ToOrb(g); err != nil {
		t.Errorf("ToOrb: %v", err)
	}
	if got := string(AppendGeoJSON(nil, g)); !strings.Contains(got, `"GeometryCollection","geometries":[{"type":"Point"`) {
		t.Errorf("AppendGeoJSON = %s", got)
	}
}

func TestBounds(t *testing.T) {
	for _, tc := range []struct {
		wkt  string
		want [4]float64
		ok   bool
	}{
		{"POINT(1 2)", [4]float64{1, 2, 1, 2}, true},
		{"POINT Z (1 2 3)", [4]float64{1, 2, 1, 2}, true},
		{"LINESTRING(3 -1,-2 4)", [4]float64{-2, -1, 3, 4}, true},
		{"GEOMETRYCOLLECTION(POINT(5 5),LINESTRING(0 1,2 3))", [4]float64{0, 1, 5, 5}, true},
		{"GEOMETRYCOLLECTION EMPTY", [4]float64{}, false},
		{"POINT EMPTY", [4]float64{}, false},
	} {
		g, err := wkt.Unmarshal(tc.wkt)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := Bounds(g)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Bounds(%s) = %v, %v; want %v, %v", tc.wkt, got, ok, tc.want, tc.ok)
		}
	}
}

func TestDecodeGeoJSONBounds(t *testing.T) {
	cases := []struct{ name, in, wantErr string }{
		{"nested collection", `{"type":"GeometryCollection","geometries":[{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,1]}]}]}`, "inside a GeometryCollection"},
		{"deep arrays", `{"type":"Point","coordinates":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}`, "nested more than 7 deep"},
		{"deep objects", strings.Repeat(`{"a":`, 50) + `1` + strings.Repeat(`}`, 50), "nested more than 7 deep"},
		{"brackets in strings do not count", `{"type":"Point","coordinates":[1,2],"x":"[[[[[[[[[[\"[[[["}`, ""},
		{"too long", `{"type":"Point","coordinates":[1,2]` + strings.Repeat(" ", MaxGeoJSONBytes) + `}`, "at most"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeGeoJSON([]byte(tc.in))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if !errors.Is(err, ErrGeometry) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.wantErr)
			}
		})
	}
}

func TestJSONDepth(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
	}{
		{`1`, 0},
		{`"[[{"`, 0},
		{`[1,2]`, 1},
		{`{"a":[1,[2]]}`, 3},
		{`{"a":"\"[[["}`, 1},
		{`[[[]],[]]`, 3},
	} {
		if got := JSONDepth([]byte(c.in)); got != c.want {
			t.Errorf("JSONDepth(%s) = %d, want %d", c.in, got, c.want)
		}
	}
}
