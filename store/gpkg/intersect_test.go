package gpkg

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

func TestIntersects(t *testing.T) {
	// A 10×10 square with a 4..6 hole.
	holed := "POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0), (4 4, 4 6, 6 6, 6 4, 4 4))"
	cases := []struct {
		name string
		wkt  string
		box  [4]float64 // minx, miny, maxx, maxy
		want bool
	}{
		{"point inside", "POINT (1 1)", [4]float64{0, 0, 2, 2}, true},
		{"point on edge", "POINT (2 1)", [4]float64{0, 0, 2, 2}, true},
		{"point on corner", "POINT (2 2)", [4]float64{0, 0, 2, 2}, true},
		{"point outside", "POINT (2.001 1)", [4]float64{0, 0, 2, 2}, false},
		{"point z inside", "POINT Z (1 1 100)", [4]float64{0, 0, 2, 2}, true},
		{"box is a point on the point", "POINT (1 1)", [4]float64{1, 1, 1, 1}, true},
		{"line crosses box without vertex inside", "LINESTRING (-1 1, 3 1)", [4]float64{0, 0, 2, 2}, true},
		{"diagonal line passes by corner", "LINESTRING (0 3, 3 0)", [4]float64{0, 0, 1, 1}, false},
		{"diagonal line cuts corner", "LINESTRING (0 1.5, 1.5 0)", [4]float64{0, 0, 1, 1}, true},
		{"line touches box edge", "LINESTRING (2 -1, 2 5)", [4]float64{0, 0, 2, 2}, true},
		{"vertical line beside box", "LINESTRING (2.5 -1, 2.5 5)", [4]float64{0, 0, 2, 2}, false},
		{"line with box in its envelope only", "LINESTRING (0 0, 10 10)", [4]float64{8, 0.5, 9.5, 1.5}, false},
		{"box inside polygon", holed, [4]float64{1, 1, 2, 2}, true},
		{"box inside hole", holed, [4]float64{4.5, 4.5, 5.5, 5.5}, false},
		{"box over hole edge", holed, [4]float64{3.5, 4.5, 4.5, 5.5}, true},
		{"box around polygon", holed, [4]float64{-1, -1, 11, 11}, true},
		{"box outside polygon, inside envelope", "POLYGON ((0 0, 10 0, 0 10, 0 0))", [4]float64{8, 8, 9, 9}, false},
		{"box touches polygon corner", "POLYGON ((0 0, 10 0, 0 10, 0 0))", [4]float64{10, 0, 12, 2}, true},
		{"multipoint one in", "MULTIPOINT ((5 5), (1 1))", [4]float64{0, 0, 2, 2}, true},
		{"multipoint none in", "MULTIPOINT ((5 5), (3 3))", [4]float64{0, 0, 2, 2}, false},
		{"multilinestring second crosses", "MULTILINESTRING ((5 5, 6 6), (1 -1, 1 3))", [4]float64{0, 0, 2, 2}, true},
		{"multipolygon second holds box", "MULTIPOLYGON (((20 20, 21 20, 21 21, 20 20)), ((0 0, 10 0, 10 10, 0 10, 0 0)))", [4]float64{4, 4, 5, 5}, true},
		{"multipolygon box in hole", "MULTIPOLYGON (((0 0, 10 0, 10 10, 0 10, 0 0), (4 4, 4 6, 6 6, 6 4, 4 4)))", [4]float64{4.5, 4.5, 5.5, 5.5}, false},
		{"collection member hits", "GEOMETRYCOLLECTION (POINT (50 50), LINESTRING (-1 1, 3 1))", [4]float64{0, 0, 2, 2}, true},
		{"collection misses", "GEOMETRYCOLLECTION (POINT (50 50), LINESTRING (-1 3, 3 3))", [4]float64{0, 0, 2, 2}, false},
		{"empty point", "POINT EMPTY", [4]float64{-180, -90, 180, 90}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := mustWKT(t, tc.wkt)
			r := orb.Bound{Min: orb.Point{tc.box[0], tc.box[1]}, Max: orb.Point{tc.box[2], tc.box[3]}}
			if got := intersects(r, toOrb(g)); got != tc.want {
				t.Errorf("intersects(%v, %s) = %v, want %v", tc.box, tc.wkt, got, tc.want)
			}
		})
	}
}

func TestBBoxRects(t *testing.T) {
	cases := []struct {
		name    string
		box     [4]float64
		want    int
		wantErr bool
	}{
		{"plain", [4]float64{-1, -1, 1, 1}, 1, false},
		{"antimeridian", [4]float64{170, -10, -170, 10}, 2, false},
		{"lat inverted", [4]float64{0, 10, 1, -10}, 0, true},
		{"nan", [4]float64{0, 0, 1, math.NaN()}, 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := bboxRects(tc.box)
			if (err != nil) != tc.wantErr || len(rs) != tc.want {
				t.Errorf("bboxRects(%v) = %v, %v", tc.box, rs, err)
			}
		})
	}
}
