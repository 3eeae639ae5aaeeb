package postgis

import (
	"context"
	"fmt"
	"testing"

	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/storetest"
)

// BenchmarkApplyUpsert100k upserts 100,000 points with three properties in
// one batch (the COPY path): "new" into an empty collection, "unchanged"
// the same batch again, "changed" with every feature's properties changed.
func BenchmarkApplyUpsert100k(b *testing.B) {
	const n = 100_000
	ctx := context.Background()
	s := mustOpen(b)
	schema := storetest.Assets("bench", store.GeometryPoint)
	batch := func(gen int) []store.Mutation {
		ms := make([]store.Mutation, n)
		for i := range ms {
			ms[i] = store.Mutation{Op: store.OpUpsert, Feature: store.Feature{
				ExternalID: fmt.Sprint("asset-", i),
				Geometry:   storetest.Point(-122.5+float64(i%1000)/2000, 37.7+float64(i/1000)/2000),
				Properties: storetest.Props(b, schema, map[string]any{"name": fmt.Sprint("signal ", i), "lanes": i % 6, "height": float64(gen)}),
			}}
		}
		return ms
	}
	first, second := batch(0), batch(1)
	apply := func(b *testing.B, ms []store.Mutation, want store.Outcome) {
		rs, err := s.Apply(ctx, schema.ID, ms, "bench")
		if err != nil {
			b.Fatal(err)
		}
		if rs[0].Outcome != want || rs[n-1].Outcome != want {
			b.Fatalf("outcome %s, want %s", rs[0].Outcome, want)
		}
	}
	report := func(b *testing.B) {
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	}
	b.Run("new", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			b.StopTimer()
			_ = s.DeleteCollection(ctx, schema.ID, "bench")
			storetest.MustCreate(b, s, schema)
			b.StartTimer()
			apply(b, first, store.Inserted)
		}
		report(b)
	})
	b.Run("unchanged", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			apply(b, first, store.Unchanged)
		}
		report(b)
	})
	b.Run("changed", func(b *testing.B) {
		b.ReportAllocs()
		for i := range b.N {
			ms := second
			if i%2 == 1 {
				ms = first
			}
			apply(b, ms, store.Updated)
		}
		report(b)
	})
}
