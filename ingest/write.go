package ingest

import (
	"context"
	"errors"
	"io"

	"github.com/cityatlas/cityatlas/store"
)

// pipeBatch is how many mutations the reading goroutine hands over at a
// time.
const pipeBatch = 1024

// write streams the rows into the backend in one transaction, counting
// what it did.
func (p *pipeline) write(ctx context.Context, b store.Backend) error {
	count := func(r store.Result) error {
		switch r.Outcome {
		case store.Inserted:
			p.rep.Inserted++
		case store.Updated:
			p.rep.Updated++
		case store.Unchanged:
			p.rep.Unchanged++
		case store.Deleted:
			p.rep.Deleted++
		}
		return p.doubling()
	}
	if sa, ok := b.(store.StreamApplier); ok {
		// Reading and converting run in their own goroutine, a few batches
		// ahead of the backend, so that parsing overlaps the database's
		// work; memory stays bounded by the channel.
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		batches := make(chan []store.Mutation, 4)
		var readErr error
		go func() {
			defer close(batches)
			for {
				batch := make([]store.Mutation, 0, pipeBatch)
				for len(batch) < pipeBatch {
					m, err := p.next()
					if err != nil {
						readErr = err
						break
					}
					batch = append(batch, m)
				}
				select {
				case batches <- batch:
				case <-ctx.Done():
					return
				}
				if readErr != nil {
					return
				}
			}
		}()
		next := store.Batches(batches, func() error { return readErr })
		var err error
		cs, creates := b.(store.CreateStreamer)
		sc, changes := b.(store.SchemaChanger)
		switch {
		case creates && p.create:
			_, err = cs.CreateStream(ctx, *p.coll, next, p.opts.Actor, count)
		case changes && len(p.rep.Added) > 0:
			_, _, err = sc.ChangeFields(ctx, p.coll.ID, store.FieldChange{Add: p.rep.Added}, next, p.opts.Actor, count)
		default:
			err = sa.ApplyStream(ctx, p.coll.ID, next, p.opts.Actor, count)
		}
		cancel()
		for range batches {
			// Let the reader see the cancellation and finish.
		}
		if err == nil && readErr != nil && !errors.Is(readErr, io.EOF) {
			err = readErr
		}
		return err
	}
	if len(p.rep.Added) > 0 {
		return store.Invalidf("--add-fields: this backend cannot change a collection's schema in the transaction of its writes")
	}
	var ms []store.Mutation
	for {
		m, err := p.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		ms = append(ms, m)
	}
	if len(ms) == 0 {
		return nil
	}
	rs, err := b.Apply(ctx, p.coll.ID, ms, p.opts.Actor)
	if err != nil {
		return err
	}
	for _, r := range rs {
		if err := count(r); err != nil {
			return err
		}
	}
	return nil
}
