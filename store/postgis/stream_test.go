package postgis

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/storetest"
)

func upserts(c store.Collection, tb testing.TB, n int, ext func(i int) string) []store.Mutation {
	ms := make([]store.Mutation, n)
	for i := range ms {
		ms[i] = store.Mutation{Op: store.OpUpsert, Feature: store.Feature{
			ExternalID: ext(i),
			Geometry:   storetest.Point(-115+float64(i%100)/1000, 32+float64(i/100)/1000),
			Properties: storetest.Props(tb, c, map[string]any{"lanes": i}),
		}}
	}
	return ms
}

// TestApplyStream covers the chunked stream: a fresh collection taken by
// COPY, an external id repeated in a later chunk (the COPY conflicts, the
// chunk is rolled back to its savepoint and upserted the general way), a
// re-run that changes nothing, and a failing stream that writes nothing.
func TestApplyStream(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	c := storetest.MustCreate(t, s, storetest.Assets("stream", store.GeometryPoint))
	n := streamChunk + 300
	// The last 300 mutations repeat ids 0..299 of the first chunk.
	ms := upserts(c, t, n, func(i int) string { return fmt.Sprint("a", i%streamChunk) })
	var outcomes = map[store.Outcome]int{}
	var lastSeq int64
	err := s.ApplyStream(ctx, c.ID, store.Stream(ms, nil), "test", func(r store.Result) error {
		outcomes[r.Outcome]++
		if r.Outcome != store.Unchanged && r.Seq <= lastSeq {
			t.Fatalf("seq %d after %d", r.Seq, lastSeq)
		}
		lastSeq = max(lastSeq, r.Seq)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if outcomes[store.Inserted] != streamChunk || outcomes[store.Updated] != 300 {
		t.Fatalf("outcomes %v", outcomes)
	}
	_, matched, err := s.Query(ctx, c.ID, store.Query{Limit: 1})
	if err != nil || matched != streamChunk {
		t.Fatalf("matched %d, err %v", matched, err)
	}
	chs, err := s.Changes(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(chs) != n || chs[len(chs)-1].Seq != lastSeq {
		t.Fatalf("%d changes (last %d), want %d (last %d)", len(chs), chs[len(chs)-1].Seq, n, lastSeq)
	}
	// The updated ones carry the values of the later mutations.
	fs, _, err := s.Query(ctx, c.ID, store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if f.ExternalID == "a5" {
			if v, _ := f.Properties.Get("lanes"); v.Int() != int64(streamChunk+5) || f.Version != 2 {
				t.Fatalf("a5: lanes %v version %d", v, f.Version)
			}
		}
	}

	// The same stream again: the fresh path is not taken, nothing changes
	// but the first 300, which flip back and forth.
	outcomes = map[store.Outcome]int{}
	err = s.ApplyStream(ctx, c.ID, store.Stream(ms[:streamChunk], nil), "test", func(r store.Result) error { outcomes[r.Outcome]++; return nil })
	if err != nil || outcomes[store.Unchanged] != streamChunk-300 || outcomes[store.Updated] != 300 {
		t.Fatalf("again: %v, %v", outcomes, err)
	}

	// A stream that fails at the end, or a result callback that fails,
	// writes nothing.
	seq, _ := s.LastSeq(ctx)
	boom := errors.New("boom")
	other := upserts(c, t, 500, func(i int) string { return fmt.Sprint("b", i) })
	if err := s.ApplyStream(ctx, c.ID, store.Stream(other, boom), "test", func(store.Result) error { return nil }); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if err := s.ApplyStream(ctx, c.ID, store.Stream(other, nil), "test", func(store.Result) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if got, _ := s.LastSeq(ctx); got != seq {
		t.Fatalf("failed streams wrote: seq %d, was %d", got, seq)
	}
	if err := s.ApplyStream(ctx, "nope", store.Stream(other, nil), "test", func(store.Result) error { return nil }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing collection: %v", err)
	}
}

// TestAppendEWKB: the COPY path stores Z and M as the general path does.
func TestAppendEWKB(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	c := storetest.MustCreate(t, s, storetest.Assets("ewkb", store.GeometryAny))
	var ms []store.Mutation
	names := []string{}
	for name, g := range storetest.Geometries() {
		names = append(names, name)
		ms = append(ms, store.Mutation{Op: store.OpUpsert, Feature: store.Feature{ExternalID: name, Geometry: g}})
	}
	for len(ms) < bulkMinDefault { // reach the COPY path
		ms = append(ms, store.Mutation{Op: store.OpUpsert, Feature: store.Feature{ExternalID: fmt.Sprint("p", len(ms)), Geometry: storetest.Point(1, 2)}})
	}
	if err := s.ApplyStream(ctx, c.ID, store.Stream(ms, nil), "test", func(store.Result) error { return nil }); err != nil {
		t.Fatal(err)
	}
	fs, _, err := s.Query(ctx, c.ID, store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	byExt := map[string]store.Feature{}
	for _, f := range fs {
		byExt[f.ExternalID] = f
	}
	for i, name := range names {
		got := byExt[name].Geometry
		want := ms[i].Feature.Geometry
		gb, err1 := encodeGeometry(&c, got)
		wb, err2 := encodeGeometry(&c, want)
		if got == nil || err1 != nil || err2 != nil || string(gb) != string(wb) {
			t.Errorf("%s: got %v, want %v", name, got, want)
		}
	}
}
