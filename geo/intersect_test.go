package geo

import (
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

func TestIntersects(t *testing.T) {
	square := orb.Polygon{{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}}
	holed := orb.Polygon{{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}, {{4, 4}, {4, 6}, {6, 6}, {6, 4}, {4, 4}}}
	cases := []struct {
		name string
		g    orb.Geometry
		area orb.Geometry
		want bool
	}{
		{"point inside", orb.Point{5, 5}, square, true},
		{"point on edge", orb.Point{10, 5}, square, true},
		{"point on corner", orb.Point{0, 0}, square, true},
		{"point outside", orb.Point{11, 5}, square, false},
		{"point in hole", orb.Point{5, 5}, holed, false},
		{"point on hole edge", orb.Point{4, 5}, holed, true},
		{"line crossing without vertex inside", orb.LineString{{-1, 5}, {11, 5}}, square, true},
		{"line inside hole", orb.LineString{{4.5, 4.5}, {5.5, 5.5}}, holed, false},
		{"line crossing hole", orb.LineString{{5, 3}, {5, 7}}, holed, true},
		{"line outside", orb.LineString{{-5, -5}, {-1, 20}}, square, false},
		{"polygon containing area", orb.Polygon{{{-5, -5}, {15, -5}, {15, 15}, {-5, 15}, {-5, -5}}}, square, true},
		{"polygon inside hole", orb.Polygon{{{4.5, 4.5}, {5.5, 4.5}, {5.5, 5.5}, {4.5, 5.5}, {4.5, 4.5}}}, holed, false},
		{"polygons crossing like a plus", orb.Polygon{{{4, -2}, {6, -2}, {6, 12}, {4, 12}, {4, -2}}}, orb.Polygon{{{-2, 4}, {12, 4}, {12, 6}, {-2, 6}, {-2, 4}}}, true},
		{"touching edges", orb.Polygon{{{10, 0}, {20, 0}, {20, 10}, {10, 10}, {10, 0}}}, square, true},
		{"multipolygon second part", orb.Point{25, 25}, orb.MultiPolygon{square, {{{20, 20}, {30, 20}, {30, 30}, {20, 30}, {20, 20}}}}, true},
		{"collection", orb.Collection{orb.Point{50, 50}, orb.Point{1, 1}}, square, true},
		{"bound area", orb.Point{1, 1}, orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{2, 2}}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Intersects(tc.g, tc.area); got != tc.want {
				t.Errorf("Intersects = %v, want %v", got, tc.want)
			}
			a, ok := Prepare(tc.area)
			if !ok {
				t.Fatalf("Prepare(%T) refused an area", tc.area)
			}
			if got := a.Intersects(tc.g); got != tc.want {
				t.Errorf("prepared Intersects = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestIntersectsPointsAgreeWithOrb checks random points against orb's own
// planar.PolygonContains, away from boundaries where the two may differ.
func TestIntersectsPointsAgreeWithOrb(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	holed := orb.Polygon{
		{{0, 0}, {10, 0}, {12, 7}, {5, 12}, {-2, 8}, {0, 0}},
		{{3, 3}, {3, 6}, {6, 6}, {7, 3}, {3, 3}},
	}
	prepared, _ := Prepare(orb.MultiPolygon{holed, {{{20, 20}, {21, 20}, {21, 21}, {20, 20}}}})
	for range 20000 {
		p := orb.Point{rng.Float64()*16 - 3, rng.Float64()*16 - 3}
		want := planar.PolygonContains(holed, p)
		if got := Intersects(p, holed); got != want {
			t.Fatalf("point %v: Intersects %v, orb %v", p, got, want)
		}
		if got := prepared.ContainsPoint(p); got != want {
			t.Fatalf("point %v: prepared ContainsPoint %v, orb %v", p, got, want)
		}
	}
}

func TestIntersectsBound(t *testing.T) {
	line := orb.LineString{{0, 0}, {10, 10}}
	b := func(x0, y0, x1, y1 float64) orb.Bound {
		return orb.Bound{Min: orb.Point{x0, y0}, Max: orb.Point{x1, y1}}
	}
	if !IntersectsBound(line, b(4, 4, 6, 6)) {
		t.Error("box on the diagonal")
	}
	if IntersectsBound(line, b(8, 0, 10, 2)) {
		t.Error("box in the line's bounds but off the line")
	}
	if !IntersectsBound(orb.Point{1, 1}, b(1, 1, 2, 2)) {
		t.Error("point on the box corner")
	}
}

func TestDistance(t *testing.T) {
	// Imperial to El Centro is about 6.8 km.
	if d := Distance(orb.Point{-115.5694, 32.8476}, orb.Point{-115.5631, 32.792}); d < 6000 || d > 7000 {
		t.Errorf("Imperial–El Centro %g m", d)
	}
}
