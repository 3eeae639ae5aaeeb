package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/cityatlas/cityatlas/store"
)

// sampleMetadata fills every metadata field.
func sampleMetadata() store.Metadata {
	return store.Metadata{
		LicenseURL: "https://creativecommons.org/licenses/by/4.0/", Publisher: "City of Imperial GIS",
		ContactName: "GIS desk", ContactEmail: "gis@example.org", AccrualPeriodicity: "R/P1W",
		Theme: []string{"transport", "safety"}, Attribution: "© City of Imperial",
	}
}

// testMetadata: metadata given at creation is stored; UpdateCollection
// replaces the descriptive fields only, logs an OpCollection change, and
// refuses bad metadata and a missing collection.
func testMetadata(t *testing.T, b store.Backend) {
	ctx := context.Background()
	c := Assets("signs", store.GeometryPoint)
	c.License, c.Keywords, c.Metadata = "CC-BY-4.0", []string{"signs"}, sampleMetadata()
	MustCreate(t, b, c)
	cs, err := b.Collections(ctx)
	if err != nil || len(cs) != 1 {
		t.Fatalf("collections %v, %v", cs, err)
	}
	if !reflect.DeepEqual(cs[0].Metadata, c.Metadata) {
		t.Errorf("metadata read back %+v, want %+v", cs[0].Metadata, c.Metadata)
	}
	before, err := b.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	next := cs[0]
	next.Title, next.Description, next.License, next.Keywords = "Stop signs", "Every stop sign", "ODbL-1.0", []string{"stop", "sign"}
	next.Metadata = store.Metadata{Publisher: "Public Works", ContactEmail: "works@example.org", Theme: []string{"roads"}}
	next.Geometry, next.Fields, next.Private = store.GeometryPolygon, nil, true // not descriptive: ignored
	got, seq, err := b.UpdateCollection(ctx, next, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if seq <= before {
		t.Errorf("update's seq %d, want more than %d", seq, before)
	}
	cs, err = b.Collections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []store.Collection{got, cs[0]} {
		if c.Title != "Stop signs" || c.Description != "Every stop sign" || c.License != "ODbL-1.0" ||
			!reflect.DeepEqual(c.Keywords, []string{"stop", "sign"}) || !reflect.DeepEqual(c.Metadata, next.Metadata) {
			t.Errorf("after the update: %+v", c)
		}
		if c.Geometry != store.GeometryPoint || len(c.Fields) != 7 || c.Private {
			t.Errorf("the update changed the geometry, fields or privacy: %+v", c)
		}
	}
	chs, err := b.Changes(ctx, before, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(chs) != 1 || chs[0].Op != store.OpCollection || chs[0].Collection != "signs" || chs[0].Actor != "alice" || chs[0].Seq != seq {
		t.Errorf("change log after the update: %+v", chs)
	}
	bad := next
	bad.ContactEmail = "not an address"
	if _, _, err := b.UpdateCollection(ctx, bad, "alice"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("bad e-mail: %v, want ErrInvalid", err)
	}
	bad = next
	bad.AccrualPeriodicity = "weekly" // must be normalised first
	if _, _, err := b.UpdateCollection(ctx, bad, "alice"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("unnormalised frequency: %v, want ErrInvalid", err)
	}
	bad = next
	bad.ID = "nope"
	if _, _, err := b.UpdateCollection(ctx, bad, "alice"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing collection: %v, want ErrNotFound", err)
	}
	if n, _ := b.LastSeq(ctx); n != seq {
		t.Errorf("refused updates moved the change log to %d, want %d", n, seq)
	}
}

// testRenameCollection: a renamed collection keeps its definition,
// features (ids, versions) and their history; the old id is free; the
// change log has a 'collection' entry for each id; a Store following the
// log moves the layer; bad or taken ids are refused.
func testRenameCollection(t *testing.T, b store.Backend) {
	ctx := context.Background()
	c := Assets("signs", store.GeometryPoint)
	c.Metadata = sampleMetadata()
	c = MustCreate(t, b, c)
	MustCreate(t, b, Assets("parks", store.GeometryPoint))
	rs := MustApply(t, b, c.ID, store.Mutation{Op: store.OpInsert, Feature: store.Feature{Geometry: Point(1, 1), Properties: Props(t, c, map[string]any{"name": "one"})}})
	id := rs[0].Feature.ID
	MustApply(t, b, c.ID, store.Mutation{Op: store.OpUpdate, Feature: store.Feature{ID: id, Geometry: Point(2, 2), Properties: Props(t, c, map[string]any{"name": "two"})}})
	follower := openStore(t, b)
	before, _ := b.LastSeq(ctx)
	got, err := b.RenameCollection(ctx, "signs", "stop_signs", "alice")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "stop_signs" || got.Title != c.Title || !reflect.DeepEqual(got.Metadata, c.Metadata) || len(got.Fields) != len(c.Fields) {
		t.Errorf("renamed: %+v", got)
	}
	f, err := b.Feature(ctx, "stop_signs", id)
	if err != nil || f.Version != 2 || string(f.Properties) != `{"name":"two"}` {
		t.Errorf("feature after the rename: %+v, %v", f, err)
	}
	if _, err := b.Feature(ctx, "signs", id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the old id still has the feature: %v", err)
	}
	if h, ok := b.(store.Historian); ok {
		vs, err := h.History(ctx, "stop_signs", id, 0, 10)
		if err != nil || len(vs) != 2 {
			t.Errorf("history after the rename: %+v, %v", vs, err)
		}
	}
	if all, _ := b.Changes(ctx, 0, 10); all[1].Collection != "stop_signs" || all[1].FeatureID != id {
		t.Errorf("the feature's change-log entries did not follow it: %+v", all)
	}
	chs, err := b.Changes(ctx, before, 10)
	if err != nil || len(chs) != 2 || chs[0].Op != store.OpCollection || chs[0].Collection != "signs" || chs[1].Collection != "stop_signs" || chs[1].Actor != "alice" {
		t.Errorf("change log after the rename: %+v, %v", chs, err)
	}
	if err := follower.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := follower.Collection("signs"); err == nil {
		t.Error("the follower still has the old id")
	}
	if ci, err := follower.Collection("stop_signs"); err != nil || ci.Count != 1 {
		t.Errorf("the follower's renamed layer: %+v, %v", ci, err)
	}
	for name, tc := range map[string]struct {
		from, to string
		want     error
	}{
		"missing": {"signs", "x", store.ErrNotFound},
		"taken":   {"stop_signs", "parks", store.ErrConflict},
		"bad id":  {"stop_signs", "Stop Signs", store.ErrInvalid},
	} {
		if _, err := b.RenameCollection(ctx, tc.from, tc.to, "alice"); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	// The old id can be made again.
	MustCreate(t, b, Assets("signs", store.GeometryPoint))
}
