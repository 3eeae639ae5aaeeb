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
	a, err := store.Open(ctx, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	other, err := store.Open(ctx, b, nil)
	if err != nil {
		t.Fatal(err)
	}
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
