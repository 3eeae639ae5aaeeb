package geo

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

// TestGeodesicDistance: Vincenty's own test line (Flinders Peak to
// Buninyong, 54,972.271 m; T. Vincenty, Survey Review 23, 1975, and
// Geoscience Australia's geodetic calculators) and distances along a
// meridian and the equator that follow from the ellipsoid's axes.
func TestGeodesicDistance(t *testing.T) {
	dms := func(d, m, s float64) float64 { return d + m/60 + s/3600 }
	flinders := orb.Point{dms(144, 25, 29.52440), -dms(37, 57, 3.72030)}
	buninyong := orb.Point{dms(143, 55, 35.38390), -dms(37, 39, 10.15610)}
	for _, tc := range []struct {
		name string
		p, q orb.Point
		want float64
	}{
		{"Flinders Peak to Buninyong", flinders, buninyong, 54972.271},
		{"a degree of the equator", orb.Point{0, 0}, orb.Point{1, 0}, wgs84A * math.Pi / 180},
		{"the same point", orb.Point{-115.5, 32.8}, orb.Point{-115.5, 32.8}, 0},
	} {
		if got := GeodesicDistance(tc.p, tc.q); math.Abs(got-tc.want) > 0.001 {
			t.Errorf("%s: %.4f m, want %.4f", tc.name, got, tc.want)
		}
		if got := GeodesicDistance(tc.q, tc.p); math.Abs(got-tc.want) > 0.001 {
			t.Errorf("%s, backwards: %.4f m, want %.4f", tc.name, got, tc.want)
		}
	}
	// Quarter meridian of WGS84: 10,001,965.729 m.
	if got := GeodesicDistance(orb.Point{10, 0}, orb.Point{10, 89.999999999}); math.Abs(got-10001965.729) > 0.01 {
		t.Errorf("quarter meridian: %.3f m", got)
	}
}

// TestDiscIntersects against edges sampled every few centimetres: an edge
// that comes clearly within the radius intersects, one that stays clearly
// outside does not.
func TestDiscIntersects(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	c := orb.Point{-115.5, 32.8}
	d := NewDisc(c, 1000)
	seen := [2]int{}
	for range 1000 {
		off := func() orb.Point {
			return orb.Point{c[0] + (rng.Float64()-0.5)*0.04, c[1] + (rng.Float64()-0.5)*0.04}
		}
		line := orb.LineString{off(), off()}
		near := math.Inf(1)
		for k := 0; k <= 2000; k++ {
			f := float64(k) / 2000
			p := orb.Point{line[0][0] + f*(line[1][0]-line[0][0]), line[0][1] + f*(line[1][1]-line[0][1])}
			near = math.Min(near, GeodesicDistance(c, p))
		}
		got := d.Intersects(line)
		switch {
		case near < 1000-0.5 && !got:
			t.Fatalf("line %v comes within %.2f m and does not intersect", line, near)
		case near > 1000+0.5 && got:
			t.Fatalf("line %v stays %.2f m away and intersects", line, near)
		}
		if got {
			seen[1]++
		} else {
			seen[0]++
		}
	}
	if seen[0] < 100 || seen[1] < 100 {
		t.Fatalf("cases %v", seen)
	}
	// A polygon around the centre intersects although no edge is near.
	big := orb.Polygon{{{-116, 32}, {-115, 32}, {-115, 33}, {-116, 33}, {-116, 32}}}
	if !d.Intersects(big) || !d.Intersects(orb.MultiPolygon{big}) {
		t.Error("a polygon holding the centre does not intersect")
	}
	if d.Intersects(orb.Point{c[0], c[1] + 0.0091}) { // about 1009 m north
		t.Error("a point 1009 m away intersects")
	}
	if !d.Intersects(orb.Point{c[0], c[1] + 0.0090}) { // about 998 m north
		t.Error("a point 998 m away does not intersect")
	}
}

// TestDiscPlaneShortcut: the tangent plane's verdicts (ContainsPoint's
// shortcut and Classify) agree with Vincenty at several latitudes and
// radii.
func TestDiscPlaneShortcut(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, lat := range []float64{0, 32.8, 60, 75} {
		for _, r := range []float64{50, 1000, 20_000, 100_000} {
			c := orb.Point{-115.5, lat}
			d := NewDisc(c, r)
			span := r / 111_000 * 1.3 / math.Cos(lat*math.Pi/180)
			for range 2000 {
				p := orb.Point{c[0] + (rng.Float64()*2-1)*span, c[1] + (rng.Float64()*2-1)*span*math.Cos(lat*math.Pi/180)}
				if got, want := d.ContainsPoint(p), GeodesicDistance(c, p) <= r; got != want {
					t.Fatalf("lat %g r %g: %v is %v, Vincenty says %v", lat, r, p, got, want)
				}
				w := span * rng.Float64() * 0.3
				b := orb.Bound{Min: p, Max: orb.Point{p[0] + w, p[1] + w/2}}
				rel := d.Classify(b)
				if rel == Crosses {
					continue
				}
				for range 20 {
					q := orb.Point{b.Min[0] + rng.Float64()*w, b.Min[1] + rng.Float64()*w/2}
					if in := GeodesicDistance(c, q) <= r; in != (rel == Inside) {
						t.Fatalf("lat %g r %g: rectangle %v is %v, but %v is in: %v", lat, r, b, rel, q, in)
					}
				}
			}
		}
	}
}
