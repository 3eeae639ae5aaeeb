package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cityatlas/cityatlas/store"
)

// testConcurrentReaders: readers query the index while a writer changes
// it. Every feature a reader sees must be whole: its name records the
// version it was written with. Run it with -race to check the snapshot
// discipline.
func testConcurrentReaders(t *testing.T, b store.Backend) {
	ctx := context.Background()
	c := MustCreate(t, b, Assets("busy", store.GeometryPoint))
	s, err := store.Open(ctx, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	var ms []store.Mutation
	for i := range 50 {
		ms = append(ms, insert(store.Feature{Geometry: Point(float64(i)/10, 0), Properties: Props(t, c, map[string]any{"name": "v1"})}))
	}
	rs, err := s.Apply(ctx, c.ID, ms, "w")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		ids = append(ids, r.Feature.ID)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	check := func(f store.Feature) error {
		if want := fmt.Sprintf(`{"name":"v%d"}`, f.Version); string(f.Properties) != want {
			return fmt.Errorf("feature %d at version %d has properties %s", f.ID, f.Version, f.Properties)
		}
		return nil
	}
	for r := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bb := [4]float64{-1, -1, 10, 1}
			for n := 0; !stop.Load(); n++ {
				var err error
				switch (n + r) % 3 {
				case 0:
					var p store.Page
					p, err = s.Items(ctx, c.ID, store.Filter{BBox: &bb})
					for _, f := range p.Features {
						if err == nil {
							err = check(f)
						}
					}
					if err == nil && len(p.Features) != p.Matched {
						err = fmt.Errorf("page of %d, matched %d", len(p.Features), p.Matched)
					}
				case 1:
					err = s.Visit(ctx, c.ID, bb, store.Filter{}, func(h *store.Hit) bool {
						err = check(h.Feature())
						return err == nil
					})
				default:
					var f store.Feature
					if f, err = s.Feature(c.ID, ids[n%len(ids)]); err == nil {
						err = check(f)
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for round := range 150 {
		id := ids[round%len(ids)]
		f, err := s.Feature(c.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		next := Props(t, c, map[string]any{"name": fmt.Sprintf("v%d", f.Version+1)})
		if _, err := s.Apply(ctx, c.ID, []store.Mutation{{Op: store.OpUpdate, Feature: store.Feature{ID: id, Geometry: Point(float64(round%100)/10, 0), Properties: next}}}, "w"); err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
