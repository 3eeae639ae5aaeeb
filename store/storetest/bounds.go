package storetest

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/twpayne/go-geom"

	"github.com/cityatlas/cityatlas/geo"
	"github.com/cityatlas/cityatlas/store"
)

// Unstorable returns geometries that cityatlas cannot hold
// (geo.CheckStorable), by name: every backend refuses them.
func Unstorable() map[string]geom.T {
	nested := geom.NewGeometryCollection().MustPush(
		geom.NewPointFlat(geom.XY, []float64{0, 0}),
		geom.NewGeometryCollection().MustPush(geom.NewPointFlat(geom.XY, []float64{1, 1})))
	big := make([]float64, 2*(geo.MaxPositions+1))
	for i := range big {
		big[i] = float64(i%100) / 100
	}
	return map[string]geom.T{
		"nested collection":  nested,
		"NaN":                geom.NewPointFlat(geom.XY, []float64{math.NaN(), 1}),
		"infinite Z":         geom.NewLineStringFlat(geom.XYZ, []float64{0, 0, 0, 1, 1, math.Inf(1)}),
		"too many positions": geom.NewMultiPointFlat(geom.XY, big),
	}
}

// testUnstorableRefused: Apply and ApplyStream refuse what the index
// cannot hold with ErrInvalid, and write nothing.
func testUnstorableRefused(t *testing.T, b store.Backend) {
	ctx := context.Background()
	c := MustCreate(t, b, Assets("things", store.GeometryAny))
	for name, g := range Unstorable() {
		t.Run(name, func(t *testing.T) {
			ms := []store.Mutation{
				insert(store.Feature{Geometry: Point(1, 1), Properties: Props(t, c, nil)}),
				insert(store.Feature{Geometry: g, Properties: Props(t, c, nil)}),
			}
			if _, err := b.Apply(ctx, c.ID, ms, "x"); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("Apply: %v, want ErrInvalid", err)
			}
			if sa, ok := b.(store.StreamApplier); ok {
				err := sa.ApplyStream(ctx, c.ID, store.Stream(ms, nil), "x", func(store.Result) error { return nil })
				if !errors.Is(err, store.ErrInvalid) {
					t.Errorf("ApplyStream: %v, want ErrInvalid", err)
				}
			}
			if _, n, err := b.Query(ctx, c.ID, store.Query{}); err != nil || n != 0 {
				t.Errorf("after the refused writes the collection has %d features (%v), want 0", n, err)
			}
		})
	}
}

// testUnholdablePropertiesRefused: Apply and ApplyStream refuse, with
// ErrInvalid, properties longer than store.MaxPropertiesBytes once
// encoded, or nested deeper than an object of values.
func testUnholdablePropertiesRefused(t *testing.T, b store.Backend) {
	ctx := context.Background()
	c := MustCreate(t, b, Assets("things", store.GeometryAny))
	for name, p := range map[string]string{
		"too long":      `{"name":"` + strings.Repeat("x", store.MaxPropertiesBytes) + `"}`,
		"nested arrays": `{"name":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`,
		"an object":     `{"name":{"first":"a"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			ms := []store.Mutation{insert(store.Feature{Geometry: Point(1, 1), Properties: store.Properties(p)})}
			if _, err := b.Apply(ctx, c.ID, ms, "x"); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("Apply: %.200v, want ErrInvalid", err)
			}
			if sa, ok := b.(store.StreamApplier); ok {
				err := sa.ApplyStream(ctx, c.ID, store.Stream(ms, nil), "x", func(store.Result) error { return nil })
				if !errors.Is(err, store.ErrInvalid) {
					t.Errorf("ApplyStream: %.200v, want ErrInvalid", err)
				}
			}
			if _, n, err := b.Query(ctx, c.ID, store.Query{}); err != nil || n != 0 {
				t.Errorf("after the refused writes the collection has %d features (%v), want 0", n, err)
			}
		})
	}
}
