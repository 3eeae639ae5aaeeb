package gpkg

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/storetest"
)

// BenchmarkApplyInsert measures a bulk import: one Apply of batch inserts
// (points with all property types and an external id) per iteration.
func BenchmarkApplyInsert(b *testing.B) {
	for _, batch := range []int{1000, 100_000} {
		b.Run(fmt.Sprint("batch=", batch), func(b *testing.B) {
			ctx := context.Background()
			s, _ := MustOpen(b)
			c := storetest.MustCreate(b, s, storetest.Assets("signs", store.GeometryPoint))
			rng := rand.New(rand.NewPCG(1, 2))
			ms := make([]store.Mutation, batch)
			for i := range ms {
				ms[i] = store.Mutation{Op: store.OpInsert, Feature: store.Feature{
					Geometry: storetest.Point(-122.5+rng.Float64(), 37.2+rng.Float64()),
					Properties: storetest.Props(b, c, map[string]any{
						"name": fmt.Sprint("sign ", i), "lanes": rng.IntN(6), "height": rng.Float64() * 3,
						"lit": rng.IntN(2) == 0, "installed": "2019-04-30", "seen": "2024-01-02T03:04:05Z", "condition": "fair",
					}),
				}}
			}
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				for i := range ms {
					ms[i].Feature.ExternalID = fmt.Sprint("S-", n, "-", i)
				}
				n++
				if _, err := s.Apply(ctx, c.ID, ms, "bench"); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*batch), "ns/feature")
		})
	}
}
