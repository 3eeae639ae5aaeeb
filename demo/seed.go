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
// nothing. It returns how many features had each outcome.
func Seed(ctx context.Context, b store.Backend, opts Options) (map[store.Outcome]int, error) {
	have := map[string]bool{}
	cs, err := b.Collections(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		have[c.ID] = true
	}
	for _, c := range Collections() {
		if have[c.ID] {
			continue
		}
		if _, err := b.CreateCollection(ctx, c); err != nil && !errors.Is(err, store.ErrConflict) {
			return nil, fmt.Errorf("create demo collection %s: %w", c.ID, err)
		}
	}
	counts := map[store.Outcome]int{}
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
	err = Generate(opts, func(coll string, f store.Feature) error {
		pending[coll] = append(pending[coll], store.Mutation{Op: store.OpUpsert, Feature: f})
		if len(pending[coll]) >= seedBatch {
			return flush(coll)
		}
		return ctx.Err()
	})
	if err != nil {
		return nil, err
	}
	for _, c := range Collections() {
		if err := flush(c.ID); err != nil {
			return nil, err
		}
	}
	return counts, nil
}
