package demo

import (
	"context"
	"errors"
	"fmt"

	"github.com/cityatlas/cityatlas/store"
)

// seedBatch is how many features go to the backend in one transaction.
const seedBatch = 20000

// Seed makes sure b holds the demo city generated with opts: it creates the
// demo collections that are missing and upserts every feature by its
// external id, so seeding a store that already has the demo changes
// nothing. The base layers (BaseCollections) come with it. It returns how many features had each outcome.
func Seed(ctx context.Context, b store.Backend, opts Options) (map[store.Outcome]int, error) {
	have := map[string]bool{}
	cs, err := b.Collections(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		have[c.ID] = true
	}
	for _, c := range append(Collections(), BaseCollections()...) {
		if have[c.ID] {
			continue
		}
		if _, err := b.CreateCollection(ctx, c); err != nil && !errors.Is(err, store.ErrConflict) {
			return nil, fmt.Errorf("create demo collection %s: %w", c.ID, err)
		}
	}
	counts := map[store.Outcome]int{}
	if sa, ok := b.(store.StreamApplier); ok {
		if err := seedStreams(ctx, sa, opts, counts); err != nil {
			return counts, err
		}
	} else if err := seedApply(ctx, b, Generate, Collections(), opts, counts); err != nil {
		return nil, err
	}
	if err := seedApply(ctx, b, GenerateBase, BaseCollections(), opts, counts); err != nil {
		return nil, err
	}
	return counts, nil
}

// seedApply upserts what gen yields through Apply, seedBatch features a
// transaction.
func seedApply(ctx context.Context, b store.Backend, gen func(Options, func(string, store.Feature) error) error,
	cols []store.Collection, opts Options, counts map[store.Outcome]int) error {
	pending := map[string][]store.Mutation{}
	flush := func(coll string) error {
		ms := pending[coll]
		if len(ms) == 0 {
			return nil
		}
		rs, err := b.Apply(ctx, coll, ms, "demo")
		if err != nil {
			return fmt.Errorf("seed %s: %w", coll, err)
		}
		for _, r := range rs {
			counts[r.Outcome]++
		}
		pending[coll] = ms[:0]
		return nil
	}
	err := gen(opts, func(coll string, f store.Feature) error {
		pending[coll] = append(pending[coll], store.Mutation{Op: store.OpUpsert, Feature: f})
		if len(pending[coll]) >= seedBatch {
			return flush(coll)
		}
		return ctx.Err()
	})
	if err != nil {
		return err
	}
	for _, c := range cols {
		if err := flush(c.ID); err != nil {
			return err
		}
	}
	return nil
}

// seedStreams upserts the demo through ApplyStream, one stream a
// collection, so that a large one going into an empty collection is
// bulk-loaded: the stop signs (nineteen features in twenty) stream as the
// generator makes them, the other layers wait in memory for their turn.
func seedStreams(ctx context.Context, sa store.StreamApplier, opts Options, counts map[store.Outcome]int) error {
	gctx, cancel := context.WithCancel(ctx) // the generator's
	defer cancel()
	batches := make(chan []store.Mutation, 4)
	others := map[string][]store.Mutation{}
	var genErr error
	go func() {
		defer close(batches)
		batch := make([]store.Mutation, 0, 1024)
		send := func() error {
			select {
			case batches <- batch:
				batch = make([]store.Mutation, 0, 1024)
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		genErr = Generate(opts, func(c string, f store.Feature) error {
			m := store.Mutation{Op: store.OpUpsert, Feature: f}
			if c != StopSigns {
				others[c] = append(others[c], m)
				return gctx.Err()
			}
			batch = append(batch, m)
			if len(batch) == cap(batch) {
				return send()
			}
			return nil
		})
		if genErr == nil && len(batch) > 0 {
			genErr = send()
		}
	}()
	next := store.Batches(batches, func() error { return genErr })
	count := func(r store.Result) error {
		counts[r.Outcome]++
		return nil
	}
	err := sa.ApplyStream(ctx, StopSigns, next, "demo", count)
	cancel()
	for range batches {
		// Let the generator see the cancellation and stop.
	}
	if err != nil {
		return fmt.Errorf("seed %s: %w", StopSigns, err)
	}
	for _, c := range Collections() {
		if ms := others[c.ID]; len(ms) > 0 {
			if err := sa.ApplyStream(ctx, c.ID, store.Stream(ms, nil), "demo", count); err != nil {
				return fmt.Errorf("seed %s: %w", c.ID, err)
			}
		}
	}
	return nil
}
