package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/gpkg"
	"github.com/cityatlas/cityatlas/store/storetest"
)

// TestSyncState: SyncState follows Open and every Sync, and keeps the
// last success when a Sync fails (here: the backend is closed).
func TestSyncState(t *testing.T) {
	ctx := context.Background()
	b, err := gpkg.Open(ctx, filepath.Join(t.TempDir(), "s.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	c := storetest.MustCreate(t, b, storetest.Assets("things", store.GeometryAny))
	st, err := store.Open(ctx, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	open := st.SyncState()
	last, err := b.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if open.Seq != last || open.At.IsZero() || open.Err != nil {
		t.Fatalf("after Open: %+v, change log at %d", open, last)
	}
	// A write by someone else, then a Sync.
	storetest.MustApply(t, b, c.ID, store.Mutation{Op: store.OpInsert, Feature: store.Feature{
		Geometry: storetest.Point(1, 1), Properties: storetest.Props(t, c, map[string]any{"lanes": 2})}})
	if err := st.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	synced := st.SyncState()
	if synced.Seq <= open.Seq || synced.Err != nil || synced.At.Before(open.At) {
		t.Fatalf("after Sync: %+v, after Open: %+v", synced, open)
	}
	b.Close()
	if err := st.Sync(ctx); err == nil {
		t.Fatal("Sync on a closed backend succeeded")
	}
	failed := st.SyncState()
	if failed.Err == nil || failed.Seq != synced.Seq || !failed.At.Equal(synced.At) {
		t.Errorf("after a failed Sync: %+v, before: %+v", failed, synced)
	}
}
