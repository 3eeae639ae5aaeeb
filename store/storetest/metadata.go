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
