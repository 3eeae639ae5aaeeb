package store

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"

	"github.com/cityatlas/cityatlas/geo"
)

// latticeStore holds n points: half uniform in benchExtent, half on a
// lattice of 0.001° steps (so that query edges run exactly through points),
// and a few features without geometry.
func latticeStore(tb testing.TB, n int) *Store {
	tb.Helper()
	rng := rand.New(rand.NewPCG(5, 6))
	return storeOf(tb, Collection{ID: "points", Geometry: GeometryPoint}, n, func(i int) Feature {
		lon := benchExtent[0] + rng.Float64()*(benchExtent[2]-benchExtent[0])
		lat := benchExtent[1] + rng.Float64()*(benchExtent[3]-benchExtent[1])
		if i%2 == 1 {
			lon, lat = math.Round(lon*1000)/1000, math.Round(lat*1000)/1000
		}
		f := Feature{ID: int64(i + 1), Geometry: geom.NewPointFlat(geom.XY, []float64{lon, lat}), Version: 1, Updated: time.Now()}
		if i%1000 == 999 {
			f.Geometry = nil
		}
		return f
	})
}

// randomArea is a star polygon (sometimes with a hole, sometimes two of
// them as a MultiPolygon, sometimes a lattice-aligned box) somewhere over
// or beside the extent.
func randomArea(rng *rand.Rand) orb.Geometry {
	cx := benchExtent[0] - 0.02 + rng.Float64()*(benchExtent[2]-benchExtent[0]+0.04)
	cy := benchExtent[1] - 0.02 + rng.Float64()*(benchExtent[3]-benchExtent[1]+0.04)
	r := 0.001 + rng.Float64()*0.05
	star := func(cx, cy float64) orb.Polygon {
		n := 3 + rng.IntN(40)
		ring := make(orb.Ring, 0, n+1)
		for i := range n {
			θ := 2 * math.Pi * float64(i) / float64(n)
			d := r * (0.2 + 0.8*rng.Float64())
			ring = append(ring, orb.Point{cx + d*math.Cos(θ), cy + d*math.Sin(θ)})
		}
		p := orb.Polygon{append(ring, ring[0])}
		if rng.IntN(3) == 0 {
			h := r / 8
			p = append(p, orb.Ring{{cx - h, cy - h}, {cx - h, cy + h}, {cx + h, cy + h}, {cx + h, cy - h}, {cx - h, cy - h}})
		}
		return p
	}
	switch rng.IntN(4) {
	case 0:
		return orb.MultiPolygon{star(cx, cy), star(cx+3*r, cy)}
	case 1:
		x0, y0 := math.Round(cx*1000)/1000, math.Round(cy*1000)/1000
		k := float64(1+rng.IntN(40)) / 1000
		return orb.Bound{Min: orb.Point{x0, y0}, Max: orb.Point{x0 + k, y0 + k}}.ToPolygon()
	}
	return star(cx, cy)
}

// TestCountGridAgreesWithRTree: on random areas and boxes, the grid counts
// what the R-tree search finds, point for point.
func TestCountGridAgreesWithRTree(t *testing.T) {
	s := latticeStore(t, 60_000)
	l, _ := s.layer("points")
	g := buildCountGrid(l)
	if g == noGrid || g.nx*g.ny < 1000 {
		t.Fatalf("no grid (%d×%d cells)", g.nx, g.ny)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	nonzero := 0
	for i := range 1000 {
		f := Filter{Area: randomArea(rng)}
		switch i % 5 {
		case 0:
			b := f.Area.Bound()
			f = Filter{BBox: &[4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}}
		case 1:
			c := f.Area.Bound().Center()
			f = Filter{Circle: geo.NewDisc(c, 50+rng.Float64()*5000)}
		}
		m, err := newMatcher(l, f)
		if err != nil {
			t.Fatal(err)
		}
		want := len(s.search(l, f, m))
		q := gridFor(l, f, m)
		for q == nil {
			time.Sleep(time.Millisecond) // the first call started the build
			q = gridFor(l, f, m)
		}
		if got := q.count(); got != want {
			t.Fatalf("area %d %v: grid counts %d, the R-tree finds %d", i, f.Area, got, want)
		}
		if want > 0 {
			nonzero++
		}
	}
	if nonzero < 300 {
		t.Fatalf("only %d areas held points", nonzero)
	}
	// Count answers from the grid now, with the same numbers.
	for range 50 {
		f := Filter{Area: randomArea(rng)}
		m, _ := newMatcher(l, f)
		got, err := s.Count(context.Background(), "points", f)
		if err != nil || got != len(s.search(l, f, m)) {
			t.Fatalf("Count %d, %v; the R-tree finds %d", got, err, len(s.search(l, f, m)))
		}
	}
}

// TestCountGridOnlyForPlainCounts: a count with a property condition, or
// on a layer with other geometries than points, takes the R-tree path.
func TestCountGridOnlyForPlainCounts(t *testing.T) {
	s := latticeStore(t, 30_000)
	l, _ := s.layer("points")
	f := Filter{Area: randomArea(rand.New(rand.NewPCG(1, 1))), Props: []PropFilter{}}
	m, _ := newMatcher(l, f)
	_ = gridFor(l, f, m)
	for l.grid.grid.Load() == nil {
		time.Sleep(time.Millisecond)
	}
	if gridFor(l, Filter{Area: f.Area, BBox: &[4]float64{-116, 32, -115, 33}}, m) != nil {
		t.Error("the grid answered a count with a box and an area")
	}
	if gridFor(l, Filter{BBox: &[4]float64{170, 32, -170, 33}}, m) != nil {
		t.Error("the grid answered a box across the antimeridian")
	}
	small := latticeStore(t, 1000)
	sl, _ := small.layer("points")
	if g := buildCountGrid(sl); g != noGrid {
		t.Error("a 1000-point layer got a grid")
	}
}

// TestPagesOfLargeMatches: a bbox page taken by partial selection holds
// the same features, in the same order, as sorting every match.
func TestPagesOfLargeMatches(t *testing.T) {
	s := latticeStore(t, 30_000)
	l, _ := s.layer("points")
	rng := rand.New(rand.NewPCG(31, 32))
	for range 200 {
		b := randomArea(rng).Bound()
		f := Filter{BBox: &[4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}, Offset: rng.IntN(50), Limit: 1 + rng.IntN(100)}
		sel, err := s.Select(context.Background(), "points", f)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := newMatcher(l, f)
		all := s.search(l, f, m)
		ids := make([]int64, len(all))
		for i, it := range all {
			ids[i] = it.id
		}
		slices.Sort(ids)
		want := ids[min(f.Offset, len(ids)):min(f.Offset+f.Limit, len(ids))]
		var got []int64
		sel.Each(func(h *Hit) bool { got = append(got, h.ID); return true })
		if sel.Matched != len(ids) || !slices.Equal(got, want) {
			t.Fatalf("offset %d limit %d of %d: matched %d, got %v, want %v", f.Offset, f.Limit, len(ids), sel.Matched, got, want)
		}
	}
}

// BenchmarkCountPolygon: the count of a 20-vertex polygon about 2 km
// across over 1 M points, by the grid and by the R-tree.
func BenchmarkCountPolygon(b *testing.B) {
	rng := rand.New(rand.NewPCG(9, 10))
	benchCounts(b, func() Filter {
		cx := benchExtent[0] + 0.02 + rng.Float64()*(benchExtent[2]-benchExtent[0]-0.04)
		cy := benchExtent[1] + 0.02 + rng.Float64()*(benchExtent[3]-benchExtent[1]-0.04)
		ring := make(orb.Ring, 0, 21)
		for k := range 20 {
			θ := 2 * math.Pi * float64(k) / 20
			d := 0.01 * (0.7 + 0.3*rng.Float64()) // about 1 km
			ring = append(ring, orb.Point{cx + d*math.Cos(θ), cy + d*math.Sin(θ)})
		}
		return Filter{Area: orb.Polygon{append(ring, ring[0])}}
	})
}

// BenchmarkCountCircle: the count of a 1 km circle over 1 M points, by the
// grid and by the R-tree.
func BenchmarkCountCircle(b *testing.B) {
	rng := rand.New(rand.NewPCG(9, 10))
	benchCounts(b, func() Filter {
		return Filter{Circle: geo.NewDisc(orb.Point{benchExtent[0] + 0.02 + rng.Float64()*(benchExtent[2]-benchExtent[0]-0.04),
			benchExtent[1] + 0.02 + rng.Float64()*(benchExtent[3]-benchExtent[1]-0.04)}, 1000)}
	})
}

// benchCounts counts 256 filters that next makes over 1 M points, through
// the count grid (as Count takes it: the area prepared each time) and
// through the R-tree search.
func benchCounts(b *testing.B, next func() Filter) {
	s := benchStore(b, 1_000_000)
	l, _ := s.layer("points")
	filters := make([]Filter, 256)
	for i := range filters {
		filters[i] = next()
	}
	m, _ := newMatcher(l, filters[0])
	for gridFor(l, filters[0], m) == nil {
		time.Sleep(time.Millisecond) // the first call started the build
	}
	for _, path := range []struct {
		name  string
		count func(f Filter, m *matcher) int
	}{
		{"grid", func(f Filter, m *matcher) int { return gridFor(l, f, m).count() }},
		{"rtree", func(f Filter, m *matcher) int { return len(s.search(l, f, m)) }},
	} {
		b.Run(path.name, func(b *testing.B) {
			n, i := 0, 0
			for b.Loop() {
				f := filters[i%len(filters)]
				m, _ := newMatcher(l, f)
				n += path.count(f, m)
				i++
			}
			b.ReportMetric(float64(n)/float64(i), "points/op")
		})
	}
}
