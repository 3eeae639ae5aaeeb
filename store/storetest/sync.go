package storetest

import (
	"context"
	"testing"

	"github.com/cityatlas/cityatlas/store"
)

// testSync: a second Store on the same backend (another instance, or the
// import command) catches up with the first one's writes from the change
// log: inserts, updates, deletes, and a collection it did not know.
func testSync(t *testing.T, b store.Backend) {
	ctx := context.Background()
	c := MustCreate(t, b, Assets("signs", store.GeometryPoint))
	a, other := openStore(t, b), openStore(t, b)
	rs, err := a.Apply(ctx, c.ID, []store.Mutation{
		insert(store.Feature{Geometry: Point(1, 1), Properties: Props(t, c, map[string]any{"name": "one"})}),
		insert(store.Feature{Geometry: Point(2, 2), Properties: Props(t, c, map[string]any{"name": "two"})}),
	}, "a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Apply(ctx, c.ID, []store.Mutation{
		{Op: store.OpUpdate, Feature: store.Feature{ID: rs[0].Feature.ID, Geometry: Point(5, 5), Properties: Props(t, c, map[string]any{"name": "moved"})}},
		{Op: store.OpDelete, Feature: store.Feature{ID: rs[1].Feature.ID}},
	}, "a"); err != nil {
		t.Fatal(err)
	}
	c2 := MustCreate(t, b, Assets("late", store.GeometryPoint))
	MustApply(t, b, c2.ID, insert(store.Feature{Geometry: Point(3, 3), Properties: Props(t, c2, nil)}))

	before, _ := other.Collection(c.ID)
	if before.Count != 0 {
		t.Fatalf("the other store saw %d features before syncing", before.Count)
	}
	if err := other.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	after, _ := other.Collection(c.ID)
	if after.Count != 1 {
		t.Fatalf("after Sync: %d features, want 1", after.Count)
	}
	f, err := other.Feature(c.ID, rs[0].Feature.ID)
	if err != nil || f.Version != 2 || string(f.Properties) != `{"name":"moved"}` {
		t.Fatalf("synced feature %+v (%v)", f, err)
	}
	bb := [4]float64{4, 4, 6, 6}
	if n, _ := other.Count(ctx, c.ID, store.Filter{BBox: &bb}); n != 1 {
		t.Errorf("synced feature not found at its new place: %d", n)
	}
	if late, err := other.Collection(c2.ID); err != nil || late.Count != 1 {
		t.Errorf("collection made elsewhere: %+v, %v", late, err)
	}
	if after.Seq <= before.Seq {
		t.Errorf("collection seq did not move: %d → %d", before.Seq, after.Seq)
	}
	// Syncing the writer itself changes nothing.
	info, _ := a.Collection(c.ID)
	if err := a.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if again, _ := a.Collection(c.ID); again.Gen != info.Gen || again.Count != 1 {
		t.Errorf("the writer's own changes were applied again: gen %d → %d", info.Gen, again.Gen)
	}
}

// testSyncCollection: a metadata change and a collection's deletion made
// through one Store reach another from the change log ('collection'
// entries), and the writer's ETag moves at once.
func testSyncCollection(t *testing.T, b store.Backend) {
	ctx := context.Background()
	MustCreate(t, b, Assets("signs", store.GeometryPoint))
	MustCreate(t, b, Assets("gone", store.GeometryPoint))
	a, other := openStore(t, b), openStore(t, b)
	before, _ := a.Collection("signs")
	next := before.Collection
	next.Title, next.Metadata = "Stop signs", sampleMetadata()
	if _, err := a.UpdateCollection(ctx, next, "a"); err != nil {
		t.Fatal(err)
	}
	if err := a.DeleteCollection(ctx, "gone", "a"); err != nil {
		t.Fatal(err)
	}
	after, _ := a.Collection("signs")
	if after.Title != "Stop signs" || after.Publisher != next.Publisher || after.Gen == before.Gen || after.Updated.IsZero() {
		t.Errorf("the writer after the update: %+v (gen %d → %d)", after, before.Gen, after.Gen)
	}
	if err := other.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := other.Collection("signs")
	if err != nil || got.Title != "Stop signs" || got.ContactEmail != next.ContactEmail || len(got.Theme) != 2 {
		t.Errorf("the other store after Sync: %+v, %v", got, err)
	}
	if _, err := other.Collection("gone"); err == nil {
		t.Error("the other store still has the collection deleted elsewhere")
	}
	chs, err := b.Changes(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(chs); n != 2 || chs[1].Op != store.OpCollection || chs[1].Collection != "gone" || chs[1].Actor != "a" {
		t.Errorf("change log: %+v, want the update and the deletion", chs)
	}
}

// openStore opens a Store (an instance) on b.
func openStore(t *testing.T, b store.Backend) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), b, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
