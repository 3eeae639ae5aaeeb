package gpkg

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/storetest"
)

// TestApplyStream: a stream is written in one transaction; one that fails
// (in next, in the result callback, or in a mutation) writes nothing.
func TestApplyStream(t *testing.T) {
	ctx := context.Background()
	s, _ := MustOpen(t)
	c := storetest.MustCreate(t, s, storetest.Assets("stream", store.GeometryPoint))
	mk := func(n int, prefix string) []store.Mutation {
		ms := make([]store.Mutation, n)
		for i := range ms {
			ms[i] = store.Mutation{Op: store.OpUpsert, Feature: store.Feature{
				ExternalID: fmt.Sprint(prefix, i%(n-1)), // the last repeats the first
				Geometry:   storetest.Point(float64(i%90), float64(i%45)),
				Properties: storetest.Props(t, c, map[string]any{"lanes": i}),
			}}
		}
		return ms
	}
	stream := store.Stream
	count := map[store.Outcome]int{}
	tally := func(r store.Result) error { count[r.Outcome]++; return nil }
	if err := s.ApplyStream(ctx, c.ID, stream(mk(2000, "a"), nil), "test", tally); err != nil {
		t.Fatal(err)
	}
	if count[store.Inserted] != 1999 || count[store.Updated] != 1 {
		t.Fatalf("outcomes %v", count)
	}
	seq, err := s.LastSeq(ctx)
	if err != nil || seq != 2000 {
		t.Fatalf("last seq %d, %v", seq, err)
	}
	boom := errors.New("boom")
	bad := mk(10, "b")
	bad[5].Feature.Properties = store.Properties(`{"nope":1}`)
	cases := []struct {
		name   string
		next   func() (store.Mutation, error)
		result func(store.Result) error
		want   error
	}{
		{"next fails", stream(mk(10, "b"), boom), tally, boom},
		{"result fails", stream(mk(10, "b"), nil), func(store.Result) error { return boom }, boom},
		{"bad mutation", stream(bad, nil), tally, store.ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.ApplyStream(ctx, c.ID, tc.next, "test", tc.result); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if got, _ := s.LastSeq(ctx); got != seq {
				t.Fatalf("seq %d, want %d: the failed stream wrote", got, seq)
			}
		})
	}
}
