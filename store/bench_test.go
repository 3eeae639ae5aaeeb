package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/twpayne/go-geom"
)

// benchExtent is a city-sized square around Imperial, CA (about 22 km).
var benchExtent = [4]float64{-115.69, 32.75, -115.45, 32.95}

// benchStore returns a Store holding n uniform random points in
// benchExtent, built straight into the index (no backend: this measures
// the index alone).
func benchStore(tb testing.TB, n int) *Store {
	tb.Helper()
	c := Collection{ID: "points", Geometry: GeometryPoint, Fields: []Field{
		{Name: "condition", Type: TypeString}, {Name: "installed", Type: TypeDate},
	}}
	rng := rand.New(rand.NewPCG(1, 2))
	conds := []string{"good", "fair", "poor"}
	now := time.Now()
	return storeOf(tb, c, n, func(i int) Feature {
		lon := benchExtent[0] + rng.Float64()*(benchExtent[2]-benchExtent[0])
		lat := benchExtent[1] + rng.Float64()*(benchExtent[3]-benchExtent[1])
		props, err := EncodeProperties(&c, map[string]any{"condition": conds[rng.IntN(3)], "installed": "2015-06-01"})
		if err != nil {
			tb.Fatal(err)
		}
		return Feature{ID: int64(i + 1), ExternalID: fmt.Sprint("P-", i), Geometry: geom.NewPointFlat(geom.XY, []float64{lon, lat}),
			Properties: props, Version: 1, Updated: now}
	})
}

// storeOf returns a Store holding collection c with the n features that
// feature makes, built straight into the index.
func storeOf(tb testing.TB, c Collection, n int, feature func(i int) Feature) *Store {
	tb.Helper()
	s := &Store{master: map[string]*layer{}}
	l := newLayer(c)
	for i := range n {
		f := feature(i)
		r, err := l.newItem(&f)
		if err != nil {
			tb.Fatal(err)
		}
		l.put(r)
	}
	l.ids = packIDs(l.ids) // as load does
	s.master[c.ID] = l
	s.publish()
	return s
}

// BenchmarkBBox100Of1M: a bbox query that returns about 100 of 1 M points,
// sorted by id, as the items endpoint asks for it.
func BenchmarkBBox100Of1M(b *testing.B) {
	s := benchStore(b, 1_000_000)
	w := (benchExtent[2] - benchExtent[0]) / 100
	h := (benchExtent[3] - benchExtent[1]) / 100
	rng := rand.New(rand.NewPCG(3, 4))
	hits := 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		x := benchExtent[0] + rng.Float64()*(benchExtent[2]-benchExtent[0]-w)
		y := benchExtent[1] + rng.Float64()*(benchExtent[3]-benchExtent[1]-h)
		bb := [4]float64{x, y, x + w, y + h}
		p, err := s.Select(context.Background(), "points", Filter{BBox: &bb, Limit: 100})
		if err != nil {
			b.Fatal(err)
		}
		hits += p.Matched
	}
	b.ReportMetric(float64(hits)/float64(b.N), "hits/op")
}

// BenchmarkBuild1M: building the index of 1 M points; reports the heap the
// index holds.
func BenchmarkBuild1M(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s := benchStore(b, 1_000_000)
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heapMiB")
		runtime.KeepAlive(s)
	}
}

// BenchmarkCountAll: the mayor's "how many?" on 1 M points.
func BenchmarkCountAll(b *testing.B) {
	s := benchStore(b, 1_000_000)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if n, _ := s.Count(context.Background(), "points", Filter{}); n != 1_000_000 {
			b.Fatal(n)
		}
	}
}
