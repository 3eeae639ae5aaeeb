package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cityatlas/cityatlas/store"
)

// testHistory: every version of a feature, oldest first, with the content
// of each and who wrote it; a failed write adds nothing.
func testHistory(t *testing.T, b store.Backend) {
	h, ok := b.(store.Historian)
	if !ok {
		t.Fatalf("%T does not implement store.Historian", b)
	}
	ctx := context.Background()
	c := MustCreate(t, b, Assets("signs", store.GeometryPoint))
	other := MustCreate(t, b, Assets("lights", store.GeometryPoint))
	r := MustApply(t, b, c.ID, insert(store.Feature{ExternalID: "A1", Geometry: Point(1, 2), Properties: Props(t, c, map[string]any{"name": "first"})}))[0]
	MustApply(t, b, other.ID, insert(store.Feature{Geometry: Point(0, 0), Properties: Props(t, other, nil)}))
	id := r.Feature.ID
	if _, err := b.Apply(ctx, c.ID, []store.Mutation{{Op: store.OpUpdate, Feature: store.Feature{ID: id, Geometry: Point(3, 4), Properties: Props(t, c, map[string]any{"name": "second", "lanes": 2})}}}, "alice"); err != nil {
		t.Fatal(err)
	}
	// A failed write (version conflict) leaves no trace.
	if _, err := b.Apply(ctx, c.ID, []store.Mutation{{Op: store.OpUpdate, IfVersion: 1, Feature: store.Feature{ID: id, Geometry: Point(9, 9), Properties: Props(t, c, nil)}}}, "mallory"); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale update: %v, want ErrConflict", err)
	}
	if _, err := b.Apply(ctx, c.ID, []store.Mutation{{Op: store.OpDelete, Feature: store.Feature{ID: id}}}, "bob"); err != nil {
		t.Fatal(err)
	}
	vs, err := h.History(ctx, c.ID, id, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		op      store.Op
		version int64
		actor   string
		name    string
		lon     float64
	}{{store.OpInsert, 1, "storetest", "first", 1}, {store.OpUpdate, 2, "alice", "second", 3}, {store.OpDelete, 2, "bob", "second", 3}}
	if len(vs) != len(want) {
		t.Fatalf("history has %d versions, want %d: %+v", len(vs), len(want), vs)
	}
	for i, v := range vs {
		w := want[i]
		if v.Op != w.op || v.Version != w.version || v.Actor != w.actor || v.FeatureID != id || v.Time.IsZero() {
			t.Errorf("version %d = %+v, want %+v", i, v.Change, w)
			continue
		}
		if !v.Content {
			t.Errorf("version %d has no content", i)
			continue
		}
		name, _ := v.Properties.Get("name")
		if name.String() != w.name || v.ExternalID != "A1" {
			t.Errorf("version %d: properties %s, external id %q; want name %q", i, v.Properties, v.ExternalID, w.name)
		}
		if v.Geometry == nil || v.Geometry.FlatCoords()[0] != w.lon {
			t.Errorf("version %d: geometry %v, want lon %v", i, v.Geometry, w.lon)
		}
		if i > 0 && v.Seq <= vs[i-1].Seq {
			t.Errorf("history not in seq order")
		}
	}
	page, err := h.History(ctx, c.ID, id, vs[0].Seq, 1)
	if err != nil || len(page) != 1 || page[0].Seq != vs[1].Seq || !page[0].Content {
		t.Errorf("History(after the first, limit 1) = %+v, %v", page, err)
	}
	if page, err := h.History(ctx, c.ID, id, vs[2].Seq, 0); err != nil || len(page) != 0 {
		t.Errorf("History(after the last) = %+v, %v; want none", page, err)
	}
	if _, err := h.History(ctx, c.ID, id+1000, 0, 0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("history of a feature never written: %v, want ErrNotFound", err)
	}
	chs, err := h.CollectionChanges(ctx, c.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(chs) != 3 {
		t.Fatalf("CollectionChanges: %d entries, want 3: %+v", len(chs), chs)
	}
	for _, ch := range chs {
		if ch.Collection != c.ID {
			t.Errorf("CollectionChanges(%s) gave %+v", c.ID, ch)
		}
	}
	some, err := h.CollectionChanges(ctx, c.ID, chs[0].Seq, 1)
	if err != nil || len(some) != 1 || some[0].Seq != chs[1].Seq {
		t.Errorf("CollectionChanges(after first, limit 1) = %+v, %v", some, err)
	}
}

// testKeys: API keys are stored, found by id, listed by name and revoked.
func testKeys(t *testing.T, b store.Backend) {
	ks, ok := b.(store.Keys)
	if !ok {
		t.Fatalf("%T does not implement store.Keys", b)
	}
	ctx := context.Background()
	exp := time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)
	k, err := ks.CreateKey(ctx, store.Key{ID: "abc123", Name: "crew", Role: "editor", Collections: []string{"signs", "lights"},
		Salt: []byte{1, 2, 3}, Hash: []byte{4, 5, 6}, Expires: exp})
	if err != nil {
		t.Fatal(err)
	}
	if k.Created.IsZero() {
		t.Error("Created not set")
	}
	if _, err := ks.CreateKey(ctx, store.Key{ID: "other", Name: "crew", Role: "viewer", Salt: []byte{1}, Hash: []byte{1}}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second key called crew: %v, want ErrConflict", err)
	}
	if _, err := ks.CreateKey(ctx, store.Key{ID: "zz9", Name: "admin", Role: "admin", Salt: []byte{7}, Hash: []byte{8}}); err != nil {
		t.Fatal(err)
	}
	got, err := ks.KeyByID(ctx, "abc123")
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "crew" || got.Role != "editor" || len(got.Collections) != 2 || got.Collections[1] != "lights" ||
		string(got.Salt) != "\x01\x02\x03" || string(got.Hash) != "\x04\x05\x06" || !got.Expires.Equal(exp) || !got.Revoked.IsZero() {
		t.Errorf("KeyByID = %+v", got)
	}
	if _, err := ks.KeyByID(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("KeyByID(nope): %v, want ErrNotFound", err)
	}
	list, err := ks.ListKeys(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "admin" || list[1].Name != "crew" || list[0].Collections != nil {
		t.Errorf("ListKeys = %+v, %v", list, err)
	}
	if err := ks.RevokeKey(ctx, "crew"); err != nil {
		t.Fatal(err)
	}
	if err := ks.RevokeKey(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RevokeKey(nobody): %v, want ErrNotFound", err)
	}
	got, _ = ks.KeyByID(ctx, "abc123")
	if got.Revoked.IsZero() {
		t.Error("revoked key has no revoked time")
	}
}

// testPrivate: a collection's privacy is kept.
func testPrivate(t *testing.T, b store.Backend) {
	c := Assets("secret", store.GeometryPoint)
	c.Private = true
	MustCreate(t, b, c)
	MustCreate(t, b, Assets("open", store.GeometryPoint))
	cs, err := b.Collections(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range cs {
		if got.Private != (got.ID == "secret") {
			t.Errorf("collection %s: private %v", got.ID, got.Private)
		}
	}
}
