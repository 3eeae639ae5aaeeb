package geo

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

// starPolygon is a random star-shaped polygon of n vertices around c, with
// a hole when hole is set.
func starPolygon(rng *rand.Rand, c orb.Point, r float64, n int, hole bool) orb.Polygon {
	ring := make(orb.Ring, 0, n+1)
	for i := range n {
		θ := 2 * math.Pi * float64(i) / float64(n)
		d := r * (0.3 + 0.7*rng.Float64())
		ring = append(ring, orb.Point{c[0] + d*math.Cos(θ), c[1] + d*math.Sin(θ)})
	}
	ring = append(ring, ring[0])
	p := orb.Polygon{ring}
	if hole {
		h := orb.Ring{{c[0] - r/10, c[1] - r/10}, {c[0] - r/10, c[1] + r/10}, {c[0] + r/10, c[1] + r/10}, {c[0] + r/10, c[1] - r/10}, {c[0] - r/10, c[1] - r/10}}
		p = append(p, h)
	}
	return p
}

// TestClassifyAgreesWithPoints: a rectangle called Inside has every sampled
// point in the area, Outside none; one with points on both sides is Crosses.
func TestClassifyAgreesWithPoints(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	seen := map[Relation]int{}
	for range 300 {
		a, _ := Prepare(starPolygon(rng, orb.Point{0, 0}, 1, 3+rng.IntN(30), rng.IntN(2) == 0))
		edges := a.AppendEdges(nil)
		for range 40 {
			w, h := rng.Float64()*0.5, rng.Float64()*0.5
			x, y := rng.Float64()*2.4-1.2, rng.Float64()*2.4-1.2
			b := orb.Bound{Min: orb.Point{x, y}, Max: orb.Point{x + w, y + h}}
			rel, crossing := a.Classify(b, edges, nil)
			seen[rel]++
			if rel != Crosses && len(crossing) != 0 {
				t.Fatalf("%v with %d crossing edges", rel, len(crossing))
			}
			in, out := 0, 0
			for range 60 {
				p := orb.Point{x + w*rng.Float64(), y + h*rng.Float64()}
				if a.ContainsPoint(p) {
					in++
				} else {
					out++
				}
			}
			switch {
			case rel == Inside && out > 0, rel == Outside && in > 0:
				t.Fatalf("%v rectangle %v: %d points in, %d out", rel, b, in, out)
			}
			for _, e := range crossing {
				if !SegmentTouchesBound(e, b) {
					t.Fatal("a crossing edge does not touch the rectangle")
				}
			}
		}
	}
	if seen[Inside] == 0 || seen[Outside] == 0 || seen[Crosses] == 0 {
		t.Fatalf("the cases were not all met: %v", seen)
	}
}

// TestSegmentTouchesBound against the segment tests of intersect.go.
func TestSegmentTouchesBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	b := orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{1, 1}}
	corners := []orb.Point{{0, 0}, {1, 0}, {1, 1}, {0, 1}}
	grid := func() float64 { return float64(rng.IntN(13)-4) / 4 } // hits edges and corners exactly
	for range 20000 {
		e := Segment{orb.Point{grid(), grid()}, orb.Point{grid(), grid()}}
		want := b.Contains(e.A) || b.Contains(e.B)
		for i := range corners {
			if segmentsIntersect(e.A, e.B, corners[i], corners[(i+1)%4]) {
				want = true
			}
		}
		if got := SegmentTouchesBound(e, b); got != want {
			t.Fatalf("segment %v: %v, want %v", e, got, want)
		}
	}
}

// TestBandsAgreeWithRings: the banded point test answers as the ring-by-
// ring one, on random (also invalid) multipolygons and on points placed on
// their vertices and edges.
func TestBandsAgreeWithRings(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 400 {
		var mp orb.MultiPolygon
		for range 1 + rng.IntN(3) {
			c := orb.Point{rng.Float64()*2 - 1, rng.Float64()*2 - 1}
			mp = append(mp, starPolygon(rng, c, 0.2+rng.Float64(), 3+rng.IntN(60), rng.IntN(2) == 0))
		}
		a, _ := Prepare(mp)
		if a.bands == nil {
			continue
		}
		slow := &Area{polys: a.polys, bounds: a.bounds, bound: a.bound}
		for k := range 300 {
			p := orb.Point{rng.Float64()*4 - 2, rng.Float64()*4 - 2}
			if k%3 == 0 { // on a vertex or along an edge
				r := mp[rng.IntN(len(mp))][0]
				i := rng.IntN(len(r) - 1)
				f := float64(rng.IntN(3)) / 2
				p = orb.Point{r[i][0] + f*(r[i+1][0]-r[i][0]), r[i][1] + f*(r[i+1][1]-r[i][1])}
			}
			if got, want := a.ContainsPoint(p), slow.ContainsPoint(p); got != want {
				t.Fatalf("point %v: bands say %v, rings %v", p, got, want)
			}
		}
	}
}

// TestSegmentSide: clear sides are told, points on the line (within
// rounding) are not, and the sign agrees with the exact orientation.
func TestSegmentSide(t *testing.T) {
	e := Segment{orb.Point{-115.5, 32.8}, orb.Point{-115.49, 32.81}}
	for _, tc := range []struct {
		p    orb.Point
		want int
	}{
		{orb.Point{-115.5, 32.81}, 1},
		{orb.Point{-115.49, 32.8}, -1},
		{orb.Point{-115.495, 32.805}, 0}, // the midpoint, on the line up to rounding
		{e.A, 0},
		{orb.Point{-115.48, 32.82}, 0}, // on the line beyond B
	} {
		if got := e.Side(tc.p); got != tc.want {
			t.Errorf("Side(%v) = %d, want %d", tc.p, got, tc.want)
		}
	}
	if got := (Segment{e.B, e.A}).Side(orb.Point{-115.5, 32.81}); got != -1 {
		t.Errorf("reversed segment: Side = %d, want -1", got)
	}
}
