package postgis

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/twpayne/go-geom"

	"github.com/cityatlas/cityatlas/geo"
	"github.com/cityatlas/cityatlas/store"
)

// countExtent is a city-sized square around Imperial, CA.
var countExtent = [4]float64{-115.62, 32.80, -115.52, 32.88}

// TestCountsEqualPostGIS: the index's counts (the count grid for a large
// point layer, the R-tree for lines and polygons) equal PostGIS's
// ST_Intersects for random polygons and boxes, and its ST_DWithin on
// geography for random circles, feature for feature.
func TestCountsEqualPostGIS(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	rng := rand.New(rand.NewPCG(21, 22))
	at := func() (float64, float64) {
		lon := countExtent[0] + rng.Float64()*(countExtent[2]-countExtent[0])
		lat := countExtent[1] + rng.Float64()*(countExtent[3]-countExtent[1])
		return lon, lat
	}
	load := func(id string, g store.GeometryType, n int, shape func() geom.T) {
		t.Helper()
		if _, err := s.CreateCollection(ctx, store.Collection{ID: id, Geometry: g}); err != nil {
			t.Fatal(err)
		}
		ms := make([]store.Mutation, n)
		for i := range ms {
			ms[i] = store.Mutation{Op: store.OpInsert, Feature: store.Feature{Geometry: shape()}}
		}
		if err := s.ApplyStream(ctx, id, store.Stream(ms, nil), "test", func(store.Result) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	load("points", store.GeometryPoint, 25_000, func() geom.T {
		lon, lat := at()
		if rng.IntN(2) == 0 { // on a lattice, so that box edges run through points
			lon, lat = math.Round(lon*1000)/1000, math.Round(lat*1000)/1000
		}
		return geom.NewPointFlat(geom.XY, []float64{lon, lat}).SetSRID(4326)
	})
	load("streets", store.GeometryLineString, 1500, func() geom.T {
		lon, lat := at()
		flat := []float64{lon, lat}
		for range 1 + rng.IntN(4) {
			lon, lat = lon+(rng.Float64()-0.5)*0.004, lat+(rng.Float64()-0.5)*0.004
			flat = append(flat, lon, lat)
		}
		return geom.NewLineStringFlat(geom.XY, flat).SetSRID(4326)
	})
	load("parks", store.GeometryPolygon, 1500, func() geom.T {
		lon, lat := at()
		w, h := 0.0005+rng.Float64()*0.003, 0.0005+rng.Float64()*0.003
		return geom.NewPolygonFlat(geom.XY, []float64{lon, lat, lon + w, lat, lon + w, lat + h, lon, lat + h, lon, lat}, []int{10}).SetSRID(4326)
	})
	if _, err := s.pool.Exec(ctx, `ANALYZE features_points, features_streets, features_parks`); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	st, err := store.Open(ctx, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The first count starts the point layer's grid; give it time to be
	// built so that the counts below take it (the store's own tests check
	// the grid against the R-tree count for count).
	_, _ = st.Count(ctx, "points", store.Filter{BBox: &[4]float64{-116, 32, -115, 33}})
	time.Sleep(500 * time.Millisecond)

	sqlCount := func(query string, args ...any) int {
		t.Helper()
		var n int
		if err := s.pool.QueryRow(ctx, query, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	t.Logf("opened in %v", time.Since(t0))
	t0 = time.Now()
	nonzero := 0
	var ours time.Duration
	for i := range 120 {
		for _, coll := range []string{"points", "streets", "parks"} {
			var f store.Filter
			var want int
			if i%2 == 0 {
				lon, lat := at()
				r := 30 + rng.Float64()*2500
				f.Circle = geo.NewDisc(orb.Point{lon, lat}, r)
				// The && with a box twice as wide as the circle only lets
				// the GiST index find the candidates.
				deg := 2 * r / (111_000 * math.Cos(lat*math.Pi/180))
				want = sqlCount(`SELECT count(*) FROM features_`+coll+` WHERE $1 <> ''
					AND geom && ST_Expand(ST_SetSRID(ST_MakePoint($2, $3), 4326), $5)
					AND ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography, $4)`, coll, lon, lat, r, deg)
			} else {
				area := randomPolygon(rng, at)
				f.Area = area
				body, _ := json.Marshal(geojson.NewGeometry(area))
				want = sqlCount(`SELECT count(*) FROM features_`+coll+` WHERE $1 <> ''
					AND ST_Intersects(geom, ST_SetSRID(ST_GeomFromGeoJSON($2), 4326))`, coll, string(body))
			}
			t1 := time.Now()
			got, err := st.Count(ctx, coll, f)
			ours += time.Since(t1)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("%s, query %d (%+v): the index counts %d, PostGIS %d", coll, i, f, got, want)
			}
			if want > 0 {
				nonzero++
			}
		}
	}
	t.Logf("queries in %v, of which the index's counts %v", time.Since(t0), ours)
	if nonzero < 150 {
		t.Fatalf("only %d of the queries found anything", nonzero)
	}
}

// randomPolygon is a star-shaped polygon of 4 to 40 vertices, a few hundred
// metres to 2 km across, with its centre from at.
func randomPolygon(rng *rand.Rand, at func() (float64, float64)) orb.Polygon {
	cx, cy := at()
	r := 0.002 + rng.Float64()*0.01
	n := 4 + rng.IntN(37)
	ring := make(orb.Ring, 0, n+1)
	for i := range n {
		θ := 2 * math.Pi * float64(i) / float64(n)
		d := r * (0.3 + 0.7*rng.Float64())
		ring = append(ring, orb.Point{cx + d*math.Cos(θ), cy + d*math.Sin(θ)})
	}
	return orb.Polygon{append(ring, ring[0])}
}
