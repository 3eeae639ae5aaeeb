package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/twpayne/go-geom"

	"github.com/cityatlas/cityatlas/store"
)

// testIndex runs thousands of random writes through a store.Store and checks
// every bbox answer of the in-memory index (ids, order, count, paging)
// against the backend's own query, and every feature read from memory
// against the backend's copy.
func testIndex(t *testing.T, b store.Backend) {
	ctx := context.Background()
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 7))
	pts := MustCreate(t, b, Assets("pts", store.GeometryPoint))
	any := MustCreate(t, b, Assets("shapes", store.GeometryAny))
	// Some features exist before the index is built.
	for range 50 {
		MustApply(t, b, pts.ID, insert(store.Feature{Geometry: randPoint(rng), Properties: randProps(t, rng, pts)}))
	}
	s, err := store.Open(ctx, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	live := map[string][]int64{}
	for _, c := range []string{pts.ID, any.ID} {
		fs, _, err := b.Query(ctx, c, store.Query{})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			live[c] = append(live[c], f.ID)
		}
	}
	rounds := 1500
	if testing.Short() {
		rounds = 300
	}
	for round := range rounds {
		c := pts
		if rng.IntN(3) == 0 {
			c = any
		}
		ids := live[c.ID]
		var ms []store.Mutation
		for range 1 + rng.IntN(4) {
			switch op := rng.IntN(10); {
			case op < 5 || len(ids) == 0:
				ms = append(ms, insert(store.Feature{Geometry: randGeom(rng, c), Properties: randProps(t, rng, c)}))
			case op < 8:
				id := ids[rng.IntN(len(ids))]
				if slices.ContainsFunc(ms, func(m store.Mutation) bool { return m.Feature.ID == id }) {
					continue
				}
				ms = append(ms, store.Mutation{Op: store.OpUpdate, Feature: store.Feature{ID: id, Geometry: randGeom(rng, c), Properties: randProps(t, rng, c)}})
			default:
				id := ids[rng.IntN(len(ids))]
				if slices.ContainsFunc(ms, func(m store.Mutation) bool { return m.Feature.ID == id }) {
					continue
				}
				ms = append(ms, store.Mutation{Op: store.OpDelete, Feature: store.Feature{ID: id}})
			}
		}
		rs, err := s.Apply(ctx, c.ID, ms, "index-test")
		if err != nil {
			t.Fatalf("round %d: Apply: %v", round, err)
		}
		for _, r := range rs {
			switch r.Outcome {
			case store.Inserted:
				live[c.ID] = append(live[c.ID], r.Feature.ID)
			case store.Deleted:
				live[c.ID] = slices.DeleteFunc(live[c.ID], func(id int64) bool { return id == r.Feature.ID })
			}
		}
		for range 2 {
			checkQuery(t, s, b, c.ID, randBBox(rng), rng)
		}
		if round%100 == 0 {
			checkAll(t, s, b, c.ID)
		}
	}
	checkAll(t, s, b, pts.ID)
	checkAll(t, s, b, any.ID)
	// A second index built from scratch agrees with the live one.
	s2, err := store.Open(ctx, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{pts.ID, any.ID} {
		a, _ := s.Collection(c)
		z, _ := s2.Collection(c)
		if a.Count != z.Count || a.Extent != z.Extent {
			t.Errorf("%s: live index count %d extent %v; rebuilt %d %v", c, a.Count, a.Extent, z.Count, z.Extent)
		}
	}
}

func checkQuery(t *testing.T, s *store.Store, b store.Backend, coll string, bbox [4]float64, rng *rand.Rand) {
	t.Helper()
	ctx := context.Background()
	limit, offset := rng.IntN(20), rng.IntN(5)
	want, wantN, err := b.Query(ctx, coll, store.Query{BBox: &bbox, Limit: limit, Offset: offset})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Items(ctx, coll, store.Filter{BBox: &bbox, Limit: limit, Offset: offset})
	if err != nil {
		t.Fatal(err)
	}
	if got.Matched != wantN || !slices.Equal(featureIDs(got.Features), featureIDs(want)) {
		t.Fatalf("%s bbox %v limit %d offset %d: index %v (matched %d), backend %v (matched %d)",
			coll, bbox, limit, offset, featureIDs(got.Features), got.Matched, featureIDs(want), wantN)
	}
	n, err := s.Count(ctx, coll, store.Filter{BBox: &bbox})
	if err != nil || n != wantN {
		t.Fatalf("%s bbox %v: Count %d (%v), backend %d", coll, bbox, n, err, wantN)
	}
}

func checkAll(t *testing.T, s *store.Store, b store.Backend, coll string) {
	t.Helper()
	ctx := context.Background()
	want, wantN, err := b.Query(ctx, coll, store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Items(ctx, coll, store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Matched != wantN || len(got.Features) != len(want) {
		t.Fatalf("%s: index holds %d, backend %d", coll, got.Matched, wantN)
	}
	for i := range want {
		g, w := got.Features[i], want[i]
		if g.ID != w.ID || g.Version != w.Version || string(g.Properties) != string(w.Properties) || g.ExternalID != w.ExternalID {
			t.Fatalf("%s feature %d: index %+v, backend %+v", coll, w.ID, g, w)
		}
		assertSameGeom(t, g.Geometry, w.Geometry)
	}
	info, err := s.Collection(coll)
	if err != nil || info.Count != wantN {
		t.Fatalf("%s: Collection count %d (%v), want %d", coll, info.Count, err, wantN)
	}
}

func featureIDs(fs []store.Feature) []int64 {
	out := []int64{}
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

// The random world is a 10 x 10 degree square near Imperial; coordinates
// are on a 1/1024 degree grid so that touching cases happen often.
func coord(rng *rand.Rand, lo, span float64) float64 {
	return lo + float64(rng.IntN(int(span*1024)))/1024
}

func randPoint(rng *rand.Rand) geom.T {
	return Point(coord(rng, -120, 10), coord(rng, 30, 10))
}

func randBBox(rng *rand.Rand) [4]float64 {
	x, y := coord(rng, -120, 10), coord(rng, 30, 10)
	w, h := coord(rng, 0, 3), coord(rng, 0, 3)
	return [4]float64{x, y, x + w, y + h}
}

func randGeom(rng *rand.Rand, c store.Collection) geom.T {
	if c.Geometry == store.GeometryPoint {
		return randPoint(rng)
	}
	x, y := coord(rng, -120, 10), coord(rng, 30, 10)
	w, h := coord(rng, 1.0/1024, 2), coord(rng, 1.0/1024, 2)
	var g geom.T
	switch rng.IntN(4) {
	case 0:
		g = Point(x, y)
	case 1:
		g = geom.NewLineStringFlat(geom.XY, []float64{x, y, x + w, y + h, x + 2*w, y})
	case 2:
		g = geom.NewPolygonFlat(geom.XY, []float64{x, y, x + w, y, x + w, y + h, x, y + h, x, y}, []int{10})
	default: // a square with a square hole
		g = geom.NewPolygonFlat(geom.XY, []float64{
			x, y, x + 4*w, y, x + 4*w, y + 4*h, x, y + 4*h, x, y,
			x + w, y + h, x + w, y + 3*h, x + 3*w, y + 3*h, x + 3*w, y + h, x + w, y + h,
		}, []int{10, 20})
	}
	return g
}

func randProps(t testing.TB, rng *rand.Rand, c store.Collection) store.Properties {
	conds := []string{"good", "fair", "poor"}
	return Props(t, c, map[string]any{
		"name":      fmt.Sprintf("asset %d", rng.IntN(1000)),
		"lanes":     rng.IntN(6),
		"condition": conds[rng.IntN(3)],
		"installed": fmt.Sprintf("%d-%02d-%02d", 1970+rng.IntN(55), 1+rng.IntN(12), 1+rng.IntN(28)),
	})
}

// testAntimeridian: a bbox whose minLon is greater than its maxLon crosses
// the antimeridian and keeps what lies on either side of it, once each.
func testAntimeridian(t *testing.T, b store.Backend) {
	ctx := context.Background()
	c := MustCreate(t, b, Assets("fiji", store.GeometryAny))
	rs := MustApply(t, b, c.ID,
		insert(store.Feature{Geometry: Point(179.5, -17)}),                                                   // east of it
		insert(store.Feature{Geometry: Point(-179.5, -17)}),                                                  // west of it
		insert(store.Feature{Geometry: Point(0, -17)}),                                                       // far away
		insert(store.Feature{Geometry: geom.NewLineStringFlat(geom.XY, []float64{-179.9, -16, 179.9, -16})}), // spans the globe, in both halves
	)
	s, err := store.Open(ctx, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	box := [4]float64{170, -20, -170, -10}
	page, err := s.Items(ctx, c.ID, store.Filter{BBox: &box})
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{rs[0].Feature.ID, rs[1].Feature.ID, rs[3].Feature.ID}
	if got := featureIDs(page.Features); !slices.Equal(got, want) || page.Matched != 3 {
		t.Errorf("items across the antimeridian: %v (matched %d), want %v", got, page.Matched, want)
	}
	if n, err := s.Count(ctx, c.ID, store.Filter{BBox: &box}); err != nil || n != 3 {
		t.Errorf("count across the antimeridian: %d, %v; want 3", n, err)
	}
	// An inverted box with no longitude on the globe (minLon past 180) is
	// empty; splitting it at the antimeridian used to recurse without end
	// (api FuzzQueries, bbox=1116,32,15,33 on a caller that let it through).
	beyond := [4]float64{1116, -20, 15, -10}
	if n, err := s.Count(ctx, c.ID, store.Filter{BBox: &beyond}); err != nil || n != 0 {
		t.Errorf("count of bbox %v: %d, %v; want 0", beyond, n, err)
	}
}
